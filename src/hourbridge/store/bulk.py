"""Bulk inserts for hot paths: ``COPY`` on PostgreSQL, one driver ``executemany`` on SQLite.

SQLAlchemy's per-row parameter processing costs more than the database itself on a million
rows, so hot paths hand rows as plain tuples to the driver. Values are converted here exactly
as the column types would (see ``types``): instants in UTC, dates ISO 8601, decimals as text
on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.exc import DBAPIError

from .tables import metadata

# values SQLite stores as given: most of a bulk insert's, passed on after one type look-up
# rather than four isinstance tests (bool is not among them: type(True) is bool)
_AS_IS = frozenset((str, int, float, bytes, type(None)))


def _instant(value: datetime) -> str:
    # the storage format of SQLAlchemy's SQLite DATETIME, in UTC (see types.UtcDateTime)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _decimal(value: Decimal) -> str:
    return format(value, "f")


# the converter of each exact type a bulk write holds, found by one look-up rather than a
# chain of isinstance tests (a run's invoice lines are mostly decimals); subclasses fall
# through to the tests below
_BY_TYPE: dict[type, Any] = {bool: int, datetime: _instant, date: date.isoformat,
                             Decimal: _decimal}


def sqlite_value(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    convert = _BY_TYPE.get(kind)
    if convert is not None:
        return convert(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _decimal(value)
    return value


ANALYZE_AFTER_ROWS = 20_000


# a batch's staging table (``intake_rows``): the session's own scratch, not stored data
STAGE_PREFIX = "stage_"
COPY_WATCH = "copy_watch"  # conn.info key: called with (table, statement, rows) after a COPY


def note_bulk_write(conn: Connection, table: str, rows: int,
                    columns: Sequence[str] | None = None) -> None:
    """Count rows written in bulk, so the unit of work can refresh PostgreSQL's planner
    statistics after a large load (a fresh table's stale statistics turn index lookups
    into sequential scans, one per invoice or batch). ``columns``: an UPDATE that changed
    only these, so only their statistics are refreshed (rows inserted: every column)."""
    written = conn.info.setdefault("bulk_rows", {})
    before_rows, before_columns = written.get(table, (0, frozenset()))
    written[table] = (before_rows + rows, None if columns is None or before_columns is None
                      else before_columns | frozenset(columns))


def analyze_if_grown(conn: Connection) -> None:
    """After commit: ANALYZE the tables a unit of work wrote many rows to (PostgreSQL).

    A table whose rows were only updated in a few columns is analysed in those: ANALYZE
    samples the same 30,000 rows either way, but computing every column's statistics was
    0.43 s of it on the 100k bench's entries, against 0.06 s for the three state columns a
    billing run or an issue changes (issue 16)."""
    written: dict[str, tuple[int, frozenset[str] | None]] = conn.info.pop("bulk_rows", {})
    if conn.dialect.name != "postgresql":
        return
    grown = sorted((name, columns) for name, (rows, columns) in written.items()
                   if rows >= ANALYZE_AFTER_ROWS and name in metadata.tables)
    for name, columns in grown:
        listed = "" if columns is None else f" ({', '.join(sorted(columns))})"
        conn.exec_driver_sql(f"ANALYZE {name}{listed}")
    if grown:
        conn.commit()


def empty_scratch(conn: Connection, name: str, create: str) -> None:
    """Create (``create``: its ``CREATE TEMP TABLE IF NOT EXISTS … ON COMMIT DELETE ROWS``)
    or empty the session's temporary table ``name`` for the next batch of this transaction
    (PostgreSQL; one round trip: without parameters psycopg sends both as one query).

    A DELETE's rows stay in the table's files as long as the deleting transaction is open
    (nothing may remove them before it ends; autovacuum never visits temporary tables
    anyway): each batch's statements then read the dead rows of all the batches before it,
    a transaction of k batches costing k² batch reads. Approving 100,000 entries (20
    batches) slowed from 150 to 255 ms a batch, and approving 1,000,000 (200 batches) took
    153-157 s, 82-87 s with the TRUNCATE (issue 16). TRUNCATE gives the table new, empty
    files, at 0.6-4 ms a time (a catalog update a 100-entry approval should not pay): a
    transaction's first batch finds the table emptied by the last commit, and its DELETE of
    nothing costs nothing.
    """
    transaction = conn.get_transaction()
    used: dict[str, object] = conn.info.setdefault("scratch_used_in", {})
    if used.get(name) is transaction:
        conn.exec_driver_sql(f"{create}; TRUNCATE {name}")
    else:
        used[name] = transaction  # the Transaction object: a new one per transaction
        conn.exec_driver_sql(f"{create}; DELETE FROM {name}")


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[Sequence[Any]], *, converted: bool = False) -> None:
    """Insert ``rows`` (tuples in ``columns`` order); ``converted`` says SQLite rows already
    hold storage values (see ``sqlite_value``)."""
    if not rows:
        return
    note_bulk_write(conn, table.name, len(rows))
    for name in columns:  # fail loudly on a typo rather than writing a wrong table
        table.c[name]
    load_rows(conn, table.name, columns, rows, converted=converted)


def load_rows(conn: Connection, table: str, columns: Sequence[str],
              rows: Sequence[Sequence[Any]], *, converted: bool = False) -> None:
    """``bulk_insert`` into a table by name (also a temporary one, see ``intake_rows``)."""
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        import psycopg

        statement = f"COPY {table} ({names}) FROM STDIN"
        try:
            with driver.cursor() as cur, cur.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            copied = conn.info.get(COPY_WATCH)  # COPY runs past SQLAlchemy's events
            if copied is not None:
                copied(table, statement, rows)
        except psycopg.Error as exc:  # as SQLAlchemy reports a failed execute (DataError, ...)
            raise DBAPIError.instance(statement, None, exc, psycopg.Error,
                                      hide_parameters=True, dialect=conn.dialect) from exc
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                         rows if converted else _sqlite_rows(rows))


def _sqlite_rows(rows: Sequence[Sequence[Any]], as_is: frozenset[type] = _AS_IS
                 ) -> list[tuple[Any, ...]]:
    """``sqlite_value`` of every value, called only for the few that are not stored as given
    (a call per value cost more than the conversions of a run's invoice lines)."""
    return [tuple([v if type(v) in as_is else sqlite_value(v) for v in row]) for row in rows]


def reserve_ids(conn: Connection, counts: dict[str, int]) -> dict[str, list[int]]:
    """Ids for so many new rows of each table, for ``insert_numbered``. PostgreSQL takes
    them from the tables' sequences, all tables in one round trip (a billing run's invoices
    and lines; a statement per table was 0.6-0.8 ms each of a 100-entry run, issue 16).
    SQLite numbers them from each table's largest id, safe because every write transaction
    holds the database's one write lock from its start (``BEGIN IMMEDIATE``,
    store/engine.py)."""
    out: dict[str, list[int]] = {name: [] for name in counts}
    wanted = [(name, n) for name, n in counts.items() if n]
    if not wanted:
        return out
    if conn.dialect.name != "postgresql":
        for name, n in wanted:
            # plain SQL: SQLAlchemy's building and cache key cost more than the look-up
            start = int(conn.exec_driver_sql(
                f"SELECT coalesce(max(id), 0) FROM {name}").scalar_one())
            out[name] = list(range(start + 1, start + 1 + n))
        return out
    params: dict[str, Any] = {}
    parts: list[str] = []
    for k, (name, n) in enumerate(wanted):
        params[f"t{k}"], params[f"n{k}"] = name, n
        parts.append(f"SELECT {k} AS k, nextval(pg_get_serial_sequence(:t{k}, 'id')) "
                     f"FROM generate_series(1, :n{k})")
    taken: dict[int, list[int]] = {}
    for k, i in conn.execute(text(" UNION ALL ".join(parts)), params):
        taken.setdefault(k, []).append(int(i))
    for k, (name, _) in enumerate(wanted):
        out[name] = sorted(taken.get(k, []))
    return out


def insert_numbered(conn: Connection, table: Table, rows: list[dict[str, Any]],
                    ids: list[int]) -> list[int]:
    """Insert rows (dicts of the same keys) under ``ids`` (``reserve_ids``), in the order
    given, by one bulk statement: ``COPY`` on PostgreSQL (a multi-row INSERT ... RETURNING
    of thousands of lines costs more to build and parse than to run), one executemany on
    SQLite (an INSERT ... RETURNING in parameter order goes a row at a time)."""
    if not rows:
        return []
    # tuples straight to the driver (values in storage form on SQLite, see above):
    # SQLAlchemy's per-row parameter processing of thousands of lines cost more than
    # the insert
    columns = ("id", *rows[0])
    # the values of each row in column order by one C call, not a generator per row
    take = itemgetter(*columns[1:])  # one column: its value, not a tuple
    pairs = zip(ids, rows, strict=True)
    bulk_insert(conn, table, columns,
                [(i, *take(r)) for i, r in pairs] if len(columns) > 2
                else [(i, take(r)) for i, r in pairs])
    return ids
