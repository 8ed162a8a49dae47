"""Version 1 of the REST API: one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    adjustments,
    approvals,
    billing,
    corrections,
    credit_notes,
    delivery,
    exceptions,
    health,
    holds,
    invoices,
    ledger,
    masterdata,
    time_entries,
)

health_router = health.router
router = APIRouter()
for _module in (masterdata, time_entries, approvals, adjustments, billing, holds, invoices,
                credit_notes, corrections, exceptions, ledger, delivery):
    router.include_router(_module.router)

__all__ = ["health_router", "router"]
