"""Schedules under racing and killed workers (issue 12, item 9): several ``hourbridge worker``
processes start at once on one database with the same schedules file; each tick runs once
(the unique (schedule, tick) row), and a worker killed (SIGKILL) inside a run leaves it to be
taken over once its lease ends, never run by two at a time."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from support.fault import Firm, Query, figure, time_file

RACERS = 4


def _schedules(folder: Path) -> Path:
    path = folder / "schedules.yaml"
    # yearly ticks on 1 December: every racer, whenever it starts, sees the same latest tick,
    # after the test's work (July to November 2026): billing through 30 November bills it
    path.write_text(yaml.safe_dump({"schedules": [
        {"name": "billing", "cron": "0 0 1 12 *", "action": "billing"},
        {"name": "warehouse", "cron": "0 1 1 12 *", "action": "warehouse_export",
         "params": {"folder": str(folder / "warehouse")}},
        {"name": "payroll", "cron": "0 2 1 12 *", "action": "payroll_export",
         "params": {"folder": str(folder / "payroll")}},
    ]}))
    return path


def test_racing_workers_run_each_tick_once(firm: Firm, sql: Query, tmp_path: Path) -> None:
    firm.cli("ingest", "--source", "tracker", str(time_file(tmp_path / "t.csv", range(60))))
    firm.cli("approve", "--project", "P1")
    firm.env["HOURBRIDGE_SCHEDULES_FILE"] = str(_schedules(tmp_path))
    racers = [firm.start("worker", "--once") for _ in range(RACERS)]
    outs = [p.communicate(timeout=300) for p in racers]
    assert [p.returncode for p in racers] == [0] * RACERS, outs
    runs = sql("SELECT schedule, tick, status, attempts FROM schedule_runs")
    per_tick = Counter((r[0], r[1]) for r in runs)
    reported = sum(out.count("schedule ") for out, _ in outs)
    invoices = sql("SELECT COUNT(*) FROM invoices")[0][0]
    figure(f"schedules ({firm.url.split(':')[0]}): {RACERS} workers at once, runs "
           f"{len(runs)} for {len(per_tick)} ticks, reported {reported}, statuses "
           f"{sorted({r[2] for r in runs})}, invoices {invoices}")
    assert len(per_tick) == 3 and set(per_tick.values()) == {1}
    assert {r[2] for r in runs} == {"done"} and reported == 3
    assert invoices >= 1 and (tmp_path / "warehouse" / "entries.parquet").exists()


# PostgreSQL only (the CI budget): SQLite's take-over is proven in-process by
# tests/integration/test_schedules.py, and its racing workers above
@pytest.mark.parametrize("firm", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_a_worker_killed_inside_a_run_leaves_it_to_one_other(firm: Firm, sql: Query,
                                                            tmp_path: Path) -> None:
    firm.cli("ingest", "--source", "tracker", str(time_file(tmp_path / "t.csv", range(300))))
    firm.cli("approve", "--project", "P1")
    firm.env["HOURBRIDGE_SCHEDULES_FILE"] = str(_schedules(tmp_path))
    firm.env["HOURBRIDGE_WORKER_LEASE_SECONDS"] = "2"
    victim = firm.start("worker", "--interval", "0.1")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not sql(
            "SELECT 1 FROM schedule_runs WHERE status = 'running'"):
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    held = sql("SELECT schedule, status FROM schedule_runs")
    time.sleep(2.5)  # its lease runs out
    racers = [firm.start("worker", "--once") for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in racers]
    assert [p.returncode for p in racers] == [0, 0], outs
    runs = sql("SELECT schedule, status, attempts FROM schedule_runs")
    figure(f"schedules kill -9 ({firm.url.split(':')[0]}): killed holding {held}; then "
           f"{runs}")
    assert sorted(r[0] for r in runs) == ["billing", "payroll", "warehouse"]
    assert {r[1] for r in runs} == {"done"}
    assert any(r[2] == 2 for r in runs if r[0] in {h[0] for h in held if h[1] == "running"})
    billed_twice = sql("SELECT COUNT(*) FROM (SELECT entry FROM invoice_line_entries "
                       "GROUP BY entry HAVING COUNT(*) > 1) AS x")[0][0]
    assert billed_twice == 0


