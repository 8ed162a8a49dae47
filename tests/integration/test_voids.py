"""Voids: a draft goes away without a number; an issued invoice keeps its number in the
sequence with status void, its posting is reversed and its work bills again; every refusal
says why and what to do instead."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.domain.einvoice import from_record
from hourbridge.errors import Conflict, InvalidInput, NotFound

ROWS = [
    ("h1", "E1", "P1", "DEV", "2026-08-10", "1.10", "design"),  # 1.25 h at 150 = 187.50
    ("h2", "E1", "P1", "DEV", "2026-08-20", "2", "build"),      # 2 h at 165 = 330.00
    ("h3", "E2", "P1", "DEV", "2026-08-20", "0.5", "test"),     # 0.5 h at 90 = 45.00
]


def _draft(hb: Hourbridge, ingest: Any) -> dict[str, Any]:
    ingest(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    return dict(inv)


def _balances(hb: Hourbridge) -> dict[str, Decimal]:
    hb.worker.drain()
    return {r["account"]: Decimal(r["balance"]) for r in hb.queries.trial_balance()}


def _entries(hb: Hourbridge) -> dict[str, dict[str, Any]]:
    return {e["external_id"]: e for e in hb.queries.entries(limit=1000)}


def test_voiding_a_draft_consumes_no_number_and_the_work_bills_again(
        loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    draft = _draft(hb, ingest)
    with pytest.raises(InvalidInput, match="reason"):
        hb.handle(c.VoidInvoice(draft["id"], "finance", "  "))
    report = hb.handle(c.VoidInvoice(draft["id"], "finance", "billed the wrong month"))
    assert report.as_dict()["was"] == "draft" and report.number is None
    assert report.seconds == 4500 + 7200 + 1800 and report.journal_key is None
    voided = hb.queries.invoice(draft["id"])
    assert voided is not None
    assert (voided["status"], voided["number"], voided["voided_by"], voided["void_reason"]) == (
        "void", None, "finance", "billed the wrong month")
    assert {(e["billing"], e["billed_seconds"]) for e in _entries(hb).values()} == {
        ("unbilled", 0)}
    [again] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert (again["net"], again["entries"]) == (draft["net"], 3)
    issued = hb.handle(c.IssueInvoices(all_drafts=True))
    assert [i["number"] for i in issued.issued] == ["DE-000001"]  # the void took no number
    with pytest.raises(Conflict) as err:
        hb.handle(c.VoidInvoice(draft["id"], "finance", "again"))
    assert err.value.code == "invoice_already_void"
    with pytest.raises(NotFound):
        hb.handle(c.VoidInvoice(999_999, "finance", "nothing"))


def test_voiding_an_issued_invoice_reverses_its_posting_and_keeps_its_number(
        loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    draft = _draft(hb, ingest)
    [issued] = hb.handle(c.IssueInvoices(invoice_ids=(draft["id"],))).issued
    assert _balances(hb)["1200"] == Decimal("669.38")
    report = hb.handle(c.VoidInvoice(draft["id"], "controller", "sent to the wrong customer"))
    assert (report.number, str(report.wip_restored)) == ("DE-000001", "562.50")
    assert report.journal_key == "invoice-voided:DE:DE-000001"
    voided = hb.queries.invoice(draft["id"])
    assert voided is not None
    assert (voided["status"], voided["number"], voided["void_date"]) == (
        "void", "DE-000001", "2026-11-02")
    assert [i["status"] for i in hb.queries.invoices(status="void")] == ["void"]
    balances = _balances(hb)
    # the receivable and the tax are gone, the work is WIP again at its approved value
    assert balances == {"1200": Decimal("0.00"), "1210": Decimal("562.50"),
                        "2200": Decimal("0.00"), "4000": Decimal("-562.50")}
    reversal = next(j for j in hb.queries.journal() if j["key"] == report.journal_key)
    assert reversal["source_type"] == "invoice_void"
    assert {e["billing"] for e in _entries(hb).values()} == {"unbilled"}
    assert not any(e["locked"] for e in _entries(hb).values())

    with pytest.raises(Conflict) as err:  # a void is never credited
        hb.handle(c.IssueCreditNote(draft["id"], "finance", "credit the void"))
    with pytest.raises(Conflict) as err:
        from_record(hb.queries.einvoice_data(draft["id"]) or {})
    assert err.value.code == "invoice_void"

    [rebill] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert Decimal(rebill["net"]) == Decimal(issued["net"])
    [second] = hb.handle(c.IssueInvoices(all_drafts=True)).issued
    assert second["number"] == "DE-000002"
    balances = _balances(hb)
    assert balances["1210"] == 0 and balances["1200"] == Decimal("669.38")
    assert sum(balances.values()) == 0
    [check] = hb.queries.sequence_check()
    assert check == {"entity": "DE", "last_number": 2, "documents": 2, "voids": 1,
                     "missing": [], "duplicated": [], "gapless": True}


def test_refusals_name_the_reason_and_point_to_a_credit_note(
        loaded: Hourbridge, ingest: Any, load_bundle: Any,
        small_bundle: dict[str, Any]) -> None:
    hb = loaded
    draft = _draft(hb, ingest)
    hb.handle(c.IssueInvoices(invoice_ids=(draft["id"],)))
    inv = hb.queries.invoice(draft["id"])
    assert inv is not None
    note = hb.handle(c.IssueCreditNote(draft["id"], "finance", "half an hour disputed",
                                       ((inv["lines"][0]["line_no"], 1800),), "write_off"))
    with pytest.raises(Conflict, match="credit note") as err:
        hb.handle(c.VoidInvoice(draft["id"], "finance", "withdraw"))
    assert err.value.code == "invoice_credited" and note.number in str(err.value)
    with pytest.raises(Conflict) as err:
        hb.handle(c.VoidInvoice(note.id, "finance", "withdraw the credit"))
    assert err.value.code == "credit_note_not_voidable"

    # a second invoice, issued on 2026-11-02; then the books close through 2026-11-05
    ingest([("h9", "E2", "P1", "DEV", "2026-09-02", "1", "sept")], name="sept.csv")
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    [sept] = hb.handle(c.RunBilling(date(2026, 9, 30))).invoices
    hb.handle(c.IssueInvoices(invoice_ids=(sept["id"],)))
    small_bundle["entities"][0]["lock_date"] = "2026-11-05"
    load_bundle(small_bundle)
    with pytest.raises(Conflict, match="credit note") as err:
        hb.handle(c.VoidInvoice(sept["id"], "finance", "withdraw",
                                void_date=date(2026, 11, 9)))
    assert err.value.code == "invoice_period_closed"
    assert hb.queries.invoice(sept["id"])["status"] == "issued"  # type: ignore[index]
    assert all(check["gapless"] for check in hb.queries.sequence_check())
    assert sum(_balances(hb).values()) == 0
