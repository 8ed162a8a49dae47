"""Billing run over every approved entry, against a plain SQL aggregate over the same rows.

Not timed: fresh database, master data, ``hourbridge ingest`` of ``entries.csv``,
``hourbridge approve --from 1900-01-01``. Then the side table ``bench_rates`` (one row per
billable entry: the rate and billable seconds the generator computed independently, from the
same rate cards, precedence and rounding rules) is loaded into the same database.

Limit (timed, before the billing run, over the same approved and unbilled rows)::

    SELECT te.contract, <month of te.work_date>,
           SUM(te.billable_seconds / 3600.0 * r.rate), COUNT(*)
    FROM time_entries te JOIN bench_rates r ON r.external_id = te.external_id
    WHERE <approved, unbilled, billable, work_date <= through>
    GROUP BY te.contract, month

Ours (timed): ``hourbridge bill --through END`` (select, price each entry with its rate
decision, group per contract and month into lines, round per line, tax per invoice, write
invoices, lines and the line-to-entry links, move entries to on_draft). Ratio = ours / limit,
goal <= 3. Also recorded (not in the ratio): ``invoices issue --all`` and ``worker --once``
(numbering and journal postings), and a ratio including them.

Checks: invoices = (contract, month) groups of the baseline; per invoice, |net - baseline|
within half a cent per line (lines round once each); per currency the same; every entry priced
at the generator's rate with the generator's billable seconds.
"""

from __future__ import annotations

import csv
import time
from decimal import Decimal
from typing import Any

from ..common import PARTIAL_OK, Context, Database, log, now_iso, prepare, rate, result, run_cli
from ..stages import stages_of

GOAL = 3.0

_RATES_DDL = {
    "sqlite": "CREATE TABLE bench_rates (external_id VARCHAR(128) PRIMARY KEY, "
              "contract VARCHAR(64) NOT NULL, month CHAR(7) NOT NULL, "
              "billable_seconds INTEGER NOT NULL, rate NUMERIC NOT NULL, currency CHAR(3))",
    "postgres": "CREATE TABLE bench_rates (external_id VARCHAR(128) PRIMARY KEY, "
                "contract VARCHAR(64) NOT NULL, month CHAR(7) NOT NULL, "
                "billable_seconds INTEGER NOT NULL, rate NUMERIC(12, 2) NOT NULL, "
                "currency CHAR(3))",
}
_WHERE = ("te.source = 'bench' AND te.approval = 'approved' AND te.billing = 'unbilled' "
          "AND te.billable AND te.work_date <= {through}")
LIMIT_SQL = {
    "sqlite": "SELECT te.contract, substr(te.work_date, 1, 7) AS month, "
              "SUM(te.billable_seconds / 3600.0 * r.rate), COUNT(*) "
              "FROM time_entries te JOIN bench_rates r ON r.external_id = te.external_id "
              "WHERE " + _WHERE.format(through="?") + " GROUP BY 1, 2",
    "postgres": "SELECT te.contract, to_char(te.work_date, 'YYYY-MM') AS month, "
                "SUM(te.billable_seconds * r.rate / 3600), COUNT(*) "
                "FROM time_entries te JOIN bench_rates r ON r.external_id = te.external_id "
                "WHERE " + _WHERE.format(through="%s") + " GROUP BY 1, 2",
}
# untimed cross-checks of what Hourbridge stored against what the generator expected
_CHECK_SECONDS = ("SELECT count(*) FROM time_entries te JOIN bench_rates r "
                  "ON r.external_id = te.external_id "
                  "WHERE te.billable_seconds <> r.billable_seconds")
_CHECK_RATES = {
    "sqlite": "SELECT count(*) FROM invoice_line_entries le "
              "JOIN invoice_lines l ON l.id = le.line JOIN time_entries te ON te.id = le.entry "
              "JOIN bench_rates r ON r.external_id = te.external_id "
              "WHERE CAST(l.rate AS REAL) <> CAST(r.rate AS REAL)",
    "postgres": "SELECT count(*) FROM invoice_line_entries le "
                "JOIN invoice_lines l ON l.id = le.line JOIN time_entries te ON te.id = le.entry "
                "JOIN bench_rates r ON r.external_id = te.external_id WHERE l.rate <> r.rate",
}
_CHECK_LINKED = "SELECT count(*) FROM invoice_line_entries"


