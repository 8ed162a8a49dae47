"""The kept billing standing (``tables.standing``): what stood invoiced per contract and month
after each scope's last real run, and the contract-months that moved since (issue 16, item 4).

Mixed into ``SqlInvoices``. A run reads its scope's dirty contract-months, sums the live
documents of those only, compares them with the kept rows, rewrites the rows that moved and
deletes the dirty marks it read: its cost follows what moved, not the history stored.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal

from sqlalchemy import Connection, delete, insert, select, tuple_, update

from hourbridge.domain.invoiced import Document, Standing, standing_key, standing_of

from . import tables as t
from ._sql import _chunks, _member

_KEYS_PER_QUERY = 400  # (contract, period) pairs: two parameters each, under SQLite's limit


def _scope(entity: str | None) -> str:
    return t.ALL_ENTITIES if entity is None else entity


def _pairs(keys: Iterable[str]) -> list[tuple[str, str]]:
    return sorted(tuple(k.split("|", 1)) for k in keys)  # type: ignore[misc]


class StandingBook:
    """The kept-standing half of ``SqlInvoices``."""

    conn: Connection

    def standing_kept(self, entity: str | None) -> bool:
        """Whether the scope's baseline is kept as rows (false before its first real run).
        On PostgreSQL this locks the scope's row until commit: two runs of one scope compare
        and rewrite its rows one after the other, the second seeing what the first wrote."""
        sc = t.billing_standing_scopes
        query = select(sc.c.kept).where(sc.c.scope == _scope(entity))
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return bool(self.conn.execute(query).scalar())

    def moved_since(self, entity: str | None) -> tuple[list[int], set[str]]:
        """The dirty marks of the scope: their ids and the contract-months they name."""
        d = t.billing_standing_dirty
        ids: list[int] = []
        keys: set[str] = set()
        for i, contract, period in self.conn.execute(
                select(d.c.id, d.c.contract, d.c.period).where(d.c.scope == _scope(entity))):
            ids.append(int(i))
            keys.add(standing_key(contract, period))
        return ids, keys

    def standing_of_keys(self, entity: str | None, keys: Collection[str]) -> Standing:
        """Live invoices (drafts too) and credit notes of these contract-months, summed in
        Python (SQLite stores amounts as text); by the (contract, period) index."""
        i = t.invoices
        documents: list[Document] = []
        for part in _chunks(_pairs(keys), _KEYS_PER_QUERY):
            query = select(i.c.contract, i.c.period, i.c.currency, i.c.net, i.c.kind).where(
                tuple_(i.c.contract, i.c.period).in_(part), i.c.status != "void")
            if entity is not None:
                query = query.where(i.c.entity == entity)
            documents += [Document(r.contract, r.period, r.currency, Decimal(r.net),
                                   r.kind == "credit_note") for r in self.conn.execute(query)]
        return standing_of(documents)

    def kept_standing(self, entity: str | None, keys: Collection[str]) -> Standing:
        """The kept baseline's rows of these contract-months."""
        b = t.billing_standing
        out: Standing = {}
        for part in _chunks(_pairs(keys), _KEYS_PER_QUERY):
            for r in self.conn.execute(select(b).where(
                    b.c.scope == _scope(entity), tuple_(b.c.contract, b.c.period).in_(part))):
                out[standing_key(r.contract, r.period)] = {
                    "currency": r.currency, "invoiced": r.invoiced, "credited": r.credited,
                    "net": r.net, "documents": str(r.documents)}
        return dict(sorted(out.items()))

    def keep_standing(self, entity: str | None, keys: Collection[str], now: Standing,
                      seen: Sequence[int], first: bool = False) -> None:
        """The baseline of ``keys`` becomes ``now`` (a key absent from it: nothing stands)
        and the dirty marks read (``seen``) are done; marks written since by others stay for
        the next run. ``first``: the scope's first kept baseline, kept from here on."""
        b, d, sc = t.billing_standing, t.billing_standing_dirty, t.billing_standing_scopes
        scope = _scope(entity)
        for part in _chunks(_pairs(keys), _KEYS_PER_QUERY):
            self.conn.execute(delete(b).where(
                b.c.scope == scope, tuple_(b.c.contract, b.c.period).in_(part)))
        rows = [{"scope": scope, "contract": k.split("|", 1)[0], "period": k.split("|", 1)[1],
                 "currency": v["currency"], "invoiced": v["invoiced"],
                 "credited": v["credited"], "net": v["net"], "documents": int(v["documents"])}
                for k, v in sorted(now.items())]
        if rows:
            self.conn.execute(insert(b), rows)
        for member in _member(self.conn, d.c.id, list(seen)):
            self.conn.execute(delete(d).where(member))
        if not first:
            return
        done = self.conn.execute(update(sc).where(sc.c.scope == scope).values(kept=True))
        if done.rowcount == 0:  # a scope the migration's triggers did not register
            self.conn.execute(insert(sc).values(scope=scope, kept=True))
