"""KPI rollups for the invoice lags, billed time, cost and utilization

Revision ID: 0026_kpi_rollups_more
Revises: 0025_billing_standing
Create Date: 2026-12-06

Issue 15, performance, the pattern of ``0024_kpi_rollups`` for the statements that still
grouped every entry or every billed part:

- ``kpi_billed_days`` (invoice, work date, UTC approval day) -> parts: invoice-entry links
  with positive seconds whose entry is approved (both invoice lags);
- ``kpi_billed_lines`` (line) -> links, seconds billed, seconds worked on the linked entries
  (billed time);
- ``kpi_work_days`` (employee, project, work date) -> live entries, worked seconds, worked
  seconds of billable entries (cost, hours by employee).

Only counts and integer seconds are kept; everything else (invoice status, issue date,
customer, line rate, project customer, cost rates) is joined at read time from the few rows
of invoices, lines, projects and cost rates, so those tables need no triggers and money stays
exact (no amount is summed here).

Triggers, in the transaction that writes the rows, with additive upserts
(``INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x``, rows locked in key order):

- ``time_entries``: insert, delete and an update of employee, project, work date, worked
  seconds, billable or deletion (``kpi_work_days``); an update of work date, approval time or
  worked seconds moves the entry's links (``kpi_billed_days``, ``kpi_billed_lines``);
- ``invoice_line_entries``: insert, delete, update (billing, drafts deleted, credit notes,
  rebills, voids all write links).

PostgreSQL: statement-level triggers with transition tables (one set-based upsert per
statement). SQLite: row-level triggers, on ``UPDATE OF`` the columns that matter only.
Back-filled from the rows present before the triggers exist. On SQLite, a later migration
that rebuilds ``time_entries`` or ``invoice_line_entries`` must call ``create_triggers`` of
this revision again.
"""
from alembic import op
import sqlalchemy as sa


revision = "0026_kpi_rollups_more"
down_revision = "0025_billing_standing"
branch_labels = None
depends_on = None

# table -> (key columns, summed columns)
_SHAPE = {
    "kpi_billed_days": (("invoice", "work_date", "approved_on"), ("parts",)),
    "kpi_billed_lines": (("line",), ("links", "seconds", "worked")),
    "kpi_work_days": (("employee", "project", "work_date"), ("entries", "worked", "billable")),
}


def _upsert(table: str, select: str, *, grouped: bool) -> str:
    """``INSERT INTO table SELECT ...`` adding to the existing row. ``grouped``: ``select``
    yields deltas per source row, summed per key here (PostgreSQL, one statement for a whole
    statement's rows; key order so concurrent writers lock rollup rows in one order)."""
    keys, sums = _SHAPE[table]
    cols = ", ".join(keys + sums)
    update = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in sums)
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {update}"
    if grouped:
        k = ", ".join(f"d.{c}" for c in keys)
        total = ", ".join(f"sum(d.{c})" for c in sums)
        nonzero = " OR ".join(f"sum(d.{c}) <> 0" for c in sums)
        return (f"INSERT INTO {table} ({cols}) SELECT {k}, {total} FROM ({select}) d "
                f"GROUP BY {k} HAVING {nonzero} ORDER BY {k} {conflict}")
    # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (parser ambiguity)
    return f"INSERT INTO {table} ({cols}) SELECT * FROM ({select}) s WHERE true {conflict}"


# --- the deltas, per dialect -----------------------------------------------------------
def _work(row: str, sign: int, src: str, where: str = "true") -> str:
    """An entry's contribution to ``kpi_work_days`` (live entries only)."""
    return (f"SELECT {row}.employee AS employee, {row}.project AS project, "
            f"{row}.work_date AS work_date, {sign} AS entries, "
            f"{sign} * {row}.worked_seconds AS worked, "
            f"CASE WHEN {row}.billable THEN {sign} * {row}.worked_seconds ELSE 0 END "
            f"AS billable FROM {src} WHERE {row}.deleted_at IS NULL AND {where}")


