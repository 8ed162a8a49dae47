"""Lineage on a real database: an entry forward to its delivered journal, an invoice backward
to its entries (paged), an event back to its document; unbilled work says why; a trace costs
the same number of statements however many entries it touches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput, NotFound
from hourbridge.formats.timefile import TimeFile
from support.firm import small_firm_bundle

from .conftest import csv_payload, load

ROWS = [
    ("h1", "E1", "P1", "DEV", "2026-08-10", "1.10", "design"),
    ("h2", "E1", "P1", "DEV", "2026-08-20", "2", "build"),
    ("h3", "E2", "P1", "DEV", "2026-08-20", "0.5", "test"),
    ("h4", "E1", "P1", "TRAVEL", "2026-08-20", "3", "train"),    # non-billable task
    ("h6", "E9", "P1", "DEV", "2026-08-21", "1", "x"),           # unknown_employee
    ("h9", "E2", "P1", "DEV", "2026-09-02", "1", "sept"),        # not approved
]


@pytest.fixture
def billed(loaded: Hourbridge, ingest: Any) -> Hourbridge:
    ingest(ROWS)
    loaded.handle(c.ApproveEntries(actor="pm", project="P1", date_to=date(2026, 8, 31)))
    loaded.handle(c.RunBilling(date(2026, 9, 30)))
    loaded.handle(c.IssueInvoices(all_drafts=True, actor="controller"))
    loaded.worker.drain()
    return loaded


@contextmanager
def statements(hb: Hourbridge) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = hb.queries.engine

    def count(*args: Any) -> None:
        seen.append(args[2])
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_billed_entry_runs_from_payload_to_delivered_journal(billed: Hourbridge) -> None:
    tr = billed.queries.trace("entry", "harvest:h1")
    assert tr["billed"] and tr["why_not_billed"] == []
    assert [i["filename"] for i in tr["inbox"]] == ["t.csv"]
    assert tr["approval"]["approved_by"] == "pm"
    (line,) = tr["priced_lines"]
    assert line["entry_seconds"] == tr["entry"]["billable_seconds"]
    assert set(line["why"]) == {"rate_card", "rate_row", "rate_rule", "rate_scope",
                                "contract_version"} and line["why"]["rate_row"]
    (invoice,) = tr["invoices"]
    assert invoice["issued_by"] == "controller" and invoice["number"]
    assert [j["source_id"] for j in tr["journal"]] == [invoice["number"]]
    assert [d["key"] for d in tr["deliveries"]] == [tr["journal"][0]["key"]]
    assert tr["deliveries"][0]["status"] == "done"
    assert tr["erp_postings"]["items"] == [] and "no ERP postings" in tr["erp_postings"]["note"]
    assert not tr["payments"]["recorded"]
    steps = [s["step"] for s in tr["timeline"]]
    assert steps.index("payload received") < steps.index("approved") < steps.index("issued")
    assert tr == billed.queries.trace("entry", str(tr["id"]))  # the id names the same


def test_unbilled_entries_say_why(billed: Hourbridge) -> None:
    assert [w["reason"] for w in billed.queries.trace("entry", "harvest:h4")[
        "why_not_billed"]] == ["non_billable"]
    assert [w["reason"] for w in billed.queries.trace("entry", "harvest:h9")[
        "why_not_billed"]] == ["not_approved"]
    never = billed.queries.trace("entry", "harvest:h6")
    assert not never["found"] and [w["reason"] for w in never["why_not_billed"]] == [
        "unknown_employee"]
    assert never["inbox"][0]["filename"] == "t.csv"


def test_hold_is_a_reason(loaded: Hourbridge, ingest: Any) -> None:
    ingest(ROWS)
    loaded.handle(c.ApproveEntries(actor="pm", project="P1", date_to=date(2026, 8, 31)))
    loaded.handle(c.PlaceHold("project", "P1", "dispute", "ar"))
    tr = loaded.queries.trace("entry", "harvest:h2")
    assert [(w["reason"], "P1" in w["message"]) for w in tr["why_not_billed"]] == [
        ("on_hold", True)]
    (hold,) = loaded.queries.holds()
    loaded.handle(c.ReleaseHold(hold["id"], "ar", "settled"))
    assert [w["reason"] for w in loaded.queries.trace("entry", "harvest:h2")[
        "why_not_billed"]] == ["awaiting_billing_run"]


def test_invoice_backward_is_paged(billed: Hourbridge) -> None:
    (inv,) = billed.queries.invoices()
    whole = billed.queries.trace("invoice", str(inv["id"]))
    billed_ids = sorted(e["id"] for e in billed.queries.entries(invoice=inv["id"]))
    assert whole["entries"]["total"] == len(billed_ids) == 3
    assert [e["id"] for e in whole["entries"]["items"]] == billed_ids
    seen: list[int] = []
    after = None
    while True:
        page = billed.queries.trace_invoice_entries(inv["id"], after=after, limit=2)
        seen += [e["id"] for e in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == billed_ids
    assert sum(ln["seconds"] for ln in whole["lines"]) == whole["entries"]["seconds"]
    assert billed.queries.trace("invoice", inv["number"])["id"] == inv["id"]


def test_credit_note_and_event_trace(billed: Hourbridge) -> None:
    (inv,) = billed.queries.invoices()
    billed.handle(c.IssueCreditNote(inv["id"], actor="ar", reason="dispute"))
    pending = billed.queries.trace("invoice", str(inv["id"]))
    # the credit note's event is queued before the worker records its journal entry
    assert [(d["subject"], d["status"]) for d in pending["deliveries"]][-1][1] == "pending"
    assert {j["source_type"] for j in pending["journal"]} == {"invoice"}
    billed.worker.drain()
    tr = billed.queries.trace("invoice", str(inv["id"]))
    (note,) = tr["credit_notes"]
    assert note["kind"] == "credit_note"
    assert {j["source_type"] for j in tr["journal"]} == {"invoice", "credit_note"}
    back = billed.queries.trace("invoice", str(note["id"]))
    assert back["credits"]["id"] == inv["id"] and back["entries"]["seconds"] < 0
    ev = billed.queries.trace("event", tr["journal"][0]["key"])
    assert ev["invoices"][0]["id"] == inv["id"] and ev["event"]["status"] == "done"
    assert billed.queries.trace("event", str(ev["id"]))["ref"] == ev["ref"]


def test_unknown_ids_are_refused_plainly(billed: Hourbridge) -> None:
    for kind, ref in (("entry", "harvest:nope"), ("entry", "999999"), ("invoice", "999999"),
                      ("event", "999999"), ("expense", "999999")):
        with pytest.raises(NotFound):
            billed.queries.trace(kind, ref)
    with pytest.raises(InvalidInput):
        billed.queries.trace("payment", "1")


def test_statements_do_not_grow_with_the_invoice(billed: Hourbridge, ingest: Any) -> None:
    (inv,) = billed.queries.invoices()
    with statements(billed) as small:
        billed.queries.trace("invoice", str(inv["id"]))
    ingest([(f"m{i}", "E1", "P1", "DEV", f"2026-10-{i % 28 + 1:02d}", "1", f"n{i}")
            for i in range(40)], name="more.csv")
    billed.handle(c.ApproveEntries(actor="pm", project="P1", date_to=date(2026, 10, 31)))
    billed.handle(c.RunBilling(date(2026, 10, 31)))
    billed.handle(c.IssueInvoices(all_drafts=True))
    billed.worker.drain()
    big = max(billed.queries.invoices(), key=lambda i: i["id"])
    with statements(billed) as large:
        tr = billed.queries.trace("invoice", str(big["id"]))
    assert tr["entries"]["total"] == 40
    assert len(large) == len(small)
    with statements(billed) as one_entry:
        billed.queries.trace("entry", "harvest:m1")
    assert len(one_entry) <= 16  # a fixed set: one statement per section


EXPENSES = ("external_id,employee,project,task,date,amount,currency,category,description,"
            "billable")


def test_expense_trace_from_payload_to_invoice(loaded: Hourbridge) -> None:
    # K1 passes expenses on at cost
    load(loaded, {"contracts": [{**small_firm_bundle()["contracts"][0],
                                 "expenses": {"billing": "at_cost"}}]})
    rows = [("x1", "E1", "P1", "DEV", "2026-08-10", "120.50", "EUR", "travel", "train", ""),
            ("x2", "E2", "P1", "DEV", "2026-08-11", "89.00", "EUR", "hotel", "inn", "")]
    payload = TimeFile.from_bytes("x.csv", "text/csv", csv_payload(rows, EXPENSES),
                                  list_key="expenses")
    loaded.handle(c.IngestExpenses("expensify", payload))
    ids = {x["external_id"]: x["id"] for x in loaded.queries.expenses()}
    loaded.handle(c.ApproveExpenses("pm", expense_ids=(ids["x1"],)))
    loaded.handle(c.RunBilling(date(2026, 8, 31)))
    billed = loaded.queries.trace("expense", "expensify:x1")
    assert billed["billed"] and billed["why_not_billed"] == []
    (line,) = billed["priced_lines"]
    (invoice,) = billed["invoices"]
    assert invoice["id"] == line["invoice"] and line["kind"] == "expense"
    assert billed["approval"]["approved_by"] == "pm"
    assert billed["inbox"][0]["filename"] == "x.csv"
    back = loaded.queries.trace("invoice", str(invoice["id"]))
    assert [x["external_id"] for x in back["expenses"]] == ["x1"]
    waiting = loaded.queries.trace("expense", str(ids["x2"]))
    assert [w["reason"] for w in waiting["why_not_billed"]] == ["not_approved"]


def test_work_a_hold_cap_keeps_open_says_so(loaded: Hourbridge, ingest: Any) -> None:
    load(loaded, {"contracts": [{**small_firm_bundle()["contracts"][0],
                                 "cap": {"hours": "2", "over_cap": "hold"}}]})
    ingest([("c1", "E1", "P1", "DEV", "2026-08-10", "2", "first"),
            ("c2", "E1", "P1", "DEV", "2026-08-11", "2", "over the cap"),
            ("c3", "E1", "P1", "DEV", "2026-09-02", "1", "after the run")])
    loaded.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert [w["reason"] for w in loaded.queries.trace("entry", "harvest:c2")[
        "why_not_billed"]] == ["awaiting_billing_run"]  # no run has reached it yet
    run = loaded.handle(c.RunBilling(date(2026, 8, 31)))
    assert [s["reason"] for s in run.skipped] == ["over_cap"]
    (why,) = loaded.queries.trace("entry", "harvest:c2")["why_not_billed"]
    assert why["reason"] == "over_cap" and "2 h" in why["message"]
    assert [w["reason"] for w in loaded.queries.trace("entry", "harvest:c3")[
        "why_not_billed"]] == ["awaiting_billing_run"]  # beyond the run's date


def test_erp_posting_attempts_join_the_trace(billed: Hourbridge) -> None:
    from hourbridge.store import tables as tb  # the attempt as services.erp records it

    (inv,) = billed.queries.invoices()
    journal_key = billed.queries.trace("invoice", str(inv["id"]))["journal"][0]["key"]
    at = billed.clock()
    with billed.engine.begin() as conn:
        for attempt, status in ((1, "failed"), (2, "posted")):
            conn.execute(tb.erp_postings.insert().values(
                destination="odoo", kind="invoice", external_id=inv["number"],
                key=f"erp:odoo:{journal_key}", attempt=attempt, status=status,
                erp_id="42" if status == "posted" else None, started_at=at, finished_at=at))
    for tr in (billed.queries.trace("invoice", str(inv["id"])),
               billed.queries.trace("entry", "harvest:h1")):
        assert [(p["attempt"], p["status"]) for p in tr["erp_postings"]["items"]] == [
            (1, "failed"), (2, "posted")]
    other = billed.queries.trace("entry", "harvest:h4")  # non-billable: no document
    assert other["erp_postings"]["items"] == []
