"""What intake reads and writes of stored rows, for every kind (time entries, expenses).

A batch is staged (issue 16, item 5): the ids and contents already stored are found by
set-based look-ups of the whole batch against the unique keys, and the rows intake takes as
new go into the kind's table by one bulk statement. How each engine stages is what measured
fastest on it (100,000 entries, 20 batches):

- PostgreSQL keeps the batch in memory, as the tuples ``COPY`` takes: two look-ups, each one
  statement probing a unique index key by key (``probe``), then one ``COPY`` of the new
  rows into the table. A temporary staging table cost more than it saved there: its COPY
  0.86 s, the ANALYZE the planner needed to probe the unique keys rather than scan 0.82 s,
  the two joins 1.18 s and the move's ``INSERT … SELECT`` 4.3 s, against 0.6-0.7 s of
  probes and 3.5 s of ``COPY`` (2.0-2.4 s once the references were checked per statement,
  migration 0030). The whole in-process ingest went from 10.9 s to 9.0-9.4 s, then 6.8-7.1.
- SQLite loads the batch into the connection's unindexed temporary table, finds stored ids
  and contents by two joins, and moves the new rows by one ``INSERT … SELECT``. Straight
  into the table, an ``executemany`` runs a statement per row, each with its own statement
  journal and triggers (5,000 entries: 330 ms, against 15-24 ms staged and 143-172 ms
  moved); and the joins cost less than bounded ``IN`` lists (0.15 s against 0.25 s).

Either way nothing is left behind by a crash or a rollback: the batch is this process's, or
its session's temporary table, and concurrent intakes each stage their own.
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
    if conn.dialect.name == "postgresql":
        rows = probe(conn, table, "external_id", external_ids, [col.name for col in cols],
                     source=source)
        return {r[0]: make(*r[1:-1], entity=r[-1]) for r in rows}
    for member in _member(conn, c.external_id, external_ids):
        for r in conn.execute(select(c.external_id, *cols).where(member, c.source == source)):
            found[r[0]] = make(*r[1:-1], entity=r[-1])
    return found


def probe(conn: Connection, table: Table, key: str, values: Sequence[str],
          columns: Sequence[str] = (), source: str | None = None) -> list[tuple[Any, ...]]:
    """PostgreSQL: each of ``values`` found in ``table``'s unique ``key`` (of ``source``),
    with ``columns`` of its row, by one statement probing the key's index once per value.

    Why this shape: for ``key = ANY(array of 5,000)`` on a table of 100,000 entries the
    planner chose to scan the whole table (29-35 ms a batch, growing with history) over the
    index (8-13 ms), and a plain join of the unnested array chose a hash join over the same
    scan. ``LIMIT 1`` in a lateral subquery cannot be flattened into a join, so every value
    is one index probe, however large the table and whatever its statistics say."""
    for name in (key, *columns):
        table.c[name]  # names checked against the table: they are spliced into the SQL
    if not values:
        return []
    picked = ", ".join(f"t.{name}" for name in columns) or "1"
    of_source = " AND t.source = %(source)s" if source is not None else ""
    statement = (
        f"SELECT k.value, x.* FROM unnest(%(values)s::varchar[]) AS k(value) "
        f"CROSS JOIN LATERAL (SELECT {picked} FROM {table.name} t "
        f"WHERE t.{key} = k.value{of_source} LIMIT 1) x")
    # in key order: consecutive probes walk neighbouring pages of the index
    found = conn.exec_driver_sql(statement, {"values": sorted(set(values)),
                                             "source": source})
    return [tuple(row) for row in found]


class StagedBatch:
    """One kind's batch between ``load`` and ``move`` (a repository holds one)."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        for name in (*columns, "external_id", "content_key"):
            table.c[name]  # fail loudly on a typo rather than staging a wrong column
        self.conn, self.table, self.columns = conn, table, tuple(columns)
        self._rows: Sequence[Sequence[Any]] = ()  # PostgreSQL: the batch, until moved

    @property
    def _postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def load(self, rows: Sequence[Sequence[Any]], *, converted: bool = False
             ) -> tuple[list[str], set[str]]:
        """Stage ``rows`` (tuples in ``columns`` order, ``source`` first); return the external
        ids to look the stored rows up by (PostgreSQL: all of the batch's; SQLite: those the
        join found stored) and the contents another row already holds (the unique intake
        key: one index serves this look-up and the constraint that holds it under
        concurrent intakes)."""
        at = self.columns.index
        ids = [row[at("external_id")] for row in rows]
        if self._postgres:
            self._rows = rows
            taken = probe(self.conn, self.table, "intake_key",
                          [row[at("content_key")] for row in rows])
            return ids, {key for key, *_ in taken}
        name, names, table = STAGE_PREFIX + self.table.name, ", ".join(self.columns), \
            self.table.name
        # untyped columns keep values exactly as given (a typed column's affinity would turn
        # an amount's decimal text into a binary float)
        self.conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {name} (pos, {names})")
        self.conn.exec_driver_sql(f"DELETE FROM {name}")
        load_rows(self.conn, name, ("pos", *self.columns),
                  [(pos, *row) for pos, row in enumerate(rows)], converted=converted)
        stored_ids = self.conn.exec_driver_sql(
            f"SELECT s.external_id FROM {name} s JOIN {table} t "
            "ON t.external_id = s.external_id AND t.source = s.source").scalars().all()
        taken_keys = self.conn.exec_driver_sql(
            f"SELECT s.content_key FROM {name} s JOIN {table} t "
            "ON t.intake_key = s.content_key").scalars().all()
        return list(stored_ids), set(taken_keys)

    def move(self, skip: Sequence[int]) -> int:
        """Insert the staged rows but those at positions ``skip`` into the table, in batch
        order (ids follow the file); how many."""
        if self._postgres:
            rows, self._rows = self._rows, ()
            if len(skip) >= len(rows):
                return 0
            if skip:
                skipped = set(skip)
                rows = [row for position, row in enumerate(rows) if position not in skipped]
            load_rows(self.conn, self.table.name, self.columns, rows)
            moved = len(rows)
        else:
            moved = self._move_staged(skip)
        note_bulk_write(self.conn, self.table.name, moved)
        return moved

    def _move_staged(self, skip: Sequence[int]) -> int:
        name, names = STAGE_PREFIX + self.table.name, ", ".join(self.columns)
        if skip:
            staged = Table(name, MetaData(), Column("pos", BigInteger))
            for member in _member(self.conn, staged.c.pos, skip):
                self.conn.execute(delete(staged).where(member))
        # time entries: the KPI rollups grouped once for the batch, not per row
        with set_based_rollups(self.conn, self.table.name):
            return int(self.conn.exec_driver_sql(
                f"INSERT INTO {self.table.name} ({names}) SELECT {names} FROM {name} "
                "ORDER BY pos").rowcount)
