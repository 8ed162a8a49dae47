"""A person's decision on a won deal's draft (issue 11 item 8).

Confirm: the draft (``domain.deals.draft_for``, with the rates as the person set them)
becomes master data through the one master-data load (``masterdata.apply_bundle``: the same
checks as any bundle), in the transaction that moves the deal from proposed to confirmed;
a concurrent confirm or reject finds the state moved and is refused, so the contract is made
once. Until then nothing of the deal is in master data: no project to book on, no contract
to bill. Reject: the deal is closed and nothing is created. Both are audited
(``domain.audit.AUDITED``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.domain.bundle import Bundle
from hourbridge.domain.deals import (
    CONFIRMED,
    OPEN_STATES,
    REJECTED,
    Draft,
    Match,
    deal_from_json,
    draft_for,
    match_customer,
)
from hourbridge.domain.masterdata import MasterData
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .deps import Collaborators
from .masterdata import apply_bundle
from .ports import UnitOfWork


def draft_json(draft: Draft) -> dict[str, Any]:
    k, p, card = draft.contract, draft.project, draft.rate_card
    return {
        "new_customer": None if draft.customer is None else {
            "id": draft.customer.id, "name": draft.customer.name,
            "entity": draft.customer.entity, "currency": draft.customer.currency,
            "country": draft.customer.country, "vat_id": draft.customer.vat_id},
        "customer": k.customer, "entity": k.entity, "currency": k.currency,
        "project": {"code": p.code, "name": p.name,
                    "tasks": [{"code": t.code, "name": t.name} for t in p.tasks]},
        "contract": {"id": k.id, "start_date": k.start_date.isoformat(),
                     "billing_model": k.versions[0].billing_model,
                     "budget_hours": None if k.estimate_hours is None
                     else str(k.estimate_hours),
                     "fees": [{"id": f.id, "bill_on": f.bill_on.isoformat(),
                               "amount": str(f.amount), "description": f.description}
                              for f in k.fee_schedule]},
        "rates": [] if card is None else [
            {"task": r.task, "rate": str(r.rate)} for r in card.rows if r.role is None],
    }


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    deal = row["deal"]
    return {k: row[k] for k in ("opportunity_id", "connection", "name", "state", "customer",
                                "matched_by", "candidates", "reason", "received_by",
                                "received_at", "contract", "decided_by", "decided_at")} | {
        "account": deal["account"], "currency": deal.get("currency"),
        "amount": deal.get("amount"), "close_date": deal["close_date"],
        "lines": len(deal["lines"])}


def _rematch(uow: UnitOfWork, md: MasterData, row: dict[str, Any]) -> Match:
    """The customer an open deal's account is now: a person may have confirmed another deal
    of the account (its external id) or loaded customers since it was taken."""
    deal = deal_from_json(row["deal"])
    return match_customer(md, row["connection"], deal.account,
                          uow.deals.customers_of(row["account_id"]))


def _preview(row: dict[str, Any], md: MasterData, match: Match
             ) -> tuple[Draft | None, str | None]:
    if match.problem is not None:
        return None, match.problem.message
    try:
        return draft_for(deal_from_json(row["deal"]), md, row["connection"],
                         customer=match.customer, entity=None), None
    except ValueError as exc:
        return None, str(exc)


def list_deals(query: c.ShowDeals, uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        return [_summary(r) for r in uow.deals.listed(query.state, query.after, query.limit)]


def show_deal(query: c.ShowDeal, uow: UnitOfWork) -> dict[str, Any]:
    with uow:
        row = uow.deals.get(query.opportunity_id)
        if row is None:
            raise NotFound("deal", query.opportunity_id)
        md = uow.masterdata.snapshot()
        match = _rematch(uow, md, row) if row["state"] in OPEN_STATES else None
    out = _summary(row) | {"lines": row["deal"]["lines"], "note": row["note"]}
    if match is not None:
        draft, needs = _preview(row, md, match)
        out |= {"customer": match.customer, "matched_by": match.how,
                "candidates": list(match.candidates),
                "draft": None if draft is None else draft_json(draft), "needs": needs}
    return out


def _open(uow: UnitOfWork, opportunity_id: str) -> dict[str, Any]:
    row = uow.deals.get(opportunity_id)
    if row is None:
        raise NotFound("deal", opportunity_id)
    if row["state"] not in OPEN_STATES:
        raise Conflict(f"deal {opportunity_id} is {row['state']} already", "deal_decided")
    return row


def confirm_deal(cmd: c.ConfirmDeal, uow: UnitOfWork, now: datetime,
                 deps: Collaborators) -> dict[str, Any]:
    with uow:
        row = _open(uow, cmd.opportunity_id)
        md = uow.masterdata.snapshot()
        match = _rematch(uow, md, row)
        if match.problem is not None and not cmd.customer:
            raise InvalidInput(f"deal {cmd.opportunity_id}: account {row['account_id']} "
                               f"matches customers {', '.join(match.candidates)}: name the "
                               "customer (--customer)")
        deal = deal_from_json(row["deal"])
        rates = dict(cmd.rates)
        unknown = sorted(set(rates) - {ln.id for ln in deal.lines})
        if unknown:
            raise InvalidInput(f"deal {cmd.opportunity_id} has no line {', '.join(unknown)}")
        if any(v < Decimal(0) for v in rates.values()):
            raise InvalidInput("a rate or fee cannot be negative")
        try:
            draft = draft_for(deal, md, row["connection"], customer=cmd.customer or
                              match.customer, entity=cmd.entity, rates=rates)
        except ValueError as exc:
            raise InvalidInput(f"deal {cmd.opportunity_id}: {exc}") from None
        k = draft.contract
        if k.id in md.contracts or draft.project.code in md.projects:
            raise Conflict(f"contract {k.id} or project {draft.project.code} exists already: "
                           "the deal's draft would replace it", "deal_decided")
        if not uow.deals.decide(cmd.opportunity_id, OPEN_STATES, CONFIRMED, cmd.actor, now,
                                cmd.note, customer=k.customer, contract=k.id):
            raise Conflict(f"deal {cmd.opportunity_id} was decided meanwhile", "deal_decided")
        report = apply_bundle(Bundle(
            customers=() if draft.customer is None else (draft.customer,),
            projects=(draft.project,), contracts=(k,),
            rate_cards=() if draft.rate_card is None else (draft.rate_card,)), uow)
        uow.commit()
    return {"opportunity_id": cmd.opportunity_id, "state": CONFIRMED, "contract": k.id,
            "project": draft.project.code, "customer": k.customer,
            "created_customer": draft.customer is not None, "draft": draft_json(draft),
            "loaded": report.counts}


def reject_deal(cmd: c.RejectDeal, uow: UnitOfWork, now: datetime,
                deps: Collaborators) -> dict[str, Any]:
    with uow:
        _open(uow, cmd.opportunity_id)
        if not uow.deals.decide(cmd.opportunity_id, OPEN_STATES, REJECTED, cmd.actor, now,
                                cmd.note):
            raise Conflict(f"deal {cmd.opportunity_id} was decided meanwhile", "deal_decided")
        uow.commit()
    return {"opportunity_id": cmd.opportunity_id, "state": REJECTED}
