"""The rows a draft invoice becomes: its header and its lines (time lines, then charges)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.billing import DraftLine
from hourbridge.domain.fx import ForeignAmount
from hourbridge.domain.money import hours, time_amount

_MICRO = Decimal("0.000001")
NOT_CONVERTED = {"original_amount": None, "original_currency": None, "original_rate": None}


def original_columns(foreign: ForeignAmount | None) -> dict[str, Any]:
    """The columns of a line converted from another currency (all NULL if it was not)."""
    if foreign is None:
        return NOT_CONVERTED
    return {"original_amount": foreign.amount, "original_currency": foreign.currency,
            "original_rate": foreign.rate}


def header_row(run_id: int, draft: Any, tax: Any, at: datetime,
               net: Decimal | None = None) -> dict[str, Any]:
    """``net``: the sum of the draft's line amounts where the caller has them already."""
    if net is None:
        net = draft.net
    return {"billing_run": run_id, "entity": draft.entity, "contract": draft.contract,
            "customer": draft.customer, "currency": draft.currency, "period": draft.period,
            "status": "draft", "net": net, "tax_code": tax.code, "tax_category": tax.category,
            "tax_exemption_code": tax.exemption_code, "tax_rate": tax.rate, "tax": tax.amount,
            "total": net + tax.amount, "tax_note": tax.note, "created_at": at}


def line_rows(invoice_id: int, draft: Any) -> list[dict[str, Any]]:
    """The draft's time lines, then its charge lines, numbered from 1."""
    rows = []
    for n, line in enumerate(draft.lines, start=1):
        # a line's seconds are a sum over its links: taken once, not once per column
        seconds = line.seconds
        rows.append({
            "invoice": invoice_id, "line_no": n, "description": line.describe(),
            "project": line.project, "task": line.task, "role": line.role,
            "seconds": seconds, "quantity_hours": hours(seconds).quantize(_MICRO),
            "rate": line.decision.rate,
            # a subclass may price otherwise (an adjustment's fixed difference)
            "amount": (time_amount(seconds, line.decision.rate, line.currency)
                       if type(line) is DraftLine else line.amount),
            "rate_card": line.decision.card, "rate_row": line.decision.row,
            "rate_rule": line.decision.rule, "rate_scope": line.decision.scope,
            "contract_version": line.decision.contract_version,
            "kind": line.kind, "charge_ref": line.charge_ref, **NOT_CONVERTED})
    rows += [
        {"invoice": invoice_id, "line_no": n, "description": c.description,
         "project": c.project, "task": "", "role": "", "seconds": 0,
         "quantity_hours": Decimal(0), "rate": abs(c.amount), "amount": c.amount,
         "rate_card": "", "rate_row": c.ref, "rate_rule": c.kind, "rate_scope": "contract",
         "contract_version": c.contract_version, "kind": c.kind, "charge_ref": c.ref,
         **original_columns(c.foreign)}
        for n, c in enumerate(draft.charges, start=len(draft.lines) + 1)
    ]
    return rows
