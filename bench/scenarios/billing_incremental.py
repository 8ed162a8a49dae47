"""Billing 100 new entries after N invoiced (issue 16, item 4): the run must cost what the
increment costs, flat however much history is stored.

Not timed: fresh database, master data, ``hourbridge ingest`` of ``entries.csv`` (N entries),
``hourbridge approve``, ``hourbridge bill`` and ``hourbridge invoices issue --all`` of all of
them (the history). Then, ``ROUNDS`` times: 100 new billable entries are ingested by the CLI and
approved in-process, untimed, and

- limit (timed): the billing scenario's ``SUM(billable_seconds / 3600 * rate) GROUP BY
  contract, month`` over the approved, unbilled, billable rows (now the new ones only), with
  the rate looked up in the data set's ``expected.csv`` rates loaded into ``bench_rates``;
- ours (timed, in-process, CLI start-up not counted): ``RunBilling`` through
  ``Hourbridge.handle`` (select, price, plan, write drafts, lines and links, move the entries
  to on_draft, compare the standing with the last run, commit).

The increment has the same shape at every size, so the figure shows what history costs and
nothing else: copies (new ids and notes) of the data set's first billable rows that fall in its
first ``MONTHS_PER_ROUND`` distinct contract-months, in file order. Copies of simply the first
100 rows would not do: the data set's firm grows with N, so its first 100 rows are 100
consultants on one day at 1M (about 90 contract-months, so 90 drafts) but a few days of fewer
consultants at 10k (19 contract-months), and the per-draft work would pass for growth with N.
The metrics say how many drafts each round made (``drafts_per_round``).

On PostgreSQL the untimed set-up ends with ``VACUUM (ANALYZE)`` of the database, as in the
approval scenario: issuing N entries leaves N dead versions of them (and of their drafts),
whose entries stay in the open-work index until a vacuum, and a server with autovacuum on
(the default; the test server runs without it) vacuums after that many updates. Without
it every round's contract look-up read past them: at 1M, 2.6 ms for the statement that
takes 0.55 ms after the vacuum (a cost of the bulk issue, not of the 100 new entries).

After each round the new drafts are issued (untimed), so the history stays invoiced. Ratio =
median of ours / median of limit; goal <= 10 ms for ours, reported so growth with N is
visible between runs at 10k, 100k and 1M.
"""

from __future__ import annotations

import csv
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from ..common import (
    Context,
    Database,
    log,
    now_iso,
    result,
    run_cli,
    timed_handle,
)
from ..stages import stages_of
from .approval import NEW
from .billing import LIMIT_SQL, _load_rates

GOAL_MS = 10.0
ROUNDS = 9  # as approval (see there)
MONTHS_PER_ROUND = 20  # contract-months of one increment (19 in the first 100 rows at 10k)


def _limit(db: Database, through: str) -> tuple[float, int]:
    conn = db.connect()
    try:
        t0 = time.perf_counter()
        rows = conn.execute(LIMIT_SQL[db.kind], (through,)).fetchall()
        seconds = time.perf_counter() - t0
        conn.rollback()
    finally:
        conn.close()
    return seconds, sum(int(r[3]) for r in rows)


def _increment(ctx: Context) -> tuple[list[list[str]], int]:
    """The rows every round copies: the first ``NEW`` billable rows (``expected.csv`` lists
    the billable ones with contract and month) among the first ``MONTHS_PER_ROUND``
    contract-months met in file order; and how many contract-months they fall in."""
    ds = ctx.dataset
    with ds.expected_csv.open(encoding="utf-8", newline="") as src:
        reader = csv.reader(src)
        header = next(reader)
        c, m = header.index("contract"), header.index("month")
        month_of = {row[0]: (row[c], row[m]) for row in reader}
    months: set[tuple[str, str]] = set()
    picked: list[list[str]] = []
    with ds.entries_csv.open(encoding="utf-8", newline="") as src:
        reader = csv.reader(src)
        next(reader)
        for row in reader:
            key = month_of.get(row[0])
            if key is None or (key not in months and len(months) == MONTHS_PER_ROUND):
                continue
            months.add(key)
            picked.append(row)
            if len(picked) == NEW:
                break
    return picked, len(months)


def _new_rows(ctx: Context, round_: int, rows: list[list[str]]) -> tuple[Path, dict[str, str]]:
    """This round's copies of ``rows`` as a CSV, and which data-set row each new id copies."""
    path = ctx.path("billing_incremental", f"new-{round_}.csv")
    copied: dict[str, str] = {}
    with ctx.dataset.entries_csv.open(encoding="utf-8", newline="") as src, \
            path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(next(csv.reader(src)))
        for i, row in enumerate(rows):
            new_id = f"NEW{round_}-{i}"
            copied[row[0]] = new_id
            writer.writerow([new_id, *row[1:-1], f"{row[-1]} (new {round_}-{i})"])
    return path, copied


