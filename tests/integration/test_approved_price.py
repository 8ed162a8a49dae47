"""Billing reuses the rate decision approval kept (issue 16, item 2), unless master data that
decision read changed after approval: then the run prices the entry again and says so.

What invalidates a kept decision (``domain.pricing.PriceBasis``): any edit of the contract (its
versions and terms), the project's customer or assignments, the customer chain, a rate card
that can apply (contract, project, customers of the chain, firm) or an employee's default
role. Anything else (a new customer of another chain, say) leaves it valid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.services import billing

from .conftest import load

ROWS = [(f"A{i}", "E1" if i % 2 else "E2", "P1", "DEV", f"2026-08-{1 + i % 14:02d}", "1.5",
         f"work {i}") for i in range(12)]


def _kept(hb: Hourbridge) -> list[tuple[Any, ...]]:
    with hb.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT employee, price_rate, wip_currency, price_card, price_row, price_rule, "
            "price_role, price_version, price_basis FROM time_entries ORDER BY id"))]


def _line_rates(hb: Hourbridge) -> set[tuple[str, Decimal]]:
    with hb.engine.connect() as conn:
        return {(r[0], Decimal(str(r[1]))) for r in conn.execute(text(
            "SELECT role, rate FROM invoice_lines"))}


def _no_pricing(*_: Any, **__: Any) -> Any:
    raise AssertionError("billing priced an entry whose kept decision still holds")


def test_billing_reuses_the_decision_kept_at_approval(
        loaded: Hourbridge, ingest: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(ROWS)
    approved = loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    assert approved.approved == len(ROWS)
    kept = _kept(loaded)
    senior = {r for r in kept if r[0] == "E1"}
    assert {(Decimal(str(r[1])), *r[2:8]) for r in senior} == {
        (Decimal(150), "EUR", "FIRM-EUR", "senior-1", "role", "senior", 1)}
    assert all(r[8] for r in kept)  # every decision kept with its basis
    # an unrelated master-data change (another customer) leaves the decisions valid
    monkeypatch.setattr(billing, "price_entry", _no_pricing)
    report = loaded.handle(c.RunBilling(date(2026, 8, 31)))
    prices = report.as_dict()["prices"]
    print(f"approved price reuse: {prices}")
    assert prices["reused_from_approval"] == len(ROWS)
    assert prices["decided_by_run"] == 0 and prices["repriced_after_change"] == 0
    assert report.entries_billed == len(ROWS)
    assert _line_rates(loaded) == {("senior", Decimal(150)), ("analyst", Decimal(90))}


def _with_senior_rate(bundle: dict[str, Any], rate: str) -> dict[str, Any]:
    changed = copy.deepcopy(bundle)
    for row in changed["rate_cards"][0]["rows"]:
        if row["id"] == "senior-1":
            row["rate"] = rate
    return changed


def test_a_rate_edited_after_approval_prices_again_and_is_reported(
        loaded: Hourbridge, ingest: Callable[..., Any], small_bundle: dict[str, Any]) -> None:
    ingest(ROWS)
    loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    # the firm card's senior row in force on the work dates is renegotiated after approval
    load(loaded, _with_senior_rate(small_bundle, "160.00"))
    report = loaded.handle(c.RunBilling(date(2026, 8, 31)))
    prices = report.as_dict()["prices"]
    print(f"approved price after a rate edit: {prices}")
    # the firm card reaches every entry of the contract: all are priced again, none billed
    # at the stale rate
    assert prices["repriced_after_change"] == len(ROWS) == prices["decided_by_run"]
    assert prices["reused_from_approval"] == 0
    assert sorted(prices["repriced_entries"]) == prices["repriced_entries"]
    assert _line_rates(loaded) == {("senior", Decimal(160)), ("analyst", Decimal(90))}


def test_an_unrelated_change_keeps_the_decision(
        loaded: Hourbridge, ingest: Callable[..., Any], small_bundle: dict[str, Any]) -> None:
    ingest(ROWS)
    loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    other = copy.deepcopy(small_bundle)
    other["customers"].append({"id": "OTHER", "name": "Other GmbH", "entity": "DE",
                               "currency": "EUR", "country": "DE"})
    load(loaded, other)
    report = loaded.handle(c.RunBilling(date(2026, 8, 31)))
    assert report.as_dict()["prices"]["reused_from_approval"] == len(ROWS)
    assert report.prices_decided == 0


def test_a_rejected_entry_forgets_its_decision(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    ingest(ROWS[:2])
    loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    with loaded.engine.connect() as conn:
        first = conn.execute(text("SELECT min(id) FROM time_entries")).scalar_one()
    loaded.handle(c.RejectEntries("pm", entry_ids=(first,), reason="wrong_project"))
    assert [r[8] is None for r in _kept(loaded)] == [True, False]


def test_open_entries_read_as_the_driver_gives_them_equal_sqlalchemys(
        loaded: Hourbridge, ingest: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A billing run reads open entries without SQLAlchemy's per-value processing on SQLite
    (``SqlEntries._sqlite_rows``): every field comes back as the processed read gives it
    (dates, exact decimals, booleans, the kept decision), and entries priced alike share one
    ``StoredPrice``, which billing looks up once."""
    from hourbridge.services.ports import EntrySelection
    from hourbridge.store.entries import SqlEntries

    ingest(ROWS)
    loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    selection = EntrySelection(approval=("approved",), billing=("unbilled", "credited"),
                               billable=True, date_to=date(2026, 8, 31), contracts=("K1",))
    with loaded.engine.connect() as conn:
        fast = list(SqlEntries(conn).select(selection))
        monkeypatch.setattr(SqlEntries, "_sqlite_rows",
                            lambda self, stmt: self.conn.execute(stmt).all())
        processed = list(SqlEntries(conn).select(selection))
    assert len(fast) == len(ROWS)
    assert fast == processed
    for a, b in zip(fast, processed, strict=True):
        assert [type(v) for v in (a.work_date, a.billable, a.wip_amount, a.price.rate)] == [
            type(v) for v in (b.work_date, b.billable, b.wip_amount, b.price.rate)]
    assert {type(r.work_date) for r in fast} == {date}
    assert {type(r.wip_amount) for r in fast} == {Decimal}
    # E1's entries were priced alike: one stored price object between them
    assert len({id(r.price) for r in fast if r.employee == "E1"}) == 1


def test_open_work_reads_what_select_reads_and_shares_each_kept_price(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    """The billing run's lean read (``open_work``) gives, entry for entry, what the full
    ``select`` gives of the same selection, across pages, with one ``StoredPrice`` per distinct
    kept decision (billing looks each up once, by identity)."""
    from hourbridge.services.ports import EntrySelection

    ingest(ROWS)
    loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    selection = EntrySelection(approval=("approved",), billing=("unbilled", "credited"),
                               billable=True, date_to=date(2026, 8, 31))
    with loaded.uow() as uow:
        uow.entries.PAGE = 5  # several pages of 12 entries
        full = list(uow.entries.select(selection))
        lean = list(uow.entries.open_work(selection))
    assert len(full) == len(ROWS)
    assert [tuple(r) for r in lean] == [
        (r.id, r.employee, r.project, r.task, r.entity, r.contract, r.work_date,
         r.open_seconds, r.billing, r.notes, r.price) for r in full]
    assert all(type(r.work_date) is date for r in lean)
    assert all(r.price is not None and type(r.price.rate) is Decimal for r in lean)
    shared = {id(r.price) for r in lean}
    assert len(shared) == len({r.price for r in lean}) == 2  # E1 senior, E2 analyst
