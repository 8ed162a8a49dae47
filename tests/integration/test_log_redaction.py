"""Database errors never put row values in logs: engines hide parameters, and the record
factory withholds driver messages (PostgreSQL's DETAIL repeats the row)."""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from hourbridge.observability.logging import redact_database_errors
from hourbridge.store import migrate, tables
from hourbridge.store.engine import make_engine

SECRET = "NOTE-7f3a-SECRET-VALUE"


def _hold(note: str) -> dict[str, object]:
    return {"scope": "project", "ref": "P1", "reason": "other", "owner_role": "am",
            "note": note, "placed_at": datetime.now(UTC), "placed_by": "am"}


def _failing_insert(database_url: str) -> DBAPIError:
    """A hold insert the database refuses, the note being SECRET."""
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("CREATE TRIGGER hb_test_no_notes BEFORE INSERT ON holds "
                                  "WHEN length(NEW.note) > 5 "
                                  "BEGIN SELECT RAISE(ABORT, 'note refused'); END"))
            else:
                conn.execute(text("ALTER TABLE holds ADD CONSTRAINT hb_test_no_notes "
                                  "CHECK (length(note) <= 5)"))
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.execute(insert(tables.holds).values(**_hold(SECRET)))
        return caught.value
    finally:
        engine.dispose()


def test_statement_parameters_are_hidden(database_url: str) -> None:
    error = _failing_insert(database_url)
    # the driver's own message may repeat the row (PostgreSQL's DETAIL; redacted in logs,
    # see below), but SQLAlchemy adds no parameters to it
    shown = str(error).replace(str(error.orig), "")
    assert SECRET not in shown
    assert "parameters hidden" in shown


def test_logged_database_errors_carry_no_row_values(database_url: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    redact_database_errors()
    error = _failing_insert(database_url)
    with caplog.at_level(logging.DEBUG):
        try:
            raise RuntimeError("the hold could not be placed") from error
        except RuntimeError:
            logging.getLogger("hourbridge.test").exception("place hold failed")
        logging.getLogger("uvicorn.error").error("Exception in ASGI application",
                                                 exc_info=error)
    assert SECRET not in caplog.text
    assert "IntegrityError" in caplog.text and "message withheld" in caplog.text
    assert "test_log_redaction.py" in caplog.text  # the frames are kept
    if "postgres" in database_url:  # the test has teeth: unredacted, the row is there
        assert SECRET in "".join(traceback.format_exception(error))
