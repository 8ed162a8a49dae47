"""The kept billing standing (``tables.standing``): what stood invoiced per contract and month
after each scope's last real run, and the contract-months that moved since (issue 16, item 4).

Mixed into ``SqlInvoices``. A run reads its scope's dirty contract-months, sums the live
documents of those only, compares them with the kept rows, rewrites the rows that moved and
deletes the dirty marks it read: its cost follows what moved, not the history stored.

The statements go to the driver as SQL text with positional parameters: a run that bills
a hundred entries sends seven of them, and SQLAlchemy's building, cache key and parameter
processing of a ``(contract, period) IN (...)`` statement cost ten times the query (issue 16,
item 4: the increment's cost, not the run's fixed costs).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from hourbridge.domain.invoiced import Document, Standing, standing_key, standing_of

from . import tables as t
from ._sql import _chunks

_KEYS_PER_QUERY = 400  # (contract, period) pairs: two parameters each, under SQLite's limit


def _scope(entity: str | None) -> str:
    return t.ALL_ENTITIES if entity is None else entity


def _pairs(keys: Iterable[str]) -> list[tuple[str, str]]:
    return sorted(tuple(k.split("|", 1)) for k in keys)  # type: ignore[misc]


def _mark(conn: Connection) -> str:
    """The driver's positional parameter marker."""
    return "?" if conn.dialect.name == "sqlite" else "%s"


def _in_pairs(conn: Connection, part: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    """``(contract, period) IN (VALUES ...)`` of ``part`` and its parameters."""
    m = _mark(conn)
    values = ", ".join(f"({m}, {m})" for _ in part)
    return f"(contract, period) IN (VALUES {values})", [v for pair in part for v in pair]


class StandingBook:
    """The kept-standing half of ``SqlInvoices``."""

    conn: Connection

    def standing_kept(self, entity: str | None) -> bool:
        """Whether the scope's baseline is kept as rows (false before its first real run).
        On PostgreSQL this locks the scope's row until commit: two runs of one scope compare
        and rewrite its rows one after the other, the second seeing what the first wrote."""
        sql = f"SELECT kept FROM billing_standing_scopes WHERE scope = {_mark(self.conn)}"
        if self.conn.dialect.name == "postgresql":
            sql += " FOR UPDATE"
        return bool(self.conn.exec_driver_sql(sql, (_scope(entity),)).scalar())

    def moved_since(self, entity: str | None) -> tuple[list[int], set[str]]:
        """The dirty marks of the scope: their ids and the contract-months they name."""
        ids: list[int] = []
        keys: set[str] = set()
        for i, contract, period in self.conn.exec_driver_sql(
                "SELECT id, contract, period FROM billing_standing_dirty WHERE scope = "
                f"{_mark(self.conn)}", (_scope(entity),)):
            ids.append(int(i))
            keys.add(standing_key(contract, period))
        return ids, keys

    def standing_of_keys(self, entity: str | None, keys: Collection[str]) -> Standing:
        """Live invoices (drafts too) and credit notes of these contract-months, summed in
        Python (SQLite stores amounts as text); by the (contract, period) index."""
        documents: list[Document] = []
        for part in _chunks(_pairs(keys), _KEYS_PER_QUERY):
            among, params = _in_pairs(self.conn, part)
            sql = ("SELECT contract, period, currency, net, kind FROM invoices "
                   f"WHERE {among} AND status != 'void'")
            if entity is not None:
                sql += f" AND entity = {_mark(self.conn)}"
                params.append(entity)
            # net: decimal text on SQLite, numeric on PostgreSQL; Decimal of either is exact
            documents += [Document(contract, period, currency, Decimal(net),
                                   kind == "credit_note")
                          for contract, period, currency, net, kind
                          in self.conn.exec_driver_sql(sql, tuple(params))]
        return standing_of(documents)

    def kept_standing(self, entity: str | None, keys: Collection[str]) -> Standing:
        """The kept baseline's rows of these contract-months."""
        out: Standing = {}
        for part in _chunks(_pairs(keys), _KEYS_PER_QUERY):
            among, params = _in_pairs(self.conn, part)
            for contract, period, currency, invoiced, credited, net, documents in (
                    self.conn.exec_driver_sql(
                        "SELECT contract, period, currency, invoiced, credited, net, documents "
                        f"FROM billing_standing WHERE scope = {_mark(self.conn)} AND {among}",
                        (_scope(entity), *params))):
                out[standing_key(contract, period)] = {
                    "currency": currency, "invoiced": invoiced, "credited": credited,
                    "net": net, "documents": str(documents)}
        return dict(sorted(out.items()))

    def keep_standing(self, entity: str | None, keys: Collection[str], now: Standing,
                      seen: Sequence[int], first: bool = False) -> None:
        """The baseline of ``keys`` becomes ``now`` (a key absent from it: nothing stands)
        and the dirty marks read (``seen``) are done; marks written since by others stay for
        the next run. ``first``: the scope's first kept baseline, kept from here on."""
        m, scope = _mark(self.conn), _scope(entity)
        for part in _chunks(_pairs(keys), _KEYS_PER_QUERY):
            among, params = _in_pairs(self.conn, part)
            self.conn.exec_driver_sql(
                f"DELETE FROM billing_standing WHERE scope = {m} AND {among}",
                (scope, *params))
        rows: list[tuple[Any, ...]] = [
            (scope, *k.split("|", 1), v["currency"], v["invoiced"], v["credited"], v["net"],
             int(v["documents"])) for k, v in sorted(now.items())]
        if rows:
            self.conn.exec_driver_sql(
                "INSERT INTO billing_standing (scope, contract, period, currency, invoiced, "
                f"credited, net, documents) VALUES ({', '.join([m] * 8)})", rows)
        for part in _chunks(list(dict.fromkeys(seen))):
            self.conn.exec_driver_sql(
                f"DELETE FROM billing_standing_dirty WHERE id IN ({', '.join([m] * len(part))})",
                tuple(part))
        if not first:
            return
        done = self.conn.exec_driver_sql(
            f"UPDATE billing_standing_scopes SET kept = {m} WHERE scope = {m}", (True, scope))
        if done.rowcount == 0:  # a scope the migration's triggers did not register
            self.conn.exec_driver_sql(
                f"INSERT INTO billing_standing_scopes (scope, kept) VALUES ({m}, {m})",
                (scope, True))
