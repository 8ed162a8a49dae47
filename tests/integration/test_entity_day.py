"""The entity's own day on both databases: default issue, due, credit and void dates and the
period-lock checks follow the legal entity's time zone, not UTC; entities stored before they
had a time zone read as UTC."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import MetaData, insert, text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import Conflict
from hourbridge.store import migrate
from hourbridge.store.engine import make_engine
from hourbridge.store.masterdata import SqlMasterData

from .conftest import load

ROWS = [("t1", "E1", "P1", "DEV", "2026-08-10", "2", "design")]
TERMS = 14  # ACME's payment terms in the small firm


def _in_zone(bundle: dict[str, Any], tz: str, lock: str | None = None) -> dict[str, Any]:
    out = copy.deepcopy(bundle)
    out["entities"][0]["timezone"] = tz
    if lock is not None:
        out["entities"][0]["lock_date"] = lock
    return out


def _draft(hb: Hourbridge, ingest: Any) -> int:
    ingest(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    return int(inv["id"])


def _at(hb: Hourbridge, when: datetime) -> None:
    hb.clock.at = when  # type: ignore[attr-defined]  # the FixedClock of conftest


@pytest.mark.parametrize(("tz", "when", "day"), [
    ("Asia/Tokyo", datetime(2026, 11, 2, 23, 30, tzinfo=UTC), date(2026, 11, 3)),
    ("America/Los_Angeles", datetime(2026, 11, 3, 3, 0, tzinfo=UTC), date(2026, 11, 2)),
])
def test_issue_and_credit_are_dated_on_the_entity_day(
        hb: Hourbridge, small_bundle: dict[str, Any], ingest: Any,
        tz: str, when: datetime, day: date) -> None:
    load(hb, _in_zone(small_bundle, tz))
    invoice_id = _draft(hb, ingest)
    _at(hb, when)
    [issued] = hb.handle(c.IssueInvoices(invoice_ids=(invoice_id,))).issued
    assert (issued["issue_date"], issued["due_date"]) == (
        day.isoformat(), date.fromordinal(day.toordinal() + TERMS).isoformat())
    shown = hb.queries.invoice(invoice_id)
    assert shown is not None and shown["issue_date"] == day.isoformat()
    credit = hb.handle(c.IssueCreditNote(invoice_id, "controller", "wrong rate"))
    note = hb.queries.invoice(credit.id)
    assert note is not None and note["issue_date"] == day.isoformat()


def test_period_lock_is_checked_against_the_local_date(
        hb: Hourbridge, small_bundle: dict[str, Any], ingest: Any) -> None:
    # Los Angeles, locked through 2026-11-02: at 03:00 UTC on the 3rd it is still the 2nd
    # there, so issuing is refused although the UTC date is open
    load(hb, _in_zone(small_bundle, "America/Los_Angeles", lock="2026-07-31"))
    invoice_id = _draft(hb, ingest)
    load(hb, _in_zone(small_bundle, "America/Los_Angeles", lock="2026-11-02"))
    _at(hb, datetime(2026, 11, 3, 3, 0, tzinfo=UTC))
    with pytest.raises(Conflict, match="issue date 2026-11-02 is in entity DE's closed period"):
        hb.handle(c.IssueInvoices(invoice_ids=(invoice_id,)))
    # nine hours later it is the 3rd in Los Angeles too
    _at(hb, datetime(2026, 11, 3, 12, 0, tzinfo=UTC))
    [issued] = hb.handle(c.IssueInvoices(invoice_ids=(invoice_id,))).issued
    assert issued["issue_date"] == "2026-11-03"


def test_a_void_defaults_to_the_entity_day(
        hb: Hourbridge, small_bundle: dict[str, Any], ingest: Any) -> None:
    load(hb, _in_zone(small_bundle, "Asia/Tokyo"))
    invoice_id = _draft(hb, ingest)
    _at(hb, datetime(2026, 11, 2, 23, 30, tzinfo=UTC))
    hb.handle(c.IssueInvoices(invoice_ids=(invoice_id,)))
    hb.handle(c.VoidInvoice(invoice_id, "controller", "sent to the wrong customer"))
    voided = hb.queries.invoice(invoice_id)
    assert voided is not None and voided["void_date"] == "2026-11-03"


@pytest.mark.empty_database  # migrates an empty database up to before the column
def test_entities_stored_before_the_timezone_column_read_as_utc(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, "0003")
        old = MetaData()
        old.reflect(engine, only=["entities"])
        assert "timezone" not in old.tables["entities"].c
        with engine.begin() as conn:
            conn.execute(insert(old.tables["entities"]).values(
                code="OLD", name="Old GmbH", country="DE", currency="EUR", invoice_prefix="O",
                accounts={}, tax_rates={}))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert SqlMasterData(conn).snapshot().entities["OLD"].timezone == "UTC"
    finally:
        engine.dispose()


def _timezone(hb: Hourbridge) -> str:
    uow = hb.uow()
    with uow:
        return str(uow.masterdata.snapshot().entities["DE"].timezone)


def test_a_bundle_sets_and_changes_the_timezone_and_refuses_an_unknown_one(
        hb: Hourbridge, small_bundle: dict[str, Any]) -> None:
    load(hb, small_bundle)
    assert _timezone(hb) == "UTC"
    counts = load(hb, _in_zone(small_bundle, "Europe/Berlin"))
    assert counts["entities"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert _timezone(hb) == "Europe/Berlin"
    assert load(hb, _in_zone(small_bundle, "Europe/Berlin"))["entities"]["unchanged"] == 1
    with pytest.raises(ValidationError, match="timezone"):
        load(hb, _in_zone(small_bundle, "Mars/Olympus_Mons"))


def _any_value(column: Any) -> Any:
    """A value a required column of the old schema takes (the test sets the ones it reads)."""
    kind = type(column.type).__name__.lower()
    if "json" in kind:
        return {}
    if "bool" in kind:
        return False
    if "int" in kind or "decimal" in kind or "numeric" in kind:
        return 0
    if "date" in kind:
        return date(2026, 1, 1)
    return "x"


@pytest.mark.empty_database  # migrates an empty database up to before the rename
def test_stored_invoice_date_policies_are_renamed_issue_date(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, "0003")
        old = MetaData()
        old.reflect(engine, only=["entities", "customers", "contracts"])
        with engine.begin() as conn:
            conn.execute(insert(old.tables["entities"]).values(
                code="OLD", name="Old GmbH", country="DE", currency="EUR", invoice_prefix="O",
                accounts={}, tax_rates={}))
            conn.execute(insert(old.tables["customers"]).values(
                id="C", name="C", entity="OLD", currency="CHF", country="CH",
                tax_exempt=False, tax_code="standard", business=True, payment_terms_days=30))
            contract = {c.name: _any_value(c) for c in old.tables["contracts"].columns
                        if not c.nullable and c.server_default is None}
            contract.update(id="K", customer="C", entity="OLD", currency="CHF",
                            start_date=date(2026, 1, 1), fx_rate_date="invoice_date")
            conn.execute(insert(old.tables["contracts"]).values(contract))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            policy = conn.execute(text("SELECT fx_rate_date FROM contracts")).scalar_one()
        assert policy == "issue_date"
    finally:
        engine.dispose()