def _load_rates(db: Database, path: Any) -> tuple[float, int]:
    conn = db.connect()
    try:
        conn.execute(_RATES_DDL[db.kind])
        t0 = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            if db.kind == "sqlite":
                conn.executemany("INSERT INTO bench_rates VALUES (?, ?, ?, ?, ?, ?)", reader)
            else:
                with conn.cursor() as cur, cur.copy("COPY bench_rates FROM STDIN") as copy:
                    for row in reader:
                        copy.write_row(row)
        conn.commit()
        if db.kind == "postgres":
            conn.execute("ANALYZE bench_rates")
            conn.commit()
        n = conn.execute("SELECT count(*) FROM bench_rates").fetchone()[0]
        return time.perf_counter() - t0, int(n)
    finally:
        conn.close()


def _limit(db: Database, through: str) -> tuple[float, list[tuple[str, str, Decimal, int]]]:
    conn = db.connect()
    try:
        t0 = time.perf_counter()
        rows = conn.execute(LIMIT_SQL[db.kind], (through,)).fetchall()
        seconds = time.perf_counter() - t0
        conn.rollback()
    finally:
        conn.close()
    return seconds, [(k, m, Decimal(str(a)), int(n)) for k, m, a, n in rows]


def _scalar(db: Database, sql: str) -> int:
    conn = db.connect()
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def billing(ctx: Context, kind: str) -> dict[str, Any]:
    started = now_iso()
    t_start = time.perf_counter()
    ds = ctx.dataset
    through = ds.through
    currency_of = {k["id"]: k["currency"] for k in ds.bundle()["contracts"]}
    notes: list[str] = []
    db = Database.fresh(ctx, kind, "billing")
    try:
        setup = prepare(ctx, db)
        log(f"billing on {kind}: ingest + approve {ds.entries:,} entries (not timed)")
        ingest_run = run_cli(ctx, db, "ingest", "--source", "bench", ds.entries_csv, "--json",
                             exit_ok=PARTIAL_OK)
        ingest = ingest_run.json()
        if ingest[0]["accepted"] != ds.entries:
            notes.append(f"ingest accepted {ingest[0]['accepted']} of {ds.entries}: "
                         f"{ingest[0]['reasons']}")
        approve = run_cli(ctx, db, "approve", "--from", "1900-01-01", "--json", exit_ok=PARTIAL_OK)
        approved = approve.json()
        # later scenarios of this size start from a copy of this (bench/stages.py), taken
        # before this scenario's own side table
        stages_of(ctx).save(db, "approved", setup,
                            {"ingested": ingest, "approved": approved})
        load_seconds, n_rates = _load_rates(db, ds.expected_csv)

        log(f"billing on {kind}: limit = SQL SUM(hours*rate) GROUP BY contract, month")
        limit_seconds, groups = _limit(db, through)
        limit_entries = sum(g[3] for g in groups)

        log(f"billing on {kind}: hourbridge bill --through {through}")
        bill = run_cli(ctx, db, "bill", "--through", through, "--json", exit_ok=PARTIAL_OK)
        report = bill.json()
        log(f"billing on {kind}: ours {bill.seconds:.2f} s, limit {limit_seconds:.3f} s; "
            "issue + worker")
        issue = run_cli(ctx, db, "invoices", "issue", "--all", "--json")
        issued = issue.json()
        worker = run_cli(ctx, db, "worker", "--once")

        seconds_mismatch = _scalar(db, _CHECK_SECONDS)
        rate_mismatch = _scalar(db, _CHECK_RATES[kind])
        linked = _scalar(db, _CHECK_LINKED)
        db_size = db.size_bytes()
    finally:
        if not ctx.keep:
            db.drop()

    # --- compare our invoices with the baseline ---------------------------------------------
    base = {(k, m): (a, n) for k, m, a, n in groups}
    ours_by_currency: dict[str, Decimal] = {}
    base_by_currency: dict[str, Decimal] = {}
    lines_by_currency: dict[str, int] = {}
    outside = 0
    worst = Decimal(0)
    for inv in report["invoices"]:
        cur = inv["currency"]
        net = Decimal(inv["net"])
        ours_by_currency[cur] = ours_by_currency.get(cur, Decimal(0)) + net
        lines_by_currency[cur] = lines_by_currency.get(cur, 0) + int(inv["lines"])
        expected, _ = base.get((inv["contract"], inv["period"]), (Decimal(0), 0))
        diff = abs(net - expected)
        worst = max(worst, diff)
        if diff > Decimal("0.005") * int(inv["lines"]) + Decimal("0.000001"):
            outside += 1
    for (k, _m), (amount, _n) in base.items():
        cur = currency_of[k]
        base_by_currency[cur] = base_by_currency.get(cur, Decimal(0)) + amount
    totals = {}
    within = True
    for cur in sorted(set(ours_by_currency) | set(base_by_currency)):
        ours_total = ours_by_currency.get(cur, Decimal(0))
        base_total = base_by_currency.get(cur, Decimal(0)).quantize(Decimal("0.01"))
        diff = ours_total - base_total
        tolerance = Decimal("0.005") * lines_by_currency.get(cur, 0) + Decimal("0.01")
        within = within and abs(diff) <= tolerance
        totals[cur] = {"invoices_net": str(ours_total), "baseline": str(base_total),
                       "difference": str(diff), "lines": lines_by_currency.get(cur, 0),
                       "tolerance": str(tolerance)}
    expected_billable = int(ds.manifest["billable_entries"])
    checks = {
        "invoices_equal_groups": len(report["invoices"]) == len(groups),
        "entries_billed_equal_expected": report["entries_billed"] == expected_billable,
        "invoices_outside_rounding": outside,
        "worst_invoice_difference": str(worst.quantize(Decimal("0.000001"))),
        "totals_within_rounding": within,
        "billable_seconds_mismatches": seconds_mismatch,
        "rate_mismatches": rate_mismatch,
        "entries_linked_to_lines": linked,
        "skipped_by_billing": len(report["skipped"]),
    }
    correct = (checks["invoices_equal_groups"] and checks["entries_billed_equal_expected"]
               and outside == 0 and within and seconds_mismatch == 0 and rate_mismatch == 0
               and linked == expected_billable)
    if not correct:
        notes.append(f"billing result differs from the baseline: {checks}")
    ratio = bill.seconds / limit_seconds
    full = bill.seconds + issue.seconds + worker.seconds
    notes.append(f"ours includes CLI start-up (~{setup['cli_startup_seconds']} s)")
    notes.append("limit joins bench_rates (rate per entry, loaded untimed) to time_entries")
    lines_total = sum(lines_by_currency.values())
    return result(
        "billing", kind, ds.entries, started, time.perf_counter() - t_start,
        metrics={"bill_seconds": round(bill.seconds, 3),
                 "entries_billed": report["entries_billed"],
                 "entries_per_second": rate(report["entries_billed"], bill.seconds),
                 # per entry, beside the limit's: growth with N shows between sizes
                 "bill_ms_per_entry": round(1000 * bill.seconds
                                            / max(report["entries_billed"], 1), 4),
                 "limit_ms_per_entry": round(1000 * limit_seconds / max(limit_entries, 1), 5),
                 "invoices_created": report["invoices_created"], "invoice_lines": lines_total,
                 "bill_peak_rss_mb": bill.max_rss_mb,
                 "issue_seconds": round(issue.seconds, 3),
                 "invoices_issued": len(issued.get("issued", [])),
                 "worker_seconds": round(worker.seconds, 3),
                 "worker_output": worker.stdout.strip()[-200:],
                 "ratio_without_startup": round(
                     (bill.seconds - setup["cli_startup_seconds"]) / limit_seconds, 3),
                 "bill_issue_post_seconds": round(full, 3),
                 "ratio_bill_issue_post": round(full / limit_seconds, 3),
                 "ingest_seconds": round(ingest_run.seconds, 3),
                 "approve_seconds": round(approve.seconds, 3),
                 "approved": approved["approved"], "approved_billable": approved["billable"],
                 "rates_side_table_rows": n_rates,
                 "rates_side_table_load_seconds": round(load_seconds, 3),
                 "totals": totals, "checks": checks, "database_bytes_after": db_size, **setup},
        limit={"method": "SQL SUM(billable_seconds/3600 * rate) GROUP BY contract, month over "
                         "the same approved, unbilled, billable rows",
               "seconds": round(limit_seconds, 4), "groups": len(groups),
               "entries": limit_entries,
               "entries_per_second": rate(limit_entries, limit_seconds)},
        ratio=ratio, goal=f"<= {GOAL:g}", met=ratio <= GOAL and correct, notes=notes,
        ours=f"{bill.seconds:.2f} s, {len(report['invoices'])} invoices",
        limit_text=f"{limit_seconds:.3f} s, {len(groups)} groups")


UNITS = (("billing", billing, f"<= {GOAL:g}"),)