def _days(day: str, link: str, entry: str, sign: int, src: str, where: str = "true") -> str:
    """A link's contribution to ``kpi_billed_days``: positive seconds, approved entry."""
    return (f"SELECT ln.invoice AS invoice, {entry}.work_date AS work_date, "
            f"{day.format(t=entry)} AS approved_on, {sign} AS parts FROM {src} "
            f"JOIN invoice_lines ln ON ln.id = {link}.line "
            f"WHERE {link}.seconds > 0 AND {entry}.approved_at IS NOT NULL AND {where}")


def _lines(link: str, entry: str, sign: int, src: str, where: str = "true",
           links: bool = True) -> str:
    """A link's contribution to ``kpi_billed_lines``."""
    n = sign if links else 0
    seconds = f"{sign} * {link}.seconds" if links else "0"
    return (f"SELECT {link}.line AS line, {n} AS links, {seconds} AS seconds, "
            f"{sign} * {entry}.worked_seconds AS worked FROM {src} WHERE {where}")


_PG_DAY = "(({t}.approved_at AT TIME ZONE 'UTC')::date)"
_SQ_DAY = "substr({t}.approved_at, 1, 10)"

# --- PostgreSQL ------------------------------------------------------------------------
_WORK_COLS = "(o.employee, o.project, o.work_date, o.worked_seconds, o.billable, o.deleted_at)"
_WORK_CHANGED = f"{_WORK_COLS} IS DISTINCT FROM {_WORK_COLS.replace('o.', 'n.')}"
_BILL_CHANGED = ("(o.work_date, o.approved_at) IS DISTINCT FROM (n.work_date, n.approved_at)")
_PAIRS = "old_rows o JOIN new_rows n ON n.id = o.id"
_PAIRS_LI = _PAIRS + " JOIN invoice_line_entries li ON li.entry = n.id"
_WORKED_CHANGED = "o.worked_seconds <> n.worked_seconds"


def _pg_entries() -> str:
    moved = (_days(_PG_DAY, "li", "o", -1, _PAIRS_LI, _BILL_CHANGED) + " UNION ALL "
             + _days(_PG_DAY, "li", "n", 1, _PAIRS_LI, _BILL_CHANGED))
    reworked = (_lines("li", "o", -1, _PAIRS_LI, _WORKED_CHANGED, links=False)
                + " UNION ALL " + _lines("li", "n", 1, _PAIRS_LI, _WORKED_CHANGED,
                                         links=False))
    # An update first learns, in one join of the transition tables, which rollups it moves:
    # most updates (billing and issuing marking tens of thousands of entries) move none, and
    # the six joins of the upserts below cost them ~17 µs a row when run regardless.
    return f"""
CREATE OR REPLACE FUNCTION kpi_rollups_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  work_moved boolean;
  bill_moved boolean;
  worked_moved boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_upsert("kpi_work_days", _work("n", 1, "new_rows n"), grouped=True)};
  ELSIF TG_OP = 'DELETE' THEN
    {_upsert("kpi_work_days", _work("o", -1, "old_rows o"), grouped=True)};
  ELSE
    SELECT coalesce(bool_or({_WORK_CHANGED}), false),
           coalesce(bool_or({_BILL_CHANGED}), false),
           coalesce(bool_or({_WORKED_CHANGED}), false)
      INTO work_moved, bill_moved, worked_moved FROM {_PAIRS};
    IF work_moved THEN
      {_upsert("kpi_work_days", _work("o", -1, _PAIRS, _WORK_CHANGED) + " UNION ALL "
               + _work("n", 1, _PAIRS, _WORK_CHANGED), grouped=True)};
    END IF;
    IF bill_moved THEN
      {_upsert("kpi_billed_days", moved, grouped=True)};
    END IF;
    IF worked_moved THEN
      {_upsert("kpi_billed_lines", reworked, grouped=True)};
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER kpi_rollups_entries_ins AFTER INSERT ON time_entries
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_rollups_entries();
CREATE TRIGGER kpi_rollups_entries_upd AFTER UPDATE ON time_entries
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_rollups_entries();
CREATE TRIGGER kpi_rollups_entries_del AFTER DELETE ON time_entries
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_rollups_entries();
"""


