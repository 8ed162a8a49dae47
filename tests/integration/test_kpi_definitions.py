"""The KPI statements (``store/queries/kpis.py``) against their written definitions
(docs/KPIS.md) computed in plain Python from the raw rows, on random data, on SQLite and
PostgreSQL: random entries (employees, billable and non-billable tasks, dates, hours),
approved in random batches on different days, billed and issued in two runs, one invoice
paid and one credited. Whatever a faster path does later (indexes, summaries), these must
stay equal."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from support.api import api_client
from support.firm import small_firm_bundle

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


def _day(value: Any) -> date:
    """A stored date or instant as its UTC date (SQLite gives text, PostgreSQL objects)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _rows(hb: Any, sql: str) -> list[Any]:
    with hb.engine.connect() as conn:
        return list(conn.execute(text(sql)))


def test_kpi_statements_equal_their_plain_definitions(database_url: str) -> None:
    rng = random.Random(15)
    clock = Clock()
    hb = bootstrap(Settings(database_url=database_url), clock=clock)
    try:
        days = [date(2026, 7, 1) + timedelta(days=i) for i in range(92)]
        rows = [{"external_id": f"r{i}", "employee": rng.choice(("E1", "E2")),
                 "project": "P1", "task": rng.choice(("DEV", "DEV", "DEV", "TRAVEL")),
                 "work_date": rng.choice(days).isoformat(),
                 "hours": str(Decimal(rng.randint(1, 32)) / 4)} for i in range(80)]
        with api_client(hb) as client:
            assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
            assert client.post("/v1/time-entries", json={"source": "t", "time_entries": rows}
                               ).status_code == 201
        ids = [r.id for r in _rows(hb, "SELECT id FROM time_entries ORDER BY id")]
        rng.shuffle(ids)
        for k, batch in enumerate((ids[:30], ids[30:55], ids[55:70])):  # 10 stay pending
            clock.at = START + timedelta(days=3 * k, hours=k)
            hb.handle(c.ApproveEntries(actor="pm", entry_ids=tuple(batch)))
        for at, through in ((START + timedelta(days=12), date(2026, 8, 31)),
                            (START + timedelta(days=20), date(2026, 9, 15))):
            clock.at = at
            hb.handle(c.RunBilling(through=through))
            hb.handle(c.IssueInvoices(all_drafts=True))
        first_invoice = min(r.id for r in _rows(hb, "SELECT id FROM invoices"))
        clock.at = START + timedelta(days=25)
        hb.handle(c.IssueCreditNote(first_invoice, actor="fin", reason="dispute",
                                    mode="rebill"))
        _compare(hb, date(2026, 7, 1), date(2026, 10, 31), date(2026, 10, 26))
        _compare(hb, date(2026, 8, 1), date(2026, 8, 31), date(2026, 8, 31))
    finally:
        hb.close()


def _compare(hb: Any, first: date, last: date, as_of: date) -> None:
    q = hb.queries
    entries = _rows(hb, "SELECT te.*, p.customer AS customer FROM time_entries te "
                        "JOIN projects p ON p.code = te.project")
    # work -> approved: entries worked in the period and approved
    want = Counter((e.entity, e.customer, (_day(e.approved_at) - _day(e.work_date)).days)
                   for e in entries if e.approval == "approved" and e.approved_at is not None
                   and first <= _day(e.work_date) <= last)
    got = Counter({(r["entity"], r["customer"], r["days"]): r["count"]
                   for r in q.kpi_approval_lag(first, last, None)})
    assert got == want and sum(want.values()) > 0

    # -> invoiced: each (invoice, entry) part of invoices issued in the period
    parts = _rows(hb, "SELECT i.entity, i.customer, i.issue_date, li.entry, li.seconds "
                      "FROM invoices i JOIN invoice_lines l ON l.invoice = i.id "
                      "JOIN invoice_line_entries li ON li.line = l.id "
                      "WHERE i.kind = 'invoice' AND i.status IN ('issued', 'posted', 'paid')")
    by_id = {e.id: e for e in entries}
    for since in ("work", "approved"):
        want = Counter()
        for p in parts:
            e = by_id[p.entry]
            if p.seconds > 0 and e.approved_at is not None and \
                    first <= _day(p.issue_date) <= last:
                start = _day(e.work_date) if since == "work" else _day(e.approved_at)
                want[(p.entity, p.customer, (_day(p.issue_date) - start).days)] += 1
        got = Counter({(r["entity"], r["customer"], r["days"]): r["count"]
                       for r in q.kpi_invoice_lag(first, last, None, since=since)})
        assert got == want, since

    # WIP: approved billable work open for billing, worked by as_of, by age bucket
    wip: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for e in entries:
        if e.approval == "approved" and e.billable and e.billing in (
                "unbilled", "credited", "on_draft") and _day(e.work_date) <= as_of:
            age = (as_of - _day(e.work_date)).days
            bucket = ("0-30" if age <= 30 else "31-60" if age <= 60 else "61-90"
                      if age <= 90 else "90+")
            cell = wip[(e.entity, e.wip_currency or "", bucket)]
            cell[0] += 1
            cell[1] += e.billable_seconds - e.relieved_seconds
            cell[2] += Decimal(str(e.wip_amount or 0)) - Decimal(str(e.wip_relieved or 0))
    got_wip = {(r["entity"], r["currency"], r["bucket"]): [r["entries"], r["seconds"],
                                                          r["value"]]
               for r in q.kpi_wip(as_of, None)}
    assert got_wip == dict(wip)

    # hours by employee: live entries worked in the period, all and billable
    worked: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in entries:
        if e.deleted_at is None and first <= _day(e.work_date) <= last:
            worked[e.employee][0] += e.worked_seconds
            worked[e.employee][1] += e.worked_seconds if e.billable else 0
    got_hours = {r["employee"]: [r["worked_seconds"], r["billable_seconds"]]
                 for r in q.kpi_hours_by_employee(first, last, None)
                 if r["worked_seconds"] or r["billable_seconds"]}
    assert got_hours == dict(worked)

    # entries stored in the period, per source
    start, end = (datetime(first.year, first.month, first.day, tzinfo=UTC),
                  datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1))
    taken = Counter(e.source for e in entries
                    if start.date() <= _day(e.created_at) < end.date())
    assert q.kpi_entries_taken(first, last) == dict(taken)

    # receivables (DSO): owed at the period's end net of payments and credits
    docs = _rows(hb, "SELECT * FROM invoices WHERE status IN ('issued', 'posted', 'paid')")
    owed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for d in docs:
        if d.kind == "invoice" and _day(d.issue_date) <= last:
            credited = sum((abs(Decimal(str(n.total))) for n in docs
                            if n.kind == "credit_note" and n.credits == d.id
                            and _day(n.issue_date) <= last), Decimal(0))
            owed[(d.entity, d.currency)] += max(Decimal(0), Decimal(str(d.total)) - credited)
    got_owed = {(r["entity"], r["currency"]): r["receivable"]
                for r in q.kpi_receivables(first, last, None)}
    assert got_owed == dict(owed)
    print(f"kpi definitions {first}..{last}: {len(entries)} entries, {len(parts)} billed "
          f"parts, {len(docs)} documents; statements equal the plain definitions")
