"""PostgreSQL's KPI triggers: one pass over an update's entries, and no JIT compilation

Revision ID: 0031_kpi_triggers_one_pass
Revises: 0030_refs_per_statement
Create Date: 2026-12-08

Issue 16. Every UPDATE of ``time_entries`` fired two statement triggers with transition
tables: ``kpi_approval_days_upd`` (0024) and ``kpi_rollups_entries_upd`` (0026). Each joined
the statement's old and new rows again, and the billing run's and issuing's updates, which
move no rollup, paid for both. Measured on the 100k bench database, the billing run's UPDATE
of 87,940 entries to on_draft (``EXPLAIN ANALYZE``, rolled back, three pairs): 1.30-1.83 s,
of which the two triggers 0.62-0.86 s; with the changes below 0.89-1.09 s, the one trigger
0.16-0.19 s.

- **No JIT in trigger functions.** A transition table has no statistics, so the planner
  guesses: the old/new join of 87,940 rows was estimated at 38.7 million, costed past
  ``jit_above_cost`` and the inlining and optimisation thresholds, and compiled for 297 ms
  to run for 137 ms. Every function a transition-table trigger calls now runs with
  ``SET jit = off`` (a function's own setting, for its statements only; the server's stays
  as it is). ``CREATE OR REPLACE FUNCTION`` drops such a setting unless it says it again:
  ``tests/integration/test_kpi_rollups.py`` holds every such function to it.
- **Links moved only where there are links.** Approval sets ``approved_at``, which moves the
  approval day of an entry's invoice links, so every approval ran ``kpi_billed_days``'
  upsert, two joins of the new entries to every link (on the 10k bench database a
  sequential scan of the links, twice, for 100 new entries that have none). The flag now
  also asks whether a changed entry has a link, one index probe each, as SQLite's trigger
  already did (``kpi_billed_days_entry``).
- **One join for both.** ``kpi_rollups_entries`` learns in its one join of the transition
  tables whether the update moved an approval-day count too, and only then adds that
  rollup's deltas (the statement 0024's trigger ran on every update); the UPDATE trigger of
  ``kpi_approval_days_entries`` goes. Its INSERT and DELETE triggers stay. The approval-day
  upsert runs first, as the triggers did in name order, so rollup rows are still locked in
  one order by every writer.

SQLite: nothing changes (its row triggers fire only on ``UPDATE OF`` the columns that
matter, and it has no JIT).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op


revision = "0031_kpi_triggers_one_pass"
down_revision = "0030_refs_per_statement"
branch_labels = None
depends_on = None


def _revision(name: str) -> ModuleType:
    """A released migration of this directory, for its SQL builders (released migrations
    never change, so what they build is what they built)."""
    spec = importlib.util.spec_from_file_location(f"hourbridge_migration_{name}",
                                                  Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_TRANSITION_FUNCTIONS = (
    "SELECT DISTINCT t.tgfoid::regprocedure::text FROM pg_trigger t "
    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND NOT t.tgisinternal "
    "AND (t.tgoldtable IS NOT NULL OR t.tgnewtable IS NOT NULL) ORDER BY 1")


def _rollups_entries() -> str:
    """0026's ``kpi_rollups_entries`` with 0024's approval-day deltas in its update branch."""
    r24, r26 = _revision("0024_kpi_rollups"), _revision("0026_kpi_rollups_more")
    approval_moved = r24._CHANGED
    approval = r24._pg_apply(
        r24._pg_side("o", -1, approval_moved).format(src=r24._PAIRS) + " UNION ALL "
        + r24._pg_side("n", 1, approval_moved).format(src=r24._PAIRS))
    days = r26._PG_DAY
    moved = (r26._days(days, "li", "o", -1, r26._PAIRS_LI, r26._BILL_CHANGED) + " UNION ALL "
             + r26._days(days, "li", "n", 1, r26._PAIRS_LI, r26._BILL_CHANGED))
    reworked = (r26._lines("li", "o", -1, r26._PAIRS_LI, r26._WORKED_CHANGED, links=False)
                + " UNION ALL "
                + r26._lines("li", "n", 1, r26._PAIRS_LI, r26._WORKED_CHANGED, links=False))
    work = r26._work
    return f"""
CREATE OR REPLACE FUNCTION kpi_rollups_entries() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  approval_moved boolean;
  work_moved boolean;
  bill_moved boolean;
  worked_moved boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    {r26._upsert("kpi_work_days", work("n", 1, "new_rows n"), grouped=True)};
  ELSIF TG_OP = 'DELETE' THEN
    {r26._upsert("kpi_work_days", work("o", -1, "old_rows o"), grouped=True)};
  ELSE
    SELECT coalesce(bool_or({approval_moved}), false),
           coalesce(bool_or({r26._WORK_CHANGED}), false),
           coalesce(bool_or({r26._BILL_CHANGED} AND EXISTS (
             SELECT 1 FROM invoice_line_entries x WHERE x.entry = n.id)), false),
           coalesce(bool_or({r26._WORKED_CHANGED}), false)
      INTO approval_moved, work_moved, bill_moved, worked_moved FROM {r26._PAIRS};
    IF approval_moved THEN
      {approval};
    END IF;
    IF work_moved THEN
      {r26._upsert("kpi_work_days", work("o", -1, r26._PAIRS, r26._WORK_CHANGED)
                   + " UNION ALL " + work("n", 1, r26._PAIRS, r26._WORK_CHANGED),
                   grouped=True)};
    END IF;
    IF bill_moved THEN
      {r26._upsert("kpi_billed_days", moved, grouped=True)};
    END IF;
    IF worked_moved THEN
      {r26._upsert("kpi_billed_lines", reworked, grouped=True)};
    END IF;
  END IF;
  RETURN NULL;
END $$;
"""


def _without_jit(setting: str) -> None:
    """``SET jit = off`` (or ``RESET jit``) on every function a transition-table trigger
    calls."""
    for (function,) in op.get_bind().exec_driver_sql(_TRANSITION_FUNCTIONS).all():
        op.execute(f"ALTER FUNCTION {function} {setting}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_rollups_entries())
    op.execute("DROP TRIGGER IF EXISTS kpi_approval_days_upd ON time_entries")
    _without_jit("SET jit = off")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _without_jit("RESET jit")
    function = _revision("0026_kpi_rollups_more")._pg_entries()
    # 0026's text creates the function and then its triggers, which exist: the function only
    op.execute(function[:function.index("CREATE TRIGGER")])
    op.execute("CREATE TRIGGER kpi_approval_days_upd AFTER UPDATE ON time_entries "
               "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION kpi_approval_days_entries()")