def _add_rates(db: Database, copied: dict[str, str]) -> None:
    """The new rows bill at the rates of the rows they copy: their bench_rates rows too."""
    p = "?" if db.kind == "sqlite" else "%s"
    conn = db.connect()
    try:
        found = conn.execute(
            "SELECT external_id, contract, month, billable_seconds, rate, currency "
            f"FROM bench_rates WHERE external_id IN ({', '.join([p] * len(copied))})",
            list(copied)).fetchall()
        cur = conn.cursor()
        cur.executemany(f"INSERT INTO bench_rates VALUES ({', '.join([p] * 6)})",
                        [(copied[r[0]], *r[1:]) for r in found])
        conn.commit()
    finally:
        conn.close()


def incremental(ctx: Context, kind: str) -> dict[str, Any]:
    from hourbridge.bootstrap import bootstrap
    from hourbridge.config import Settings
    from hourbridge.domain.commands import ApproveEntries, IssueInvoices, RunBilling

    started, t_start = now_iso(), time.perf_counter()
    ds = ctx.dataset
    through = ds.through
    notes: list[str] = []
    log(f"billing-incremental on {kind}: ingest, approve, bill, issue {ds.entries:,} "
        "entries (not timed)")
    db, setup, _ = stages_of(ctx).fresh(kind, "billing_incremental", "issued")
    ours: list[float] = []
    limits: list[float] = []
    cpus: list[float] = []
    statements: list[int] = []
    billed: list[int] = []
    expected: list[int] = []
    drafts: list[int] = []
    increment, months = _increment(ctx)
    try:
        db.vacuum()  # see the module docstring
        _load_rates(db, ds.expected_csv)
        hb = bootstrap(Settings(database_url=db.url), upgrade=False)
        try:
            for round_ in range(ROUNDS):
                path, copied = _new_rows(ctx, round_, increment)
                run_cli(ctx, db, "ingest", "--source", "bench", path, "--json")
                hb.handle(ApproveEntries("bench", date_from=date(1900, 1, 1)))
                _add_rates(db, copied)
                seconds, entries = _limit(db, through)
                limits.append(seconds)
                expected.append(entries)
                wall, cpu, sent, report = timed_handle(hb, RunBilling(date.fromisoformat(through)))
                ours.append(wall)
                cpus.append(cpu)
                statements.append(sent)
                billed.append(report.entries_billed)
                drafts.append(len(report.invoices))
                hb.handle(IssueInvoices(all_drafts=True, actor="bench"))
        finally:
            hb.close()
    finally:
        if not ctx.keep:
            db.drop()
    correct = billed == expected and all(0 < n <= NEW for n in billed)
    if not correct:
        notes.append(f"billed per round {billed}, the limit counted {expected}")
    ours_s, limit_s = statistics.median(ours), statistics.median(limits)
    cpu_s = statistics.median(cpus)
    log(f"billing-incremental on {kind}: ours {ours_s * 1000:.1f} ms (CPU {cpu_s * 1000:.1f} "
        f"ms, {statements[-1]} statements), limit {limit_s * 1000:.2f} ms")
    notes.append(f"ours in-process (no CLI start-up); median of {ROUNDS} rounds of {NEW} new "
                 f"billable entries each in the same {months} contract-months at every size, "
                 "after N billed and issued")
    return result(
        "billing-incremental", kind, ds.entries, started, time.perf_counter() - t_start,
        metrics={"bill_ms": round(ours_s * 1000, 2),
                 "bill_ms_rounds": [round(s * 1000, 2) for s in ours],
                 "cpu_ms": round(cpu_s * 1000, 2),
                 "cpu_ms_rounds": [round(s * 1000, 2) for s in cpus],
                 "statements_rounds": statements,
                 "billed_per_round": billed, "drafts_per_round": drafts,
                 "increment_contract_months": months, "stored_before": ds.entries,
                 "vacuumed_after_setup": kind == "postgres", **setup},
        limit={"method": "SUM(hours * rate) GROUP BY contract, month over the new rows",
               "seconds": round(limit_s, 5),
               "ms_rounds": [round(s * 1000, 3) for s in limits]},
        ratio=ours_s / limit_s, goal=f"<= {GOAL_MS:g} ms",
        met=ours_s * 1000 <= GOAL_MS and correct,
        notes=notes, ours=f"{ours_s * 1000:.1f} ms for {NEW} new entries",
        limit_text=f"{limit_s * 1000:.2f} ms")


UNITS = (("billing-incremental", incremental, f"<= {GOAL_MS:g} ms"),)
