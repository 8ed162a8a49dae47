"""What intake reads and writes of stored rows, for every kind (time entries, expenses).

A batch is staged (issue 16, item 5): its validated rows are loaded raw into an unindexed
temporary table (``COPY`` on PostgreSQL, one ``executemany`` on SQLite), the ids and contents
already stored are found by two joins against the unique keys, and the rows intake takes as
new are moved into the kind's table in one ``INSERT … SELECT``. The staging table is the
connection's own and temporary: a crash or a rollback leaves nothing of it behind, and
concurrent intakes each stage in their own session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, MetaData, Table, delete, select

from hourbridge.services.ports.entries import StoredEntry

from ._sql import _member
from .bulk import STAGE_PREFIX, load_rows, note_bulk_write
from .kpi_bulk import set_based_rollups


def stored_rows(conn: Connection, table: Table, source: str, external_ids: Sequence[str],
                extra: Sequence[str] = (),
                make: Callable[..., StoredEntry] = StoredEntry) -> dict[str, StoredEntry]:
    """The rows of ``source`` with these external ids, by external id: id, revision, content
    key, approval and billing, then the ``extra`` columns (as ``make`` takes them), and the
    row's entity (keyword ``entity``)."""
    c = table.c
    cols = [c.id, c.revision, c.content_key, c.approval, c.billing,
            *(c[name] for name in extra), c.entity]
    found: dict[str, StoredEntry] = {}
    for member in _member(conn, c.external_id, external_ids):
        for r in conn.execute(select(c.external_id, *cols).where(member, c.source == source)):
            found[r[0]] = make(*r[1:-1], entity=r[-1])
    return found


def stage_rows(conn: Connection, table: Table, columns: Sequence[str],
          rows: Sequence[Sequence[Any]], *, converted: bool = False
          ) -> tuple[list[str], set[str]]:
    """Load ``rows`` (tuples in ``columns`` order, ``source`` first, ``content_key`` among
    them) into the table's staging table, numbered in batch order; return the external ids
    already stored for the rows' sources and the contents another row already holds (the
    unique intake key: one index serves this join and the constraint that holds it under
    concurrent intakes)."""
    for name in columns:  # fail loudly on a typo rather than staging a wrong column
        table.c[name]
    name = STAGE_PREFIX + table.name
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        # the stored columns' own types, so COPY converts as into the table itself
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {name} AS "
                             f"SELECT 0 AS pos, {names} FROM {table.name} WHERE false")
    else:
        # untyped columns keep values exactly as given (a typed column's affinity would turn
        # an amount's decimal text into a binary float)
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {name} (pos, {names})")
    conn.exec_driver_sql(f"DELETE FROM {name}")
    load_rows(conn, name, ("pos", *columns),
              [(pos, *row) for pos, row in enumerate(rows)], converted=converted)
    if conn.dialect.name == "postgresql":
        # a temporary table has no statistics until analyzed: without them the planner may
        # scan the stored table instead of probing its unique keys
        conn.exec_driver_sql(f"ANALYZE {name}")
    stored_ids = conn.exec_driver_sql(
        f"SELECT s.external_id FROM {name} s JOIN {table.name} t "
        "ON t.external_id = s.external_id AND t.source = s.source").scalars().all()
    taken = conn.exec_driver_sql(
        f"SELECT s.content_key FROM {name} s JOIN {table.name} t "
        "ON t.intake_key = s.content_key").scalars().all()
    return list(stored_ids), set(taken)


def move_staged(conn: Connection, table: Table, columns: Sequence[str],
                skip: Sequence[int]) -> int:
    """Move the staged rows but those at positions ``skip`` into ``table``, in batch order
    (ids follow the file); how many moved."""
    name = STAGE_PREFIX + table.name
    names = ", ".join(columns)
    if skip:
        staged = Table(name, MetaData(), Column("pos", BigInteger))
        for member in _member(conn, staged.c.pos, skip):
            conn.execute(delete(staged).where(member))
    # time entries: the KPI rollups grouped once for the batch, not per row (SQLite)
    with set_based_rollups(conn, table.name):
        moved = conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {name} ORDER BY pos"
        ).rowcount
    note_bulk_write(conn, table.name, moved)
    return int(moved)
