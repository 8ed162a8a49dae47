"""Version 1 of the REST API: one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    adjustments,
    aliases,
    approvals,
    audit,
    billing,
    contracts,
    corrections,
    credit_notes,
    deals,
    delivery,
    events,
    exceptions,
    expenses,
    fx_rates,
    health,
    holds,
    intercompany,
    invoices,
    kpis,
    ledger,
    masterdata,
    receivables,
    reconciliation,
    sources,
    time_entries,
    trace,
    webhook_receipts,
)

health_router = health.router
router = APIRouter()
for _module in (masterdata, fx_rates, time_entries, approvals, adjustments, billing, holds,
                invoices, credit_notes, contracts, corrections, exceptions, ledger, delivery,
                expenses, intercompany, sources, webhook_receipts, trace, audit, events, kpis,
                reconciliation, receivables, aliases):
    router.include_router(_module.router)
router.include_router(deals.router)  # CRM won deals (issue 11 item 8)
router.include_router(deals.events)

__all__ = ["health_router", "router"]
