"""Milestones reported achieved, and what each contract component has billed so far."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hourbridge.domain.commands import AchieveMilestone, ShowContract
from hourbridge.domain.localday import entity_today
from hourbridge.domain.money import hours, round_money
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .deps import Collaborators
from .ports.uow import UnitOfWork


def achieve_milestone(cmd: AchieveMilestone, uow: UnitOfWork, now: datetime,
                      deps: Collaborators) -> dict[str, Any]:
    """Record an achievement once (a PSA may send it again: the same date is a no-op, another
    date is a conflict). Nothing is billed here; the next billing run through that date does."""
    with uow:
        md = uow.masterdata.snapshot()
        contract = md.contracts.get(cmd.contract)
        if contract is None:
            raise NotFound("contract", cmd.contract)
        milestone = next((ms for ms in contract.milestones if ms.id == cmd.milestone), None)
        if milestone is None:
            raise NotFound("milestone", f"{cmd.contract}/{cmd.milestone}")
        on = cmd.achieved_on or entity_today(md, contract.entity, now)
        if not contract.covers(on):
            raise InvalidInput(f"{on.isoformat()} is outside contract "
                               f"{contract.id}'s dates")
        before = uow.contracts.achievements(contract.id).get(milestone.id)
        if before is not None and before != on:
            raise Conflict(f"milestone {milestone.id} was recorded achieved on "
                           f"{before.isoformat()}")
        recorded = uow.contracts.achieve(contract.id, milestone.id, on, cmd.actor,
                                         cmd.note, now)
        uow.commit()
    return {"contract": contract.id, "milestone": milestone.id, "name": milestone.name,
            "amount": str(milestone.amount), "currency": contract.currency,
            "achieved_on": on.isoformat(), "recorded": recorded}


def contract_status(query: ShowContract, uow: UnitOfWork) -> dict[str, Any]:
    """A contract's components and where each stands: installments and milestones (due,
    achieved, billed), retainer months settled, cap usage."""
    contract_id = query.contract
    with uow:
        md = uow.masterdata.snapshot()
        k = md.contracts.get(contract_id)
        if k is None:
            raise NotFound("contract", contract_id)
        achieved = uow.contracts.achievements(k.id)
        charges = uow.contracts.charge_states(k.id)
        seconds, amount = uow.contracts.usage([k.id])[k.id]
        months = uow.contracts.settled_months(k.id)

    def state(kind: str, ref: str) -> str:
        found = charges.get((kind, ref))
        return found[0] if found else "unbilled"

    return {
        "id": k.id, "customer": k.customer, "entity": k.entity, "currency": k.currency,
        "start_date": k.start_date.isoformat(),
        "end_date": k.end_date.isoformat() if k.end_date else None,
        "versions": [{"version": v.version, "effective_from": v.effective_from.isoformat(),
                      "billing_model": v.billing_model} for v in k.versions],
        "fee_schedule": [{"id": f.id, "bill_on": f.bill_on.isoformat(), "amount": str(f.amount),
                          "state": state("fee", f.id)} for f in k.fee_schedule],
        "milestones": [{"id": ms.id, "name": ms.name, "amount": str(ms.amount),
                        "achieved_on": achieved[ms.id].isoformat() if ms.id in achieved
                        else None, "state": state("milestone", ms.id)}
                       for ms in k.milestones],
        "retainer": None if k.retainer is None else {
            "monthly_fee": str(k.retainer.monthly_fee),
            "included_hours": str(k.retainer.included_hours), "unused": k.retainer.unused.value,
            "months_settled": sorted(months)},
        "cap": None if k.cap is None else {
            "hours": None if k.cap.hours is None else str(k.cap.hours),
            "amount": None if k.cap.amount is None else str(k.cap.amount),
            "over_cap": k.cap.over_cap.value,
            "invoiced_hours": str(hours(seconds)),
            "invoiced_amount": str(round_money(amount, k.currency))},
        "expenses": {"billing": k.expenses.billing.value,
                     "markup_percent": str(k.expenses.markup_percent)},
    }
