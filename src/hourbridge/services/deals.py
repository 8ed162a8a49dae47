"""CRM won deals in (issue 11 item 8): pulled or pushed, each won opportunity is taken once.

A deal is stored by its opportunity id, which is unique: a second pull, a pushed event of a
deal already pulled, a replayed event, or two workers taking the same deal at once all meet
that key, and the loser adds nothing. What is stored is the deal as the CRM holds it (its
account and line items) with the customer it matched (``domain.deals.match_customer``);
nothing in master data changes until a person confirms the draft (``deal_decisions``).

Pull: the won opportunities changed since the connection's cursor (SystemModstamp), each
deal committed on its own; the cursor is stored after the last, so a pull that dies half-way
starts again from the old cursor and finds the deals it took as duplicates.

Push: an event is verified over its raw bytes before anything reads it (a refused or
unreadable event is kept in quarantine, like a tracker's webhook delivery); its delivery ids
already recorded are replays; the opportunities it names that are not yet taken are read
back from the CRM (an event carries no line items) and taken; the delivery ids are recorded
after, so an event whose intake failed is taken when the sender tries again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.domain.deals import WonDeal, match_customer
from hourbridge.errors import (
    Conflict,
    InvalidInput,
    Permanent,
    SignatureRefused,
    UnreadablePayload,
    WebhookMalformed,
)

from .connections import describe, stored_connection
from .deps import Collaborators
from .ports import Connection, UnitOfWork
from .ports.deals import CrmGateway
from .webhook_receipts import without_secrets


def crm_gateway(deps: Collaborators) -> CrmGateway:
    if deps.crm is None:
        raise Permanent("no CRM connectors are configured")
    return deps.crm


def crm_connection(uow: UnitOfWork, name: str, gateway: CrmGateway) -> Connection:
    record = stored_connection(uow, name)
    if record.tracker not in gateway.crms():
        raise InvalidInput(f"connection {name} is a {record.tracker} connection, not a CRM")
    return record


def add_crm_connection(cmd: c.AddCrmConnection, uow: UnitOfWork, now: datetime,
                       deps: Collaborators) -> dict[str, Any]:
    gateway = crm_gateway(deps)
    if cmd.crm not in gateway.crms():
        raise InvalidInput(f"unknown CRM {cmd.crm!r}: one of {', '.join(gateway.crms())}")
    secret = dict(cmd.secret.parts)
    missing = [p for p in gateway.required_parts(cmd.crm) if not secret.get(p)]
    if not (secret.get("client_secret") or secret.get("private_key")):
        missing.append("client_secret (or private_key and username)")
    if missing:
        raise InvalidInput(f"a {cmd.crm} connection needs {', '.join(missing)}")
    record = Connection(cmd.name, cmd.crm, cmd.base_url.rstrip("/"), gateway.seal(secret))
    with uow:
        if not uow.connections.add(record, now):
            raise Conflict(f"connection {cmd.name!r} exists", "connection_exists")
        uow.commit()
    return describe(record)


def take_deal(connection: str, deal: WonDeal, received_by: str, uow: UnitOfWork,
              now: datetime) -> bool:
    """Store the deal with the customer it matches, once; False: it was taken before."""
    with uow:
        if uow.deals.taken([deal.opportunity_id]):
            return False
        md = uow.masterdata.snapshot()
        match = match_customer(md, connection, deal.account,
                               uow.deals.customers_of(deal.account.id))
        added = uow.deals.add(connection, deal, match, received_by, now)
        uow.commit()
    return added


def pull_deals(cmd: c.PullDeals, uow: UnitOfWork, now: datetime,
               deps: Collaborators) -> dict[str, Any]:
    gateway = crm_gateway(deps)
    record = crm_connection(uow, cmd.connection, gateway)
    cursor = None if cmd.full else record.cursor
    pull = gateway.pull(record, cursor)
    seen = taken = 0
    for deal in pull.deals:
        seen += 1
        taken += take_deal(record.name, deal, "pull", uow, now)
    after = pull.cursor_after[-1] if pull.cursor_after else record.cursor
    if after is not None:
        with uow:
            uow.connections.advance(record.name, after, now)
            uow.commit()
    return {"connection": record.name, "full": cmd.full, "cursor_before": record.cursor,
            "cursor_after": after, "won": seen, "taken": taken, "duplicates": seen - taken,
            "api_usage": pull.api_usage[-1] if pull.api_usage else None}


def _quarantine(uow: UnitOfWork, cmd: c.ReceiveCrmEvent, reason: str, detail: str,
                now: datetime) -> int:
    with uow:
        qid = uow.webhook_receipts.quarantine(cmd.connection, reason, detail,
                                              without_secrets(cmd.headers), cmd.body, now)
        uow.commit()
    return qid


def receive_crm_event(cmd: c.ReceiveCrmEvent, uow: UnitOfWork, now: datetime,
                      deps: Collaborators) -> dict[str, Any]:
    gateway = crm_gateway(deps)
    record = crm_connection(uow, cmd.connection, gateway)
    try:
        event = gateway.open_event(record, dict(cmd.headers), cmd.body, cmd.token)
    except SignatureRefused as exc:
        _quarantine(uow, cmd, exc.code, str(exc), now)
        raise
    except UnreadablePayload as exc:
        qid = _quarantine(uow, cmd, WebhookMalformed.code, str(exc), now)
        raise WebhookMalformed(f"the event is not a Salesforce event (kept in quarantine as "
                               f"{qid}): {exc}") from None
    with uow:
        fresh = [(d, ids) for d, ids in event.deliveries
                 if not uow.webhook_receipts.seen(record.name, d)]
        named = sorted({i for _, ids in fresh for i in ids})
        wanted = sorted(set(named) - uow.deals.taken(named)) if named else []
    taken = 0
    for deal in gateway.fetch(record, wanted) if wanted else []:
        taken += take_deal(record.name, deal, event.kind, uow, now)
    with uow:
        for delivery, _ in fresh:
            uow.webhook_receipts.record(record.name, delivery, None, now)
        uow.commit()
    return {"kind": event.kind, "deliveries": len(event.deliveries),
            "duplicate_deliveries": len(event.deliveries) - len(fresh),
            "opportunities": named, "taken": taken, "reply": event.reply,
            "media_type": event.media_type}
