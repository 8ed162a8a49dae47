"""Engines: SQLite (WAL, foreign keys on) by default, PostgreSQL through the URL.

SQLite: Python's sqlite3 module starts a transaction only at the first write, so a use case's
reads ran outside any transaction and two processes could both read the same unbilled work and
then, one after the other, both bill it. Here the driver's own transaction handling is off and
every transaction begins ``IMMEDIATE``: it takes the database's single write lock up front, so
writers run one after the other, each reading what the previous one committed (a waiting writer
waits up to ``SQLITE_BUSY_TIMEOUT`` seconds). Read-only work passes
``execution_options(read_only=True)`` (see ``read_only``) and begins a plain deferred
transaction, which WAL lets run beside a writer. This is SQLAlchemy's documented recipe for
serializable SQLite transactions with working savepoints.

``hide_parameters``: errors and echo never carry the statement's values (notes, names), only
the SQL, so a logged database error stays within the ids-only promise of the logs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

SQLITE_BUSY_TIMEOUT = 60  # seconds a writer waits for another one before "database is locked"
READ_ONLY = "hourbridge_read_only"


def make_engine(url: str) -> Engine:
    # hide_parameters: an error message never carries row values (notes, names) into logs
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            read = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    # force_custom_plan: psycopg 3 prepares a statement server-side after its fifth run, and
    # PostgreSQL then switches the per-contract queries of a billing run to a generic plan
    # that scans every entry (170-240 ms per call instead of under 1 ms, issue #16). Our
    # parameters (one contract, one period) are far more selective than a generic plan
    # assumes, so each execution is planned for its own values; the statement stays prepared.
    # For the whole session, on purpose, though it also replans the statements of triggers
    # on each call. The bulk-written tables' references are checked once per statement by
    # triggers (migration 0030_refs_per_statement), so that cost is no longer per row. A
    # session default (no server-side prepare, PostgreSQL's own plan cache) was tried on
    # 2026-12-07 and reverted after a 1M run's COPY of links took minutes; the next session
    # found that stall with forced custom plans too, caused by stale statistics of
    # ``approved_at`` (tables.APPROVAL_COLUMNS), so the plan cache was probably innocent.
    # Not re-tried: a generic plan cached while a table is nearly empty is still a trap.
    # jit=off: PostgreSQL compiles any statement whose estimated cost passes jit_above_cost,
    # and a 1M-entry firm's set-based statements do, though they run for milliseconds to a
    # second: compiling cost more than it saved. Measured on the bench's 1M-entry database
    # (issue 16), in process: the billing run 70.7 s with JIT, 65.3 s without (its count of
    # open work per contract 1.72 s -> 0.98 s); issuing 79.3 s -> 72.1 s (the WIP sums, the
    # statement JIT compiled 39 times, 6.4 s -> 5.1 s); every KPI query as fast either way.
    return create_engine(url, pool_pre_ping=True, hide_parameters=True,
                         connect_args={"options": "-c plan_cache_mode=force_custom_plan "
                                                  "-c jit=off"})


def read_only(engine: Engine) -> Engine:
    """The same engine (and pool) for queries that never write: on SQLite they do not wait for
    the write lock."""
    return engine.execution_options(**{READ_ONLY: True})
