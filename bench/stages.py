"""Set-up shared by the scenarios of one size and database (issue 16: the table at 1,000,000
entries in one run).

Four scenarios start from the same untimed set-up, a step further each: approval from the
entries ingested and approved, issuing from them billed too, incremental billing from them
issued too; the billing run reaches all three on its way. At 1,000,000 entries that set-up
(ingest, approve, bill, issue through the CLI) is minutes per scenario and database, repeated
for nothing. So a scenario that reaches a stage saves a copy of its database, and a later
scenario at that stage starts from a fresh copy instead of running the steps again.

A copy is still a fresh database for the measurement: a new SQLite file written by SQLite's
online backup (page for page, the same layout the steps left), or a new PostgreSQL database
created from the saved one as its template (the same files, statistics and dead row versions
the steps left). The steps are exactly the ones the scenarios ran before; a scenario whose
stage nobody saved yet runs them itself (``--only issuing`` does). Saved copies are dropped
when the size's run ends, unless ``--keep``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .common import PARTIAL_OK, Context, Database, log, prepare, run_cli

# the set-up steps, in order: each stage is the one before it plus its command
STAGES = ("ingested", "approved", "billed", "issued")


def _steps(ctx: Context) -> dict[str, Callable[[Database], Any]]:
    ds = ctx.dataset
    return {
        "ingested": lambda db: run_cli(ctx, db, "ingest", "--source", "bench", ds.entries_csv,
                                       "--json", exit_ok=PARTIAL_OK),
        "approved": lambda db: run_cli(ctx, db, "approve", "--from", "1900-01-01", "--json",
                                       exit_ok=PARTIAL_OK),
        "billed": lambda db: run_cli(ctx, db, "bill", "--through", ds.through, "--json",
                                     exit_ok=PARTIAL_OK),
        "issued": lambda db: run_cli(ctx, db, "invoices", "issue", "--all", "--json"),
    }


@dataclass
class _Saved:
    db: Database
    setup: dict[str, Any]  # prepare's figures
    outputs: dict[str, Any]  # each step's --json output so far, by stage


@dataclass
class Stages:
    """The saved stages of one size's run, per database kind."""

    ctx: Context
    saved: dict[tuple[str, str], _Saved] = field(default_factory=dict)

    def save(self, db: Database, stage: str, setup: dict[str, Any],
             outputs: dict[str, Any] | None = None) -> None:
        """Keep a copy of ``db`` as it is now, at ``stage`` (its set-up figures and the
        steps' outputs beside it)."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        key = (db.kind, stage)
        if key in self.saved:
            return
        t0 = time.perf_counter()
        copy = _copy(self.ctx, db, f"stage_{stage}")
        self.saved[key] = _Saved(copy, dict(setup), dict(outputs or {}))
        log(f"saved the {stage} stage on {db.kind} ({time.perf_counter() - t0:.1f} s)")

    def fresh(self, kind: str, name: str, stage: str
              ) -> tuple[Database, dict[str, Any], dict[str, Any]]:
        """A fresh database ``name`` at ``stage``: a copy of the saved stage (or of the
        furthest one before it, the remaining steps run here and saved too), else built from
        nothing by the same steps. Returns it with the set-up figures of ``prepare`` (the
        CLI's start-up measured again on this database) and each step's ``--json`` output."""
        target = STAGES.index(stage)
        start = next((i for i in range(target, -1, -1) if (kind, STAGES[i]) in self.saved),
                     None)
        if start is None:
            db = Database.fresh(self.ctx, kind, name)
            setup: dict[str, Any] = dict(prepare(self.ctx, db))
            outputs: dict[str, Any] = {}
            first = 0
        else:
            saved = self.saved[(kind, STAGES[start])]
            db = _copy(self.ctx, saved.db, name)
            setup = dict(saved.setup)
            setup["cli_startup_seconds"] = round(
                run_cli(self.ctx, db, "db", "upgrade").seconds, 3)
            setup["copied_from_stage"] = STAGES[start]
            outputs = dict(saved.outputs)
            first = start + 1
        steps = _steps(self.ctx)
        for i in range(first, target + 1):
            outputs[STAGES[i]] = steps[STAGES[i]](db).json()
            self.save(db, STAGES[i], setup, outputs)
        return db, setup, outputs

    def drop(self) -> None:
        if self.ctx.keep:
            return
        for saved in self.saved.values():
            saved.db.drop()
        self.saved.clear()


def _copy(ctx: Context, source: Database, name: str) -> Database:
    """A new database ``name`` holding what ``source`` holds now."""
    if source.kind == "sqlite":
        target = Database.fresh(ctx, "sqlite", name)
        assert source.sqlite_path is not None and target.sqlite_path is not None
        src = sqlite3.connect(str(source.sqlite_path))
        dst = sqlite3.connect(str(target.sqlite_path))
        try:
            src.backup(dst)
            # the copy keeps the source's journal mode (WAL) in its header
        finally:
            dst.close()
            src.close()
        return target
    import psycopg
    from psycopg import sql

    target = Database.fresh(ctx, "postgres", name)  # its name, created empty: replaced below
    with psycopg.connect(str(source.admin_url), autocommit=True) as conn:
        # a template must have no other session: the CLI commands have exited; end what a
        # scenario's own check connection may have left behind
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (source.pg_dbname,))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(str(target.pg_dbname))))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(str(target.pg_dbname)), sql.Identifier(str(source.pg_dbname))))
    return target


def stages_of(ctx: Context) -> Stages:
    """The stages saved during this size's run (one ``Stages`` per ``Context``)."""
    if ctx.stages is None:
        ctx.stages = Stages(ctx)
    assert isinstance(ctx.stages, Stages)
    return ctx.stages
