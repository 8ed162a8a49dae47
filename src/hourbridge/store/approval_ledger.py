"""Time entries' approval axis: approving (with the rate decision kept, issue 16 item 2) and
rejecting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table, text, update

from hourbridge.services.ports.entries import Approved, EntryRow, StoredPrice

from . import tables as t
from ._sql import _member
from .bulk import bulk_insert, empty_scratch, note_bulk_write, sqlite_value

# the session-local table approvals are copied into on PostgreSQL (not part of the schema)
_PRICE = ("price_rate", "price_card", "price_row", "price_rule", "price_scope",
          "price_version", "price_role", "price_basis")
_APPROVING = Table("approving_priced", MetaData(),
                   *(Column(c) for c in ("id", "wip", "cur", "rate", *_PRICE)))
# a commit empties it (``bulk.empty_scratch``)
_CREATE_APPROVING = (
    "CREATE TEMP TABLE IF NOT EXISTS approving_priced "
    "(id bigint PRIMARY KEY, wip numeric, cur varchar(3), rate numeric, "
    "price_rate numeric, price_card varchar(64), price_row varchar(64), "
    "price_rule varchar(32), price_scope varchar(16), price_version integer, "
    "price_role varchar(64), price_basis varchar(32)) ON COMMIT DELETE ROWS")
# what forgets a stored decision (a rejection, a revision that moves the work)
NO_PRICE: dict[str, Any] = dict.fromkeys(_PRICE)

# the stored rate decision, in ``StoredPrice`` order (its currency: the WIP currency)
PRICE_COLS = tuple(t.time_entries.c[c] for c in (
    "price_rate", "wip_currency", "price_card", "price_row", "price_rule", "price_scope",
    "price_version", "price_role", "price_basis"))


def entry_row(r: Any, prices: dict[tuple[Any, ...], StoredPrice] | None = None) -> EntryRow:
    """The row as an ``EntryRow``; ``prices`` (kept by the caller across rows) shares one
    ``StoredPrice`` between the many entries approval priced alike (a billing run reads tens
    of thousands of entries and a few hundred distinct decisions), so billing can look each
    decision up once by identity."""
    n = len(r) - len(PRICE_COLS)
    price = tuple(r[n:])
    if price[-1] is None:
        return EntryRow(*r[:n], price=None)
    if prices is None:
        return EntryRow(*r[:n], price=StoredPrice(*price))
    stored = prices.get(price)
    if stored is None:
        stored = prices[price] = StoredPrice(*price)
    return EntryRow(*r[:n], price=stored)


def _text(value: Decimal | None) -> str | None:
    """A decimal in SQLite's storage form (exact text)."""
    return None if value is None else format(value, "f")


def _price_values(p: StoredPrice | None) -> tuple[Any, ...]:
    if p is None:
        return (None,) * len(_PRICE)
    return (p.rate, p.card, p.row, p.rule, p.scope, p.contract_version, p.role, p.basis)



class ApprovalLedger:
    """The approval-axis half of ``SqlEntries`` (composed in as a mixin)."""

    conn: Connection

    def approve(self, approvals: Sequence[Approved], at: datetime, by: str) -> None:
        """A hot path at month end: one bulk update per batch (a temporary table filled by
        COPY on PostgreSQL, one driver executemany on SQLite), the rate decision with it."""
        if not approvals:
            return
        note_bulk_write(self.conn, "time_entries", len(approvals), t.APPROVAL_COLUMNS)
        sets = ", ".join(f"{c} = ?" for c in _PRICE)
        if self.conn.dialect.name == "postgresql":
            empty_scratch(self.conn, "approving_priced", _CREATE_APPROVING)
            bulk_insert(self.conn, _APPROVING, tuple(c.name for c in _APPROVING.c),
                        [(i, w, c, r, *_price_values(p)) for i, w, c, r, p in approvals])
            self.conn.execute(text(
                "UPDATE time_entries SET approval = 'approved', approved_at = :at, "
                "approved_by = :by, wip_amount = a.wip, wip_currency = a.cur, "
                "wip_fx_rate = a.rate, updated_at = :at, "
                + ", ".join(f"{c} = a.{c}" for c in _PRICE)
                + " FROM approving_priced a WHERE time_entries.id = a.id"),
                {"at": at, "by": by})
            return
        stamp = sqlite_value(at)
        self.conn.exec_driver_sql(
            "UPDATE time_entries SET approval = 'approved', approved_at = ?, approved_by = ?, "
            f"wip_amount = ?, wip_currency = ?, wip_fx_rate = ?, updated_at = ?, {sets} "
            "WHERE id = ?",
            [(stamp, by, _text(w), c, _text(r), stamp,
              *(_text(v) if isinstance(v, Decimal) else v for v in _price_values(p)), i)
             for i, w, c, r, p in approvals])

    def reject(self, ids: Sequence[int], at: datetime, by: str, reason: str) -> None:
        """Send entries back: not approved, nothing booked for them any more."""
        te = t.time_entries
        for member in _member(self.conn, te.c.id, ids):
            self.conn.execute(update(te).where(member).values(
                approval="rejected", approved_at=None, approved_by=None, wip_amount=None,
                wip_currency=None, wip_fx_rate=None, rejected_at=at, rejected_by=by,
                rejection_reason=reason, updated_at=at, **NO_PRICE))