def _pg_links() -> str:
    def both(rows: str, sign: int) -> str:
        src = f"{rows} li JOIN time_entries te ON te.id = li.entry"
        return (_upsert("kpi_billed_days", _days(_PG_DAY, "li", "te", sign, src), grouped=True)
                + ";\n    "
                + _upsert("kpi_billed_lines", _lines("li", "te", sign, src), grouped=True))
    # an update of links: the old ones out, the new ones in (the key itself may change)
    return f"""
CREATE OR REPLACE FUNCTION kpi_rollups_links() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {both("old_rows", -1)};
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    {both("new_rows", 1)};
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER kpi_rollups_links_ins AFTER INSERT ON invoice_line_entries
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_rollups_links();
CREATE TRIGGER kpi_rollups_links_upd AFTER UPDATE ON invoice_line_entries
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_rollups_links();
CREATE TRIGGER kpi_rollups_links_del AFTER DELETE ON invoice_line_entries
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kpi_rollups_links();
"""


_PG_TRIGGERS = (("kpi_rollups_entries_ins", "time_entries"),
                ("kpi_rollups_entries_upd", "time_entries"),
                ("kpi_rollups_entries_del", "time_entries"),
                ("kpi_rollups_links_ins", "invoice_line_entries"),
                ("kpi_rollups_links_upd", "invoice_line_entries"),
                ("kpi_rollups_links_del", "invoice_line_entries"))

# --- SQLite ----------------------------------------------------------------------------
_SQ_WORK_COLS = "employee, project, work_date, worked_seconds, billable, deleted_at"
_ONE = "(SELECT 1)"  # a one-row source for a row trigger's OLD / NEW values


def _sq_link(row: str, sign: int) -> str:
    on = f"te.id = {row}.entry"
    return (_upsert("kpi_billed_days", _days(_SQ_DAY, row, "te", sign, "time_entries te", on),
                    grouped=False) + "; "
            + _upsert("kpi_billed_lines", _lines(row, "te", sign, "time_entries te", on),
                      grouped=False) + ";")


def _sq_moved(row: str, sign: int) -> str:
    src = "invoice_line_entries li"
    return _upsert("kpi_billed_days", _days(_SQ_DAY, "li", row, sign, src,
                                            f"li.entry = {row}.id"), grouped=False) + ";"


_SQ_REWORKED = _upsert(
    "kpi_billed_lines",
    "SELECT li.line AS line, 0 AS links, 0 AS seconds, "
    "NEW.worked_seconds - OLD.worked_seconds AS worked FROM invoice_line_entries li "
    "WHERE li.entry = NEW.id", grouped=False) + ";"

