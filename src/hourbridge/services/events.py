"""Outbound events as CloudEvents 1.0 envelopes, and the journal-entry payload codec.

Event ids are the deterministic idempotency keys of what happened, never random: a replay of
the same fact produces the same id, which every sink uses to ignore the second copy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.ledger import JournalEntry, Posting, balanced

from .ports.ledger import LedgerSink

SOURCE = "urn:hourbridge"
JOURNAL_ENTRY_READY = "hourbridge.journal.entry.ready.v1"
# v2 adds the optional ``functional_currency`` and ``entity_timezone`` (event_schemas.py); a
# consumer reads both versions the same way (``journal_from_data``)
JOURNAL_ENTRY_READY_V2 = "hourbridge.journal.entry.ready.v2"


def envelope(key: str, type_: str, subject: str, data: dict[str, Any], at: datetime,
             traceparent: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": key,
        "source": SOURCE,
        "type": type_,
        "subject": subject,
        "time": at.isoformat(),
        "datacontenttype": "application/json",
        "dataschema": f"https://hourbridge.dev/schemas/events/{type_}.json",
        "data": data,
    }
    if traceparent:
        event["traceparent"] = traceparent
    return event


def journal_to_data(entry: JournalEntry, functional_currency: str | None = None,
                    entity_timezone: str | None = None) -> dict[str, Any]:
    """The payload of ``journal.entry.ready``: v1 without the two optional values, v2 with."""
    data: dict[str, Any] = {
        "key": entry.key,
        "entity": entry.entity,
        "posted_on": entry.posted_on.isoformat(),
        "memo": entry.memo,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "postings": [
            {
                "account": p.account, "debit": str(p.debit), "credit": str(p.credit),
                "currency": p.currency, "functional_amount": str(p.functional_amount),
                "fx_rate": str(p.fx_rate), "customer": p.customer, "project": p.project,
                "employee": p.employee,
            }
            for p in entry.postings
        ],
    }
    if functional_currency is not None or entity_timezone is not None:
        data.update(functional_currency=functional_currency, entity_timezone=entity_timezone)
    return data


def journal_from_data(data: dict[str, Any]) -> JournalEntry:
    return JournalEntry(
        key=data["key"],
        entity=data["entity"],
        posted_on=date.fromisoformat(data["posted_on"]),
        memo=data["memo"],
        source_type=data["source_type"],
        source_id=data["source_id"],
        postings=tuple(
            Posting(
                account=p["account"], debit=Decimal(p["debit"]), credit=Decimal(p["credit"]),
                currency=p["currency"], functional_amount=Decimal(p["functional_amount"]),
                fx_rate=Decimal(p["fx_rate"]), customer=p.get("customer"),
                project=p.get("project"), employee=p.get("employee"),
            )
            for p in data["postings"]
        ),
    )


def post_journal_entry(event: dict[str, Any], ledger: LedgerSink) -> bool:
    """Deliver a journal entry to the ledger; True if new, False if the key was already there."""
    return ledger.post(balanced(journal_from_data(event["data"])))


# the worker's handler of each event type it delivers itself (``handlers`` re-exports it)
EVENT_HANDLERS: dict[str, Callable[[dict[str, Any], LedgerSink], bool]] = {
    JOURNAL_ENTRY_READY: post_journal_entry,
    JOURNAL_ENTRY_READY_V2: post_journal_entry,  # the same entry; v2 only adds context
}
