"""Schedules on a real database with an injected clock (issue 12, item 9): a schedule missed
while no worker ran runs once, for its latest tick; two workers never run the same tick twice
(the unique (schedule, tick) row); a run whose worker died is taken over once its lease ends.
The warehouse export is read back: its Parquet files hold every entry, invoice, line and
posting of the database."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.app import app
from hourbridge.cli.schedules import actions
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.formats.timefile import TimeFile
from hourbridge.pipeline.schedules import Scheduler
from hourbridge.store import tables as t
from hourbridge.store.schedules import SqlScheduleRuns
from support.firm import small_firm_bundle

from .conftest import FixedClock, load

runner = CliRunner()
START = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # three nightly ticks since the 2nd


def schedules_file(folder: Path) -> Path:
    path = folder / "schedules.yaml"
    path.write_text(yaml.safe_dump({"schedules": [
        {"name": "nightly-billing", "cron": "0 3 * * *", "action": "billing"},
        {"name": "month-revenue", "cron": "0 4 1 * *", "action": "revenue"},
        {"name": "payroll", "cron": "0 5 1 * *", "action": "payroll_export",
         "params": {"folder": str(folder / "payroll")}},
        {"name": "warehouse", "cron": "30 5 * * *", "action": "warehouse_export",
         "params": {"folder": str(folder / "warehouse")}},
    ]}))
    return path


@pytest.fixture
def firm(database_url: str, tmp_path: Path) -> Any:
    clock = FixedClock(START)
    hb = bootstrap(Settings(database_url=database_url,
                            schedules_file=str(schedules_file(tmp_path))), clock=clock)
    load(hb, small_firm_bundle())
    rows = [(f"s{i}", "E1" if i % 2 else "E2", "P1", "DEV", f"2026-10-{1 + i % 28:02d}", "1.5",
             f"work {i}") for i in range(40)]
    lines = ["external_id,employee,project,task,date,hours,notes"] + [
        ",".join(r) for r in rows]
    hb.handle(c.IngestTimeEntries("harvest", TimeFile.from_bytes(
        "t.csv", "text/csv", ("\n".join(lines) + "\n").encode())))
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    yield hb, clock
    hb.close()


def two_workers(hb: Hourbridge) -> tuple[Scheduler, Scheduler]:
    a, b = hb.scheduler(actions(hb)), hb.scheduler(actions(hb))
    a.worker, b.worker = "worker-a", "worker-b"
    return a, b


def test_missed_schedules_run_once_and_each_tick_by_one_worker(
        firm: tuple[Hourbridge, FixedClock], tmp_path: Path) -> None:
    hb, clock = firm
    a, b = two_workers(hb)
    ran = a.run_due()
    # never run before: each runs once for its latest tick, however many it missed
    assert {(r["schedule"], r["tick"], r["status"]) for r in ran} == {
        ("nightly-billing", "2026-11-05T03:00:00+00:00", "done"),
        ("month-revenue", "2026-11-01T04:00:00+00:00", "done"),
        ("payroll", "2026-11-01T05:00:00+00:00", "done"),
        ("warehouse", "2026-11-05T05:30:00+00:00", "done")}
    assert b.run_due() == [] and a.run_due() == []  # every tick taken
    billing = next(r for r in ran if r["schedule"] == "nightly-billing")["result"]
    assert billing["through"] == "2026-11-04" and billing["invoices_created"] >= 1
    payroll = next(r for r in ran if r["schedule"] == "payroll")["result"]
    assert payroll["period"] == "2026-10" and payroll["rows"] == 2
    with open(payroll["file"], newline="") as f:
        assert sum(float(r["worked_hours"]) for r in csv.DictReader(f)) == 60.0

    clock.at = START + timedelta(hours=17)  # 02:00 on the 6th: nothing new
    assert a.run_due() == []
    clock.at = datetime(2026, 11, 6, 3, 0, 30, tzinfo=UTC)
    # both workers look at the same moment: one of them runs the tick
    both = b.run_due() + a.run_due()
    assert [(r["schedule"], r["tick"]) for r in both] == [
        ("nightly-billing", "2026-11-06T03:00:00+00:00")]
    with hb.engine.connect() as conn:
        per_tick = conn.execute(select(t.schedule_runs.c.schedule, t.schedule_runs.c.tick,
                                       func.count()).group_by(t.schedule_runs.c.schedule,
                                                              t.schedule_runs.c.tick)).all()
    assert len(per_tick) == 5 and all(n == 1 for *_, n in per_tick)


def test_warehouse_export_reads_back_every_row(firm: tuple[Hourbridge, FixedClock],
                                               tmp_path: Path) -> None:
    hb, _ = firm
    hb.handle(c.RunBilling(date(2026, 10, 31)))
    hb.handle(c.IssueInvoices(all_drafts=True))
    hb.worker.drain()  # posts the journal: postings in the ledger
    out = hb.scheduler(actions(hb)).run_now("warehouse")
    assert out["status"] == "done"
    folder = tmp_path / "warehouse"
    read = {name: pq.read_table(folder / f"{name}.parquet")
            for name in ("entries", "invoices", "invoice_lines", "postings")}
    with hb.engine.connect() as conn:
        def count(table: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        expected = {"entries": count(t.time_entries), "invoices": count(t.invoices),
                    "invoice_lines": count(t.invoice_lines),
                    "postings": count(t.journal_lines)}
        total = conn.execute(select(func.sum(t.invoices.c.total))).scalar_one()
    assert {k: v.num_rows for k, v in read.items()} == expected == out["result"]["rows"]
    assert expected["entries"] == 40 and expected["postings"] > 0
    assert sum(read["invoices"].column("total").to_pylist()) == total  # exact decimals
    debit = sum(read["postings"].column("debit").to_pylist())
    credit = sum(read["postings"].column("credit").to_pylist())
    assert debit == credit > 0
    assert not list(folder.glob(".*partial"))


def test_a_run_whose_worker_died_is_taken_over_once_its_lease_ends(
        firm: tuple[Hourbridge, FixedClock]) -> None:
    hb, clock = firm
    runs = SqlScheduleRuns(hb.engine)
    tick = datetime(2026, 11, 5, 3, tzinfo=UTC)
    # a worker claimed the tick and was killed: its run stays "running" under its lease
    dead = runs.claim("nightly-billing", tick, "cron", "dead-worker", START,
                      START + timedelta(minutes=5))
    assert dead is not None
    a, b = two_workers(hb)
    assert "nightly-billing" not in {r["schedule"] for r in a.run_due()}
    clock.at = START + timedelta(minutes=6)
    rescued = [r for r in b.run_due() + a.run_due() if r["schedule"] == "nightly-billing"]
    assert [(r["run"], r["tick"], r["status"]) for r in rescued] == [
        (dead, tick.isoformat(), "done")]
    row = hb.schedule_runs("nightly-billing")[0]
    assert (row["attempts"], row["status"], row["worker"]) == (2, "done", "worker-b")


def test_schedules_cli_lists_and_runs(firm: tuple[Hourbridge, FixedClock], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    hb, _ = firm
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", hb.settings.database_url)
    monkeypatch.setenv("HOURBRIDGE_SCHEDULES_FILE", str(tmp_path / "schedules.yaml"))
    done = runner.invoke(app, ["schedules", "run", "payroll", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["status"] == "done"
    listed = json.loads(runner.invoke(app, ["schedules", "list", "--json"]).stdout)
    assert [r["name"] for r in listed] == ["nightly-billing", "month-revenue", "payroll",
                                           "warehouse"]
    assert listed[2]["last_run"]["trigger"] == "manual"
    missing = runner.invoke(app, ["schedules", "run", "nope"])
    assert missing.exit_code == 2 and "schedule 'nope' not found" in missing.output
    (tmp_path / "bad.toml").write_text('[[schedules]]\nname = "x"\ncron = "99 * * * *"\n'
                                       'action = "billing"\n')
    monkeypatch.setenv("HOURBRIDGE_SCHEDULES_FILE", str(tmp_path / "bad.toml"))
    bad = runner.invoke(app, ["schedules", "list"])
    assert bad.exit_code == 2 and "cron" in bad.output