_SQLITE = [
    "CREATE TRIGGER kpi_work_days_ins AFTER INSERT ON time_entries "
    f"WHEN NEW.deleted_at IS NULL BEGIN "
    f"{_upsert('kpi_work_days', _work('NEW', 1, _ONE), grouped=False)}; END",
    "CREATE TRIGGER kpi_work_days_del AFTER DELETE ON time_entries "
    f"WHEN OLD.deleted_at IS NULL BEGIN "
    f"{_upsert('kpi_work_days', _work('OLD', -1, _ONE), grouped=False)}; END",
    f"CREATE TRIGGER kpi_work_days_upd_old AFTER UPDATE OF {_SQ_WORK_COLS} ON time_entries "
    f"WHEN OLD.deleted_at IS NULL BEGIN "
    f"{_upsert('kpi_work_days', _work('OLD', -1, _ONE), grouped=False)}; END",
    f"CREATE TRIGGER kpi_work_days_upd_new AFTER UPDATE OF {_SQ_WORK_COLS} ON time_entries "
    f"WHEN NEW.deleted_at IS NULL BEGIN "
    f"{_upsert('kpi_work_days', _work('NEW', 1, _ONE), grouped=False)}; END",
    # approval sets approved_at on entries not yet billed: the WHEN keeps it to one probe of
    # the links' entry index, no upsert
    "CREATE TRIGGER kpi_billed_days_entry AFTER UPDATE OF work_date, approved_at "
    "ON time_entries WHEN (OLD.work_date IS NOT NEW.work_date "
    "OR OLD.approved_at IS NOT NEW.approved_at) AND EXISTS (SELECT 1 FROM "
    "invoice_line_entries x WHERE x.entry = NEW.id) BEGIN "
    f"{_sq_moved('OLD', -1)} {_sq_moved('NEW', 1)} END",
    "CREATE TRIGGER kpi_billed_lines_entry AFTER UPDATE OF worked_seconds ON time_entries "
    "WHEN OLD.worked_seconds <> NEW.worked_seconds BEGIN "
    f"{_SQ_REWORKED} END",
    f"CREATE TRIGGER kpi_billed_links_ins AFTER INSERT ON invoice_line_entries BEGIN "
    f"{_sq_link('NEW', 1)} END",
    f"CREATE TRIGGER kpi_billed_links_del AFTER DELETE ON invoice_line_entries BEGIN "
    f"{_sq_link('OLD', -1)} END",
    "CREATE TRIGGER kpi_billed_links_upd AFTER UPDATE ON invoice_line_entries BEGIN "
    f"{_sq_link('OLD', -1)} {_sq_link('NEW', 1)} END",
]
_SQLITE_TRIGGERS = ("kpi_work_days_ins", "kpi_work_days_del", "kpi_work_days_upd_old",
                    "kpi_work_days_upd_new", "kpi_billed_days_entry",
                    "kpi_billed_lines_entry", "kpi_billed_links_ins", "kpi_billed_links_del",
                    "kpi_billed_links_upd")


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_entries())
        op.execute(_pg_links())
    else:
        for statement in _SQLITE:
            op.execute(statement)


def _backfill(pg: bool) -> None:
    day = (_PG_DAY if pg else _SQ_DAY).format(t="te")
    op.execute(
        "INSERT INTO kpi_work_days (employee, project, work_date, entries, worked, billable) "
        "SELECT employee, project, work_date, count(*), sum(worked_seconds), "
        "sum(CASE WHEN billable THEN worked_seconds ELSE 0 END) FROM time_entries "
        "WHERE deleted_at IS NULL GROUP BY employee, project, work_date")
    op.execute(
        "INSERT INTO kpi_billed_lines (line, links, seconds, worked) "
        "SELECT li.line, count(*), sum(li.seconds), sum(te.worked_seconds) "
        "FROM invoice_line_entries li JOIN time_entries te ON te.id = li.entry "
        "GROUP BY li.line")
    op.execute(
        "INSERT INTO kpi_billed_days (invoice, work_date, approved_on, parts) "
        f"SELECT ln.invoice, te.work_date, {day}, count(*) FROM invoice_line_entries li "
        "JOIN invoice_lines ln ON ln.id = li.line JOIN time_entries te ON te.id = li.entry "
        "WHERE li.seconds > 0 AND te.approved_at IS NOT NULL "
        f"GROUP BY ln.invoice, te.work_date, {day}")


def upgrade() -> None:
    op.create_table(
        "kpi_billed_days",
        sa.Column("invoice", sa.BigInteger(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("parts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("invoice", "work_date", "approved_on"),
    )
    op.create_table(
        "kpi_billed_lines",
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("links", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("worked", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("line"),
    )
    op.create_table(
        "kpi_work_days",
        sa.Column("employee", sa.String(length=64), nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("worked", sa.BigInteger(), nullable=False),
        sa.Column("billable", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("employee", "project", "work_date"),
    )
    pg = op.get_bind().dialect.name == "postgresql"
    _backfill(pg)
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table in _PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS kpi_rollups_entries()")
        op.execute("DROP FUNCTION IF EXISTS kpi_rollups_links()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in ("kpi_work_days", "kpi_billed_lines", "kpi_billed_days"):
        op.drop_table(table)
