"""KPI rollups: approved entries per (entity, customer, work date, approval day)

Revision ID: 0024_kpi_rollups
Revises: 0023_inbox_entities
Create Date: 2026-12-06

Issue 15, performance. ``kpi_approval_days`` counts approved entries (``approval`` approved,
``approved_at`` set, a project that exists) per (entry entity, project customer, work date,
UTC date of ``approved_at``): the groups of the ``approval_lag`` KPI, about 14 times fewer
rows than entries, so the KPI no longer groups every entry.

The rows are kept by triggers, in the transaction that writes the entries, so no write path
can forget them: every change adds its delta (old contribution -1, new +1) with an additive
``INSERT ... ON CONFLICT DO UPDATE SET entries = entries + excluded.entries``, which two
concurrent writers serialise on the rollup row without losing an increment.

- PostgreSQL: statement-level triggers with transition tables on ``time_entries`` (one
  set-based upsert per INSERT/UPDATE/DELETE statement, whatever its size; an UPDATE that
  changes none of the grouped columns, e.g. billing, adds nothing), row-level on
  ``projects`` (a project's customer or code changing moves its entries' counts).
- SQLite: row-level triggers (SQLite has no others); ``UPDATE OF`` the grouped columns
  only, so billing's updates never fire them, and each side of an update only when that
  side counts.

The table is back-filled from the rows present. Caution for later migrations: on SQLite a
``batch_alter_table`` on ``time_entries`` or ``projects`` recreates the table and drops its
triggers; such a migration must run ``create_triggers`` of this revision again.
"""
from alembic import op
import sqlalchemy as sa


revision = "0024_kpi_rollups"
down_revision = "0023_inbox_entities"
branch_labels = None
depends_on = None

_UPSERT = ("ON CONFLICT (entity, customer, work_date, approved_on) "
           "DO UPDATE SET entries = kpi_approval_days.entries + excluded.entries")
_COLS = "INSERT INTO kpi_approval_days (entity, customer, work_date, approved_on, entries) "

# --- PostgreSQL ------------------------------------------------------------------------
_PG_DAY = "(({t}.approved_at AT TIME ZONE 'UTC')::date)"
_PG_APPROVED = "{t}.approval = 'approved' AND {t}.approved_at IS NOT NULL"
_PG_GROUPED = "(o.approval, o.approved_at, o.work_date, o.project, o.entity)"


def _pg_side(table: str, sign: int, where: str = "TRUE") -> str:
    return (f"SELECT {table}.entity, {table}.project, {table}.work_date, "
            f"{_PG_DAY.format(t=table)} AS approved_on, {sign} AS n FROM {{src}} "
            f"WHERE {_PG_APPROVED.format(t=table)} AND {where}")


def _pg_apply(deltas: str) -> str:
    # ORDER BY: concurrent writers lock rollup rows in one order (no deadlock between them)
    return (f"{_COLS} SELECT d.entity, p.customer, d.work_date, d.approved_on, sum(d.n) "
            f"FROM ({deltas}) d JOIN projects p ON p.code = d.project "
            "GROUP BY d.entity, p.customer, d.work_date, d.approved_on "
            "HAVING sum(d.n) <> 0 ORDER BY 1, 2, 3, 4 " + _UPSERT)


_CHANGED = (f"{_PG_GROUPED} IS DISTINCT FROM "
            "(n.approval, n.approved_at, n.work_date, n.project, n.entity)")
_PAIRS = "old_rows o JOIN new_rows n ON n.id = o.id"
_PG_ENTRIES = f"""
CREATE OR REPLACE FUNCTION kpi_approval_days_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_pg_apply(_pg_side("n", 1).format(src="new_rows n"))};
  ELSIF TG_OP = 'DELETE' THEN
    {_pg_apply(_pg_side("o", -1).format(src="old_rows o"))};
  ELSE
    {_pg_apply(_pg_side("o", -1, _CHANGED).format(src=_PAIRS) + " UNION ALL "
               + _pg_side("n", 1, _CHANGED).format(src=_PAIRS))};
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER kpi_approval_days_ins AFTER INSERT ON time_entries
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_approval_days_entries();
CREATE TRIGGER kpi_approval_days_upd AFTER UPDATE ON time_entries
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_approval_days_entries();
CREATE TRIGGER kpi_approval_days_del AFTER DELETE ON time_entries
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_approval_days_entries();
"""


def _project_move(code: str, customer: str, sign: str, day: str) -> str:
    """The approved entries of project ``code`` counted (``sign`` +1) or uncounted (-1)
    under ``customer``."""
    return (f"{_COLS} SELECT te.entity, {customer}, te.work_date, {day}, {sign} * count(*) "
            f"FROM time_entries te WHERE te.project = {code} AND te.approval = 'approved' "
            f"AND te.approved_at IS NOT NULL GROUP BY te.entity, te.work_date, {day} "
            f"ORDER BY 1, 2, 3, 4 {_UPSERT}")


