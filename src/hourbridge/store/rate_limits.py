"""Rate-limit windows shared by every process on the database: one row per credential and
fixed window, counted by a single ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` (an
atomic increment on PostgreSQL and SQLite alike), so N ``serve`` processes together allow
one limit, not N."""

from __future__ import annotations

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from . import tables as t


class SqlRateWindows:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = (postgresql.insert if engine.dialect.name == "postgresql"
                        else sqlite.insert)

    def hit(self, who: str, window: int) -> int:
        """Count one request of ``who`` in ``window``; the window's count including it."""
        rl = t.rate_limit_windows
        stmt = self._insert(rl).values(who=who, window=window, hits=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[rl.c.who, rl.c.window],
            set_={"hits": rl.c.hits + 1}).returning(rl.c.hits)
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).scalar_one())

    def prune(self, before: int) -> int:
        """Forget windows that started before ``before``; how many rows went."""
        rl = t.rate_limit_windows
        with self.engine.begin() as conn:
            return int(conn.execute(delete(rl).where(rl.c.window < before)).rowcount or 0)
