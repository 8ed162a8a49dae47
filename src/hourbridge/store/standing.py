"""The kept billing standing (``tables.standing``): what stood invoiced per contract and month
after each scope's last real run, and the contract-months that moved since (issue 16, item 4).

Mixed into ``SqlInvoices``. A run reads its scope's dirty contract-months, sums the live
documents of those only, compares them with the kept rows, rewrites the rows that moved and
deletes the dirty marks it read: its cost follows what moved, not the history stored.

The statements go to the driver as SQL text with positional parameters: a run that bills
a hundred entries sends seven of them, and SQLAlchemy's building, cache key and parameter
processing of a ``(contract, period) IN (...)`` statement cost ten times the query (issue 16,
item 4: the increment's cost, not the run's fixed costs).

Every read and delete by contract-month looks each key up by its index, whatever the planner's
statistics say. ``(contract, period) IN (VALUES ...)`` (what runs sent before) leaves the join
order to the planner, and both engines chose to read every row of the scope (SQLite also every
invoice) and compare it with each key: a cost that grew with the months ever billed. On
PostgreSQL a ``billing_standing`` never analysed (autovacuum off, or not yet run: the table only
ever changes a few rows at a time) was planned at one row per scope: at 100k entries, 13 ms to
read and 20 ms to delete 44 keys among 772 rows. So the keys are the outer loop, by the
engine's own means of fixing a join order: on SQLite a ``CROSS JOIN`` (its planner never
reorders one), on PostgreSQL a ``LATERAL`` subquery with ``LIMIT``/``OFFSET`` (never flattened
into a join). A delete removes the rows so found by their row addresses. Measured on that
table under load: reading 44 keys 34 → 1.3 ms, deleting them 52 → 1.4 ms.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from hourbridge.domain.invoiced import Document, Standing, standing_key, standing_of

from . import tables as t
from ._sql import _chunks
from .bulk import load_rows

_KEYS_PER_QUERY = 400  # (contract, period) pairs: two parameters each, under SQLite's limit


def _scope(entity: str | None) -> str:
    return t.ALL_ENTITIES if entity is None else entity


def _pairs(keys: Iterable[str]) -> list[tuple[str, str]]:
    return sorted(tuple(k.split("|", 1)) for k in keys)  # type: ignore[misc]


def _mark(conn: Connection) -> str:
    """The driver's positional parameter marker."""
    return "?" if conn.dialect.name == "sqlite" else "%s"


def _per_key(conn: Connection, part: Sequence[tuple[str, str]], table: str, columns: str,
             where: str = "", params: Sequence[Any] = (), one: bool = False
             ) -> tuple[str, list[Any]]:
    """``SELECT columns`` of ``table``'s rows (alias ``s``) of each contract-month of
    ``part`` meeting ``where`` (more conditions on ``s``, with ``params``), the keys the outer
    loop and each looked up by the table's index (see the module docstring); ``one``: at most
    one row per key (a primary key)."""
    if conn.dialect.name == "postgresql":
        return ("SELECT s.* FROM unnest(%s::text[], %s::text[]) AS k(contract, period) "
                f"CROSS JOIN LATERAL (SELECT {columns} FROM {table} s "
                f"WHERE s.contract = k.contract AND s.period = k.period{where} "
                f"{'LIMIT 1' if one else 'OFFSET 0'}) s",
                [[c for c, _ in part], [p for _, p in part], *params])
    values = ", ".join("(?, ?)" for _ in part)
    selected = ", ".join(f"s.{c.strip()}" for c in columns.split(","))
    return (f"WITH k(contract, period) AS (VALUES {values}) SELECT {selected} "
            f"FROM k CROSS JOIN {table} s "
            f"WHERE s.contract = k.contract AND s.period = k.period{where}",
            [v for pair in part for v in pair] + list(params))


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
        where, params = " AND s.status != 'void'", list[Any]()
        if entity is not None:
            where += f" AND s.entity = {_mark(self.conn)}"
            params.append(entity)
        for part in _chunks(_pairs(keys), _KEYS_PER_QUERY):
            sql, values = _per_key(self.conn, part, "invoices",
                                   "contract, period, currency, net, kind", where, params)
            # net: decimal text on SQLite, numeric on PostgreSQL; Decimal of either is exact
            documents += [Document(contract, period, currency, Decimal(net),
                                   kind == "credit_note")
                          for contract, period, currency, net, kind
                          in self.conn.exec_driver_sql(sql, tuple(values))]
        return standing_of(documents)

    def kept_standing(self, entity: str | None, keys: Collection[str]) -> Standing:
        """The kept baseline's rows of these contract-months."""
        out: Standing = {}
        for part in _chunks(_pairs(keys), _KEYS_PER_QUERY):
            sql, params = _per_key(
                self.conn, part, "billing_standing",
                "contract, period, currency, invoiced, credited, net, documents",
                f" AND s.scope = {_mark(self.conn)}", (_scope(entity),), one=True)
            for contract, period, currency, invoiced, credited, net, documents in (
                    self.conn.exec_driver_sql(sql, tuple(params))):
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
        postgres = self.conn.dialect.name == "postgresql"
        for part in _chunks(_pairs(keys), _KEYS_PER_QUERY):
            # each key's row found by the index, then deleted by its row address (a TID
            # scan on PostgreSQL: the plan with and without statistics, for any number of keys)
            found, params = _per_key(self.conn, part, "billing_standing",
                                     "ctid" if postgres else "rowid",
                                     f" AND s.scope = {m}", (scope,), one=True)
            self.conn.exec_driver_sql(
                f"DELETE FROM billing_standing b USING ({found}) found WHERE b.ctid = found.ctid"
                if postgres else f"DELETE FROM billing_standing WHERE rowid IN ({found})",
                tuple(params))
        rows: list[tuple[Any, ...]] = [
            (scope, *k.split("|", 1), v["currency"], v["invoiced"], v["credited"], v["net"],
             int(v["documents"])) for k, v in sorted(now.items())]
        # text and integers, stored as given: one COPY on PostgreSQL (a round trip, where an
        # executemany of a run's few dozen contract-months took 1.4-2.5 ms), on SQLite an
        # executemany as before
        load_rows(self.conn, "billing_standing", ("scope", "contract", "period", "currency",
                                                  "invoiced", "credited", "net", "documents"),
                  rows, converted=True)
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
