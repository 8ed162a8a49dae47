"""``hourbridge schedules``: the batch work of the schedules file (``HOURBRIDGE_SCHEDULES_FILE``),
which ``hourbridge worker`` runs when due; ``list`` shows them, ``run NAME`` runs one now.

The actions, each a use case that is safe to run again: ``sync`` (a connection), ``publish``
(master data to a connection's tracker), ``billing``
(through the day before the tick), ``revenue`` (the month before the tick's), ``payroll_export``
(approved hours of the month before, the ``export payroll`` rows, to
``FOLDER/payroll-YYYY-MM.csv|json``) and ``warehouse_export`` (Parquet files of entries,
invoices, invoice lines and postings in FOLDER)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hourbridge.domain import commands as c

from .export import PAYROLL_FIELDS, PayrollFormat, _payroll_text
from .options import JsonOpt
from .output import console, print_json, session, table

# croniter (domain.schedules) and the composition root are imported by the commands that run
# schedules, not when the CLI starts (issue 16)
if TYPE_CHECKING:
    from hourbridge.bootstrap import Hourbridge
    from hourbridge.domain.schedules import Schedule
    from hourbridge.pipeline.schedules import Action

schedules_app = typer.Typer(
    help="Scheduled batch work (syncs, billing and revenue runs, payroll and warehouse "
         "exports) from the file HOURBRIDGE_SCHEDULES_FILE names; `hourbridge worker` runs "
         "each when due, once per tick however many workers run.", no_args_is_help=True)


def actions(hb: Hourbridge) -> dict[str, Action]:
    """What each action does, on ``hb``; each returns a summary kept on the run."""
    from hourbridge.domain.schedules import window

    def sync(s: Schedule, tick: datetime) -> dict[str, Any]:
        report = hb.handle(c.SyncConnection(str(s.params["connection"]),
                                            bool(s.params.get("full", False)))).as_dict()
        return {k: report.get(k) for k in ("pages", "rows", "accepted", "rejected")}

    def publish(s: Schedule, tick: datetime) -> dict[str, Any]:
        report = hb.handle(c.PublishMasterData(str(s.params["connection"]),
                                               actor=f"schedule:{s.name}"))
        return {k: report[k] for k in ("create", "update", "archive", "remove", "unchanged")}

    def billing(s: Schedule, tick: datetime) -> dict[str, Any]:
        through = window(tick).through
        report = hb.handle(c.RunBilling(through, s.params.get("entity"))).as_dict()
        return {"through": through.isoformat(), "invoices_created": report["invoices_created"],
                "entries_billed": report["entries_billed"]}

    def revenue(s: Schedule, tick: datetime) -> dict[str, Any]:
        period = window(tick).period
        out = hb.handle(c.RunRevenue(period, f"schedule:{s.name}",
                                     s.params.get("entity"))).as_dict()
        return {"period": period, "journal_entries": len(out["journal_keys"])}

    def payroll_export(s: Schedule, tick: datetime) -> dict[str, Any]:
        w = window(tick)
        fmt = PayrollFormat(str(s.params.get("format", "csv")).lower())
        rows = [{k: r[k] for k in PAYROLL_FIELDS}
                for r in hb.queries.payroll_hours(w.period_from, w.period_to,
                                                  s.params.get("entity"))]
        folder = Path(str(s.params["folder"]))
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"payroll-{w.period}.{fmt.value}"
        partial = folder / f".{final.name}.partial"
        partial.write_text(_payroll_text(rows, fmt), encoding="utf-8")
        os.replace(partial, final)  # a reader never sees half a file
        return {"period": w.period, "file": str(final), "rows": len(rows)}

    def warehouse_export(s: Schedule, tick: datetime) -> dict[str, Any]:
        folder = Path(str(s.params["folder"]))
        return {"folder": str(folder), "rows": hb.export_warehouse(folder)}

    return {"sync": sync, "publish": publish, "billing": billing, "revenue": revenue,
            "payroll_export": payroll_export, "warehouse_export": warehouse_export}


def run_due(hb: Hourbridge) -> list[dict[str, Any]]:
    """The worker's round: every schedule due now, each tick run by one worker only."""
    return hb.scheduler(actions(hb)).run_due()


@schedules_app.command("list")
def schedules_list(as_json: JsonOpt = False) -> None:
    """Each schedule: its cron (UTC), action, parameters, next tick and last run."""
    from hourbridge.domain.schedules import next_tick

    with session() as hb:
        scheduler = hb.scheduler(actions(hb))
        now = hb.clock()
        rows: list[dict[str, Any]] = []
        for s in scheduler.schedules:
            last = next(iter(hb.schedule_runs(s.name, limit=1)), None)
            rows.append({"name": s.name, "cron": s.cron, "action": s.action,
                         "params": dict(s.params), "next_tick": next_tick(s.cron, now),
                         "last_run": last and {k: last[k] for k in (
                             "tick", "trigger", "status", "started_at", "finished_at",
                             "result", "error")}})
        if as_json:
            print_json(rows)
            return
        table("schedules (UTC)", ["name", "cron", "action", "params", "next tick",
                                  "last run", "status"],
              [(r["name"], r["cron"], r["action"],
                ", ".join(f"{k}={v}" for k, v in r["params"].items()),
                r["next_tick"].isoformat(), r["last_run"] and r["last_run"]["tick"],
                r["last_run"] and r["last_run"]["status"]) for r in rows])


@schedules_app.command("run")
def schedules_run(
    name: Annotated[str, typer.Argument(help="The schedule to run now.")],
    as_json: JsonOpt = False,
) -> None:
    """Run one schedule now (a manual run: its cron ticks still run when due). Exit 1 if the
    action failed (the error is kept on the run)."""
    with session() as hb:
        outcome = hb.scheduler(actions(hb)).run_now(name)
        if as_json:
            print_json(outcome)
        else:
            console.print(f"{outcome['schedule']} ({outcome['action']}): {outcome['status']} "
                          f"{outcome.get('result', outcome.get('error'))}", highlight=False)
        if outcome["status"] != "done":
            raise typer.Exit(1)


__all__ = ["actions", "run_due", "schedules_app"]
