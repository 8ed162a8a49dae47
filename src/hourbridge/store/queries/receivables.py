"""Receivables: what each issued document has been paid (payments read back from the ERPs,
``invoice_payments``) and the aging of what is still open, by customer and currency.

A credit note counts against what its customer owes until it is used: applied to an invoice,
it moves there (the invoice's open amount falls by the offset, the credit note's rises to
zero: the customer owes the same); refunded, it is gone (the customer got the money back)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, func, select

from .. import tables as t
from .._sql import _member
from ._common import QueryBase, money

# the statuses of a document that is owed (a draft is not yet, a void no more)
OWED = ("issued", "posted", "paid")
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def paid_by_invoice(conn: Connection, ids: list[int], as_of: date | None = None) -> dict[
        int, tuple[Decimal, date, Decimal]]:
    """Per invoice id: the amount paid (up to ``as_of``), the last payment's date, and the
    part of the amount that was an offset (a credit note applied), not money."""
    ip = t.invoice_payments
    out: dict[int, tuple[Decimal, date, Decimal]] = {}
    offset = func.sum(case((ip.c.via == "offset", ip.c.amount), else_=0))
    for cond in _member(conn, ip.c.invoice, ids):
        stmt = select(ip.c.invoice, func.sum(ip.c.amount), func.max(ip.c.paid_on),
                      offset).where(cond).group_by(ip.c.invoice)
        if as_of is not None:
            stmt = stmt.where(ip.c.paid_on <= as_of)
        for invoice, amount, last, offsets in conn.execute(stmt):
            out[invoice] = (Decimal(amount), last, Decimal(offsets or 0))
    return out


def open_amount(kind: str, status: str, total: Decimal, paid: Decimal) -> Decimal:
    """What is still owed on a document: its total less what was paid; a credit note's is
    negative (what the customer is owed: credit notes keep their total unsigned, so the kind
    says it), and what was applied or refunded on it brings it towards zero; nothing once
    paid."""
    if status == "paid":
        return Decimal(0)
    if kind == "credit_note" or total < 0:
        return paid - abs(total)
    return total - paid


def credit_state(status: str, total: Decimal, applied: Decimal, refunded: Decimal) -> str:
    """A credit note's payment: ``unapplied`` (it still reduces what the customer owes),
    ``partial``, or in full ``applied`` (to invoices), ``refunded`` (money paid back) or
    ``settled`` (both)."""
    if status != "paid" and applied + refunded < abs(total):
        return "partial" if applied + refunded > 0 else "unapplied"
    if refunded == 0:
        return "applied"
    return "refunded" if applied == 0 else "settled"


def with_payment(row: dict[str, Any], paid: tuple[Decimal, date, Decimal] | None
                 ) -> dict[str, Any]:
    """A JSON-ready invoice row with ``payment`` (invoices: paid / partial / unpaid; credit
    notes: ``credit_state``; none on a draft or a void), ``paid_amount``, ``open_amount``,
    ``applied_amount`` (the offsets: credit notes applied to an invoice, or a credit note
    applied to invoices), ``refunded_amount`` (a credit note's money paid back) (documents
    owed only) and ``last_paid_on``."""
    amount, last, offsets = paid or (Decimal(0), None, Decimal(0))
    owed = row["status"] in OWED
    cur = row["currency"]
    credit = row["kind"] == "credit_note"
    row["paid_amount"] = money(amount, cur) if owed else None
    row["open_amount"] = (money(open_amount(row["kind"], row["status"], Decimal(row["total"]),
                                            amount), cur) if owed else None)
    row["applied_amount"] = money(offsets, cur) if owed else None
    row["refunded_amount"] = money(amount - offsets, cur) if owed and credit else None
    row["last_paid_on"] = last.isoformat() if last else None
    payment = None
    if owed and credit:
        payment = credit_state(row["status"], Decimal(row["total"]), offsets, amount - offsets)
    elif owed:
        payment = ("paid" if row["status"] == "paid" else "partial" if amount > 0
                   else "unpaid")
    row["payment"] = payment
    return row


def bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    return "61-90" if days_past_due <= 90 else "90+"


class ReceivableQueries(QueryBase):
    def receivables_aging(self, as_of: date, entity: str | None = None) -> dict[str, Any]:
        """What customers owe on ``as_of`` (documents issued by then, payments made by
        then), by customer and currency, in buckets of days past the due date: current
        (not yet due), 1-30, 31-60, 61-90 and 90+; and per currency in all. Money as
        decimal strings in the currency's minor units."""
        inv = t.invoices
        stmt = select(inv.c.id, inv.c.kind, inv.c.status, inv.c.entity, inv.c.customer,
                      inv.c.currency, inv.c.issue_date, inv.c.due_date, inv.c.total).where(
            inv.c.status.in_(OWED), inv.c.issue_date <= as_of)
        if entity:
            stmt = stmt.where(inv.c.entity == entity)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(inv.c.id)).all()
            paid = paid_by_invoice(conn, [r.id for r in rows], as_of)
            ever = paid_by_invoice(conn, [r.id for r in rows])
            names = dict(conn.execute(select(t.customers.c.id, t.customers.c.name)).all())
        zero = dict.fromkeys(BUCKETS, Decimal(0))
        by_customer: dict[tuple[str, str, str], dict[str, Any]] = {}
        totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict(zero))
        for r in rows:
            amount = paid.get(r.id, (Decimal(0), None))[0]
            last = ever[r.id][1] if r.id in ever else None
            # paid in full (by the ERP's word) only from its last payment on
            settled = r.status == "paid" and (last is None or last <= as_of)
            owed = open_amount(r.kind, "paid" if settled else "issued", Decimal(r.total),
                               amount)
            if owed == 0:
                continue
            b = bucket((as_of - (r.due_date or r.issue_date)).days)
            key = (r.entity, r.customer, r.currency)
            acc = by_customer.setdefault(key, {"buckets": dict(zero), "documents": 0})
            acc["buckets"][b] += owed
            acc["documents"] += 1
            totals[r.currency][b] += owed

        def shown(sums: dict[str, Decimal], cur: str) -> dict[str, Any]:
            return {**{k: money(v, cur) for k, v in sums.items()},
                    "total": money(sum(sums.values(), Decimal(0)), cur)}

        return {
            "as_of": as_of.isoformat(), "entity": entity, "buckets": list(BUCKETS),
            "customers": [{"entity": e, "customer": cu, "name": names.get(cu, cu),
                           "currency": cur, "documents": acc["documents"],
                           **shown(acc["buckets"], cur)}
                          for (e, cu, cur), acc in sorted(by_customer.items())],
            "totals": [{"currency": cur, **shown(sums, cur)}
                       for cur, sums in sorted(totals.items())],
        }
