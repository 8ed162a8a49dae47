"""Master data as JSON-ready records, and per-entity accounts and currencies."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from hourbridge.domain.model import Accounts

from .. import tables as t
from ..masterdata import SqlMasterData
from ._common import QueryBase, _json


class MasterDataQueries(QueryBase):
    def masterdata(self, kind: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            md = SqlMasterData(conn).snapshot()
        records = getattr(md, kind)
        out = [asdict(r) for _, r in sorted(records.items())]
        if kind == "entities":  # the bundle writes tax rates in percent, the domain fractions
            for record in out:
                record["tax_rates"] = {code: format((rate * 100).normalize(), "f")
                                       for code, rate in record["tax_rates"].items()}
        return [_json(r) for r in out]

    def aliases(self, source: str | None = None) -> list[dict[str, str]]:
        """Id aliases (of one source), sorted by source, kind and tracker id."""
        ia = t.id_aliases
        query = select(ia.c.source, ia.c.kind, ia.c.external_id, ia.c.code).order_by(
            ia.c.source, ia.c.kind, ia.c.external_id)
        if source is not None:
            query = query.where(ia.c.source == source)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def entity_accounts(self) -> dict[str, Accounts]:
        """Chart-of-accounts mapping per legal entity code."""
        en = t.entities
        with self.engine.connect() as conn:
            return {code: Accounts(**accounts) for code, accounts in conn.execute(
                select(en.c.code, en.c.accounts).order_by(en.c.code))}

    def entity_currencies(self) -> dict[str, str]:
        """Functional currency per legal entity code."""
        en = t.entities
        with self.engine.connect() as conn:
            return dict(conn.execute(select(en.c.code, en.c.currency)).all())