_PG_TE_DAY = _PG_DAY.format(t="te")
_PG_PROJECTS = f"""
CREATE OR REPLACE FUNCTION kpi_approval_days_projects() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {_project_move("OLD.code", "OLD.customer", "-1", _PG_TE_DAY)};
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    {_project_move("NEW.code", "NEW.customer", "1", _PG_TE_DAY)};
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER kpi_approval_days_project AFTER INSERT OR DELETE OR UPDATE OF code, customer
  ON projects FOR EACH ROW EXECUTE FUNCTION kpi_approval_days_projects();
"""

# --- SQLite ----------------------------------------------------------------------------
_SQ_DAY = "substr({t}.approved_at, 1, 10)"


def _sq_entry(row: str, sign: int) -> str:
    return (f"{_COLS} SELECT {row}.entity, p.customer, {row}.work_date, "
            f"{_SQ_DAY.format(t=row)}, {sign} FROM projects p WHERE p.code = {row}.project "
            f"AND {row}.approval = 'approved' AND {row}.approved_at IS NOT NULL {_UPSERT};")


_SQ_WHEN = "{t}.approval = 'approved' AND {t}.approved_at IS NOT NULL"
_SQ_TE_DAY = _SQ_DAY.format(t="te")
_SQ_GROUPED = "approval, approved_at, work_date, project, entity"
_SQLITE = [
    f"CREATE TRIGGER kpi_approval_days_ins AFTER INSERT ON time_entries "
    f"WHEN {_SQ_WHEN.format(t='NEW')} BEGIN {_sq_entry('NEW', 1)} END",
    f"CREATE TRIGGER kpi_approval_days_del AFTER DELETE ON time_entries "
    f"WHEN {_SQ_WHEN.format(t='OLD')} BEGIN {_sq_entry('OLD', -1)} END",
    # an update: the old row uncounted, the new one counted, each only when it counts (so
    # approving a pending entry runs one upsert, not two)
    "CREATE TRIGGER kpi_approval_days_upd_old "
    f"AFTER UPDATE OF {_SQ_GROUPED} ON time_entries WHEN {_SQ_WHEN.format(t='OLD')} "
    f"BEGIN {_sq_entry('OLD', -1)} END",
    "CREATE TRIGGER kpi_approval_days_upd_new "
    f"AFTER UPDATE OF {_SQ_GROUPED} ON time_entries WHEN {_SQ_WHEN.format(t='NEW')} "
    f"BEGIN {_sq_entry('NEW', 1)} END",
    "CREATE TRIGGER kpi_approval_days_project_ins AFTER INSERT ON projects BEGIN "
    f"{_project_move('NEW.code', 'NEW.customer', '1', _SQ_TE_DAY)}; END",
    "CREATE TRIGGER kpi_approval_days_project_del AFTER DELETE ON projects BEGIN "
    f"{_project_move('OLD.code', 'OLD.customer', '-1', _SQ_TE_DAY)}; END",
    "CREATE TRIGGER kpi_approval_days_project_upd AFTER UPDATE OF code, customer ON projects "
    f"BEGIN {_project_move('OLD.code', 'OLD.customer', '-1', _SQ_TE_DAY)}; "
    f"{_project_move('NEW.code', 'NEW.customer', '1', _SQ_TE_DAY)}; END",
]
_SQLITE_TRIGGERS = ("kpi_approval_days_ins", "kpi_approval_days_del",
                    "kpi_approval_days_upd_old", "kpi_approval_days_upd_new",
                    "kpi_approval_days_project_ins", "kpi_approval_days_project_del",
                    "kpi_approval_days_project_upd")


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_ENTRIES)
        op.execute(_PG_PROJECTS)
    else:
        for statement in _SQLITE:
            op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "kpi_approval_days",
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "customer", "work_date", "approved_on"),
    )
    pg = op.get_bind().dialect.name == "postgresql"
    day = _PG_TE_DAY if pg else _SQ_TE_DAY
    # back-fill before the triggers exist: the rows present, grouped once
    op.execute(
        f"{_COLS} SELECT te.entity, p.customer, te.work_date, {day}, count(*) "
        "FROM time_entries te JOIN projects p ON p.code = te.project "
        "WHERE te.approval = 'approved' AND te.approved_at IS NOT NULL "
        f"GROUP BY te.entity, p.customer, te.work_date, {day}")
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("kpi_approval_days_ins", "kpi_approval_days_upd",
                     "kpi_approval_days_del"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON time_entries")
        op.execute("DROP TRIGGER IF EXISTS kpi_approval_days_project ON projects")
        op.execute("DROP FUNCTION IF EXISTS kpi_approval_days_entries()")
        op.execute("DROP FUNCTION IF EXISTS kpi_approval_days_projects()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("kpi_approval_days")
