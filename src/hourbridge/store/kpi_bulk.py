"""KPI rollups of Hourbridge's own bulk inserts on SQLite: one grouped upsert per rollup per
statement instead of the row triggers' one or two upserts per row (issue 16).

On SQLite the rollup triggers (migrations 0024, 0026) are row triggers; at 100,000 entries
they doubled the ``INSERT ... SELECT`` that moves an intake batch, and a billing run's links
insert cost 3.5 times the bare insert. ``set_based_rollups`` wraps such an insert: it marks
the table in ``kpi_rollup_deferred`` (the INSERT triggers skip their work while the mark is
there, migration 0027), lets the insert run, then adds exactly what the triggers would have
added for the rows it inserted (the same formulas, grouped), and removes the mark, all in the
caller's transaction. Every other writer is still counted by the triggers.

Why this holds: every SQLite write transaction begins ``IMMEDIATE`` (store/engine.py), so
while the mark exists no other connection writes, and other connections never see it (it is
never committed: removed before the block ends, and a crash or rollback takes it back with
the rows). The inserted rows are those with a rowid above the table's largest before the
insert: SQLite gives a new row a rowid above every present one, and none of these inserts
sets a rowid itself.

A small insert (fewer rows than ``TRIGGERS_BELOW``, when the caller says how many) keeps
the row triggers: the mark and the grouped upserts are five statements whatever the insert's
size, more than the triggers cost for a few dozen rows (a billing run of 100 new entries,
issue 16 item 4).

PostgreSQL needs none of this: its triggers are statement-level already (one set-based
upsert per statement, with transition tables).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

_SHAPE = {
    "kpi_approval_days": (("entity", "customer", "work_date", "approved_on"), ("entries",)),
    "kpi_billed_days": (("invoice", "work_date", "approved_on"), ("parts",)),
    "kpi_billed_lines": (("line",), ("links", "seconds", "worked")),
    "kpi_work_days": (("employee", "project", "work_date"), ("entries", "worked", "billable")),
}


# what these statements write: derived rows, as the triggers' own writes are, so the audit
# chain's write tracker leaves them out (an audit record says the same on either path)
DERIVED_TABLES = frozenset((*_SHAPE, "kpi_rollup_deferred"))


def _add(rollup: str, select: str) -> str:
    """``INSERT INTO rollup SELECT ...`` adding to existing rows (the triggers' upsert);
    ``select`` yields the key columns then the summed ones, one row per key."""
    keys, sums = _SHAPE[rollup]
    update = ", ".join(f"{c} = {rollup}.{c} + excluded.{c}" for c in sums)
    # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (parser ambiguity)
    return (f"INSERT INTO {rollup} ({', '.join(keys + sums)}) SELECT * FROM ({select}) s "
            f"WHERE true ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {update}")


_DAY = "substr({t}.approved_at, 1, 10)"  # the UTC approval day, as the triggers take it

# the rows inserted are those with ``rowid > ?``; each statement is what the table's
# INSERT triggers add per row, summed per rollup key
ROLLUPS: dict[str, tuple[str, ...]] = {
    "time_entries": (
        # kpi_work_days_ins: live entries
        _add("kpi_work_days",
             "SELECT te.employee, te.project, te.work_date, count(*), sum(te.worked_seconds), "
             "sum(CASE WHEN te.billable THEN te.worked_seconds ELSE 0 END) "
             "FROM time_entries te NOT INDEXED WHERE te.rowid > ? AND te.deleted_at IS NULL "
             "GROUP BY te.employee, te.project, te.work_date"),
        # kpi_approval_days_ins: approved entries of a project that exists
        _add("kpi_approval_days",
             f"SELECT te.entity, p.customer, te.work_date, {_DAY.format(t='te')}, count(*) "
             "FROM time_entries te NOT INDEXED JOIN projects p ON p.code = te.project "
             "WHERE te.rowid > ? AND te.approval = 'approved' "
             "AND te.approved_at IS NOT NULL "
             f"GROUP BY te.entity, p.customer, te.work_date, {_DAY.format(t='te')}"),
    ),
    "invoice_line_entries": (
        # kpi_billed_links_ins: positive seconds of approved entries, per invoice and days
        _add("kpi_billed_days",
             f"SELECT ln.invoice, te.work_date, {_DAY.format(t='te')}, count(*) "
             "FROM invoice_line_entries li NOT INDEXED JOIN time_entries te ON te.id = li.entry "
             "JOIN invoice_lines ln ON ln.id = li.line WHERE li.rowid > ? "
             "AND li.seconds > 0 AND te.approved_at IS NOT NULL "
             f"GROUP BY ln.invoice, te.work_date, {_DAY.format(t='te')}"),
        # ... and every link of an entry that exists, per line
        _add("kpi_billed_lines",
             "SELECT li.line, count(*), sum(li.seconds), sum(te.worked_seconds) "
             "FROM invoice_line_entries li NOT INDEXED JOIN time_entries te ON te.id = li.entry "
             "WHERE li.rowid > ? GROUP BY li.line"),
    ),
}


# rows below which the row triggers are cheaper than the mark and the grouped upserts (SQLite,
# measured on a billing run's links: see the module docstring)
TRIGGERS_BELOW = 100


@contextlib.contextmanager
def set_based_rollups(conn: Connection, table: str, rows: int | None = None
                      ) -> Iterator[None]:
    """Around one bulk INSERT into ``table`` (no explicit rowids), in the caller's
    transaction: on SQLite, the rows it inserts reach the KPI rollups by one grouped upsert
    per rollup instead of per-row triggers. Elsewhere, for a table without rollups, or for
    an insert of ``rows`` fewer than ``TRIGGERS_BELOW`` (the triggers count those), a
    no-op."""
    small = rows is not None and rows < TRIGGERS_BELOW
    if conn.dialect.name != "sqlite" or table not in ROLLUPS or small:
        yield
        return
    after = conn.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {table}").scalar_one()
    conn.exec_driver_sql("INSERT INTO kpi_rollup_deferred (source) VALUES (?)", (table,))
    try:
        yield
    except BaseException:
        # an executemany that failed part-way keeps its earlier rows (each row is its own
        # statement): count them, and never leave the mark to a caller that goes on; if the
        # connection is broken, its transaction rolls back the mark and the rows alike
        with contextlib.suppress(DBAPIError):
            _finish(conn, table, after)
        raise
    _finish(conn, table, after)


def _finish(conn: Connection, table: str, after: int) -> None:
    for statement in ROLLUPS[table]:
        conn.exec_driver_sql(statement, (after,))
    conn.exec_driver_sql("DELETE FROM kpi_rollup_deferred WHERE source = ?", (table,))
