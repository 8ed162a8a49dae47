"""Source changes and deletions of invoiced work become correction proposals; nothing on an
invoice changes until one is applied, and then only through a credit note, an adjustment
line on the next invoice or a voided draft. The ledger balances and agrees with the
sub-ledgers throughout."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.domain.einvoice import from_record, render_cii, render_ubl
from hourbridge.errors import Conflict, InvalidInput, NotFound
from hourbridge.formats.timefile import TimeFile

ROWS = [
    ("h1", "E1", "P1", "DEV", "2026-08-10", "1.10", "design"),  # 1.25 h at 150 = 187.50
    ("h2", "E1", "P1", "DEV", "2026-08-20", "2", "build"),      # 2 h at 165 = 330.00
    ("h3", "E2", "P1", "DEV", "2026-08-20", "0.5", "test"),     # 0.5 h at 90 = 45.00
]
REVISED = "external_id,employee,project,task,date,hours,notes,revision"


def send(hb: Hourbridge, body: str, name: str) -> Any:
    file = TimeFile.from_bytes(name, "text/csv", body.encode())
    return hb.handle(c.IngestTimeEntries("harvest", file))


def revise(hb: Hourbridge, row: tuple[Any, ...], name: str = "r2.csv") -> Any:
    return send(hb, f"{REVISED}\n{','.join(map(str, row))}\n", name)


def delete(hb: Hourbridge, external_id: str, revision: int = 2) -> Any:
    return send(hb, f"external_id,deleted,revision\n{external_id},true,{revision}\n",
                f"del-{external_id}-{revision}.csv")


def entries(hb: Hourbridge) -> dict[str, dict[str, Any]]:
    return {e["external_id"]: e for e in hb.queries.entries(limit=1000)}


def issued(hb: Hourbridge, ingest: Any) -> dict[str, Any]:
    ingest(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    hb.handle(c.IssueInvoices(invoice_ids=(inv["id"],)))
    detail = hb.queries.invoice(inv["id"])
    assert detail is not None
    return detail


def books(hb: Hourbridge) -> dict[str, Decimal]:
    """Post everything, then check the ledger against the sub-ledgers (as the property test
    does): WIP against the entries, receivables against the standing documents."""
    assert hb.worker.drain().dead == 0
    balances = {r["account"]: Decimal(r["balance"]) for r in hb.queries.trial_balance()}
    assert sum(balances.values()) == 0
    docs = [i for i in hb.queries.invoices() if i["status"] == "issued"]
    receivable = sum((Decimal(d["total"]) * (1 if d["kind"] == "invoice" else -1)
                      for d in docs), Decimal(0))
    assert balances.get("1200", Decimal(0)) == receivable
    with hb.engine.connect() as conn:
        from sqlalchemy import select

        from hourbridge.store import tables as t

        rows = conn.execute(select(t.time_entries)).all()
        le, li, inv = t.invoice_line_entries, t.invoice_lines, t.invoices
        links = conn.execute(  # a void keeps its lines and links, but they bill nothing
            select(le.c.entry, le.c.seconds).join(li, li.c.id == le.c.line)
            .join(inv, inv.c.id == li.c.invoice).where(inv.c.status != "void")).all()
    wip = sum(((e.wip_amount or 0) - (e.wip_relieved or 0) for e in rows
               if e.approval == "approved"), Decimal(0))
    assert balances.get("1210", Decimal(0)) == wip
    for e in rows:  # billed seconds are exactly what live links carry
        assert sum(ln.seconds for ln in links if ln.entry == e.id) == e.billed_seconds
    return balances


def test_a_change_to_invoiced_work_is_proposed_then_credited_and_rebilled(
        loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    inv = issued(hb, ingest)
    report = revise(hb, ("h2", "E1", "P1", "DEV", "2026-08-20", "3", "build", 2))
    assert (report.corrections, report.rejected, report.revised) == (1, 0, 0)
    assert hb.queries.exceptions() == []  # a proposal, not a bare exception
    [proposal] = hb.queries.corrections()
    line = next(ln for ln in inv["lines"] if ln["rate_row"] == "senior-2")
    assert (proposal["kind"], proposal["action"], proposal["policy"]) == (
        "changed", "credit_and_rebill", "credit_and_rebill")
    assert (proposal["invoice_number"], proposal["line_no"], proposal["billed_seconds"]) == (
        "DE-000001", line["line_no"], 7200)
    assert (proposal["old_amount"], proposal["new_amount"], proposal["difference"]) == (
        "330.00", "495.00", "165.00")
    assert proposal["changes"] == {"worked_seconds": [7200, 10800],
                                   "billable_seconds": [7200, 10800]}
    # nothing moved yet: the entry and the invoice are as they were
    assert entries(hb)["h2"]["worked_seconds"] == 7200
    assert hb.queries.invoice(inv["id"]) == inv

    applied = hb.handle(c.ApplyCorrection(proposal["id"], "controller", "agreed with client"))
    [note] = applied.outcome["credit_notes"]
    assert (applied.action, note["number"], note["net"], note["seconds"]) == (
        "credit_and_rebill", "DE-000002", "330.00", 7200)
    h2 = entries(hb)["h2"]
    assert (h2["worked_seconds"], h2["billable_seconds"], h2["billing"], h2["revision"]) == (
        10800, 10800, "credited", 2)
    assert hb.queries.invoice(inv["id"])["lines"] == inv["lines"]  # type: ignore[index]
    [rebill] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert (rebill["net"], rebill["entries"]) == ("495.00", 1)
    hb.handle(c.IssueInvoices(all_drafts=True))
    balances = books(hb)
    assert balances["1210"] == 0
    assert balances["4090"] == Decimal("-165.00")  # the re-valued work, visible on its own
    with pytest.raises(Conflict) as err:
        hb.handle(c.ApplyCorrection(proposal["id"], "controller"))
    assert err.value.code == "correction_closed"
    # the correction's credit note is an EN 16931 credit note like any other
    record = hb.queries.einvoice_data(note["id"])
    assert record is not None
    document = from_record(record)
    assert render_ubl(document) and render_cii(document)


@pytest.mark.parametrize(("hours", "seconds", "difference"), [
    ("1", -3600, "-165.00"),   # less work: a negative line
    ("2.5", 1800, "82.50"),    # more work: a positive one
])
def test_next_invoice_adjustment_bills_the_priced_difference_on_the_next_invoice(
        loaded: Hourbridge, ingest: Any, load_bundle: Any, small_bundle: dict[str, Any],
        hours: str, seconds: int, difference: str) -> None:
    hb = loaded
    small_bundle["contracts"][0]["correction_policy"] = "next_invoice_adjustment"
    load_bundle(small_bundle)
    inv = issued(hb, ingest)
    revise(hb, ("h2", "E1", "P1", "DEV", "2026-08-20", hours, "build", 2))
    [proposal] = hb.queries.corrections()
    assert (proposal["action"], proposal["difference"]) == ("next_invoice_adjustment",
                                                            difference)
    applied = hb.handle(c.ApplyCorrection(proposal["id"], "controller"))
    assert applied.outcome["credit_notes"] == []
    assert len(hb.queries.invoices()) == 1  # no document until the next run
    h2 = entries(hb)["h2"]
    assert (h2["billable_seconds"], h2["billed_seconds"], h2["billing"]) == (
        7200 + seconds, 7200, "invoiced")
    [nxt] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert nxt["net"] == difference
    detail = hb.queries.invoice(nxt["id"])
    assert detail is not None
    [line] = detail["lines"]
    assert (line["seconds"], line["amount"]) == (seconds, difference)
    assert line["entries"] == [{"entry": h2["id"], "seconds": seconds}]
    assert "correction of entry h2 billed on DE-000001" in line["description"]
    [settled] = hb.queries.corrections(status="applied")
    assert (settled["adjustment_invoice"], settled["adjustment_line_no"]) == (nxt["id"], 1)
    assert hb.handle(c.RunBilling(date(2026, 8, 31))).invoices == []  # owed once
    hb.handle(c.IssueInvoices(all_drafts=True))
    assert entries(hb)["h2"]["billed_seconds"] == 7200 + seconds
    balances = books(hb)
    assert balances["1210"] == 0
    expected = Decimal(inv["net"]) + Decimal(difference)
    assert -(balances["4000"] + balances.get("4090", Decimal(0))) == expected


def test_voiding_the_adjustment_draft_owes_the_adjustment_again(
        loaded: Hourbridge, ingest: Any, load_bundle: Any,
        small_bundle: dict[str, Any]) -> None:
    hb = loaded
    small_bundle["contracts"][0]["correction_policy"] = "next_invoice_adjustment"
    load_bundle(small_bundle)
    issued(hb, ingest)
    revise(hb, ("h2", "E1", "P1", "DEV", "2026-08-20", "1", "build", 2))
    [proposal] = hb.queries.corrections()
    hb.handle(c.ApplyCorrection(proposal["id"], "controller"))
    [draft] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    hb.handle(c.VoidInvoice(draft["id"], "finance", "wait for month end"))
    assert entries(hb)["h2"]["billed_seconds"] == 7200
    [again] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert again["net"] == "-165.00"
    books(hb)


def test_reject_leaves_everything_as_invoiced(loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    inv = issued(hb, ingest)
    revise(hb, ("h1", "E1", "P1", "DEV", "2026-08-11", "1.10", "design", 2))
    [proposal] = hb.queries.corrections()
    assert proposal["changes"] == {"work_date": ["2026-08-10", "2026-08-11"]}
    assert proposal["difference"] == "0.00"
    with pytest.raises(InvalidInput):
        hb.handle(c.RejectCorrection(proposal["id"], "controller", " "))
    with pytest.raises(NotFound):
        hb.handle(c.RejectCorrection(999, "controller", "x"))
    rejected = hb.handle(c.RejectCorrection(proposal["id"], "controller", "tracker typo"))
    assert rejected.status == "rejected"
    [closed] = hb.queries.corrections(status="rejected")
    assert (closed["decided_by"], closed["note"]) == ("controller", "tracker typo")
    assert entries(hb)["h1"]["work_date"] == "2026-08-10"
    assert hb.queries.invoice(inv["id"]) == inv
    with pytest.raises(Conflict) as err:
        hb.handle(c.ApplyCorrection(proposal["id"], "controller"))
    assert err.value.code == "correction_closed"
    books(hb)


def test_a_later_revision_supersedes_the_open_proposal(loaded: Hourbridge,
                                                        ingest: Any) -> None:
    hb = loaded
    issued(hb, ingest)
    revise(hb, ("h3", "E2", "P1", "DEV", "2026-08-20", "1", "test", 2))
    revise(hb, ("h3", "E2", "P1", "DEV", "2026-08-20", "1.5", "test", 3), "r3.csv")
    [superseded] = hb.queries.corrections(status="superseded")
    [current] = hb.queries.corrections()
    assert superseded["id"] < current["id"]
    assert current["difference"] == "90.00"  # 1.5 h at 90 less the 45.00 invoiced


def test_deletion_at_the_source(loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    inv = issued(hb, ingest)
    ingest([("u1", "E2", "P1", "DEV", "2026-08-21", "1", "draft work")], name="u.csv")
    gone = delete(hb, "u1")  # never approved: kept, marked deleted, never billed
    assert (gone.deleted, gone.corrections) == (1, 0)
    u1 = entries(hb)["u1"]
    assert (u1["approval"], u1["billing"], u1["deleted_at"] is not None) == (
        "rejected", "non_billable", True)
    assert delete(hb, "u1", 3).unchanged == 1
    assert delete(hb, "never-seen").unchanged == 1

    report = delete(hb, "h3")
    assert report.corrections == 1
    [proposal] = hb.queries.corrections()
    assert (proposal["kind"], proposal["changes"], proposal["difference"]) == (
        "deleted", {"deleted": [False, True]}, "-45.00")
    applied = hb.handle(c.ApplyCorrection(proposal["id"], "controller"))
    [note] = applied.outcome["credit_notes"]
    assert (note["net"], note["seconds"]) == ("45.00", 1800)
    h3 = entries(hb)["h3"]
    assert (h3["billing"], h3["billable"], h3["worked_seconds"]) == ("non_billable", False, 1800)
    assert h3["deleted_at"] is not None
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert hb.handle(c.RunBilling(date(2026, 8, 31))).invoices == []  # nothing to rebill
    balances = books(hb)
    assert balances["1200"] == Decimal(inv["total"]) - Decimal(note["total"])


def test_a_change_while_only_on_a_draft_redrafts(loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    ingest(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    [draft] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    revise(hb, ("h3", "E2", "P1", "DEV", "2026-08-20", "1", "test", 2))
    [proposal] = hb.queries.corrections()
    assert (proposal["action"], proposal["invoice"], proposal["difference"]) == (
        "redraft", draft["id"], "45.00")
    applied = hb.handle(c.ApplyCorrection(proposal["id"], "pm"))
    assert applied.action == "redraft"
    assert [v["id"] for v in applied.outcome["voided_drafts"]] == [draft["id"]]
    assert hb.queries.invoice(draft["id"])["status"] == "void"  # type: ignore[index]
    [redraft] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert redraft["net"] == "607.50"  # 562.50 with h3 now 1 h at 90
    issued_now = hb.handle(c.IssueInvoices(all_drafts=True)).issued
    assert [i["number"] for i in issued_now] == ["DE-000001"]
    books(hb)


def test_a_proposal_whose_invoice_was_voided_meanwhile_just_takes_the_revision(
        loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    inv = issued(hb, ingest)
    revise(hb, ("h1", "E1", "P1", "DEV", "2026-08-10", "2", "design", 2))
    hb.handle(c.VoidInvoice(inv["id"], "finance", "withdrawn"))
    [proposal] = hb.queries.corrections()
    applied = hb.handle(c.ApplyCorrection(proposal["id"], "controller"))
    assert (applied.action, applied.outcome["credit_notes"]) == ("revise", [])
    [rebill] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert rebill["net"] == "675.00"  # h1 now 2 h at 150
    hb.handle(c.IssueInvoices(all_drafts=True))
    assert books(hb)["1210"] == 0
    assert all(check["gapless"] for check in hb.queries.sequence_check())
