"""Migrations are the only way a schema is created; the migrated schema equals the metadata."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from hourbridge.store import migrate
from hourbridge.store.engine import make_engine
from hourbridge.store.tables import metadata


def _head() -> str | None:
    return ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()


def test_migrated_schema_equals_metadata(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": True})
            diff = compare_metadata(context, metadata)
        assert diff == []
        assert migrate.current_revision(engine) == _head()
        assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    finally:
        engine.dispose()


def test_reset_then_upgrade_recreates_everything(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        migrate.reset(engine)
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == _head()
    finally:
        engine.dispose()
