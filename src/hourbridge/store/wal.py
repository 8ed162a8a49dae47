"""SQLite: the write-ahead log checkpointed beside the commands, not inside one of them.

In WAL mode SQLite copies the log back into the database file (a checkpoint, with an fsync)
in whichever commit finds the log past 1,000 pages. That commit is rarely the one that
wrote them: on the 1M-entry bench an issue of 20 invoices left 540 pages of log, and the
next billing run of 100 new entries, normally about 10 ms, took 30 ms because its commit
paid the checkpoint (issue 16, item 4). A long-lived process (the API server, the worker, a
scheduler) now checkpoints from a thread of its own a moment after each write, so a commit
seldom finds much log to copy. SQLite's own automatic checkpoint stays on as the bound if
this thread falls behind (a bulk load writes faster than a quarter second).

A PASSIVE checkpoint never waits for or blocks a reader or a writer: it copies what no reader
still needs and stops; the next one copies the rest. It is SQLite's own operation, safe
against a crash at any point (the log is only reset once the database file has it).
"""

from __future__ import annotations

import sqlite3
import threading
from urllib.parse import quote

from sqlalchemy import Engine

INTERVAL = 0.25  # seconds between checkpoints: little log accumulates, the thread is idle


class WalCheckpointer:
    """A daemon thread checkpointing one SQLite database file every ``INTERVAL``."""

    def __init__(self, path: str, interval: float = INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoint",
                                        daemon=True)
        self._thread.start()

    @classmethod
    def of(cls, engine: Engine) -> WalCheckpointer | None:
        """One for ``engine``'s database file; none for PostgreSQL or an in-memory SQLite."""
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:" \
                or database.startswith("file::memory:"):
            return None
        return cls(database)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.interval):
                try:
                    if conn is None:  # read-write, never created here; timeout 0: a
                        # busy database is tried again next time
                        conn = sqlite3.connect(f"file:{quote(self.path)}?mode=rw", uri=True,
                                               timeout=0, isolation_level=None)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    continue  # locked by another checkpoint, or no database file yet
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        """Ask the thread to end (it ends within ``interval``, after any checkpoint under
        way)."""
        self._stop.set()

    def close(self) -> None:
        self.stop()
        self._thread.join(timeout=5)
