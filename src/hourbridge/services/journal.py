"""Publishing a journal entry: one outbox row, in the use case's transaction, that the worker
delivers to the ledger (``handlers.post_journal_entry``) as a CloudEvents envelope, and one
delivery job per webhook subscribed to its type (``webhooks.enqueue_deliveries``), in the same
transaction."""

from __future__ import annotations

from datetime import datetime

from hourbridge.domain.ledger import JournalEntry

from .events import JOURNAL_ENTRY_READY, envelope, journal_to_data
from .ports.uow import UnitOfWork
from .webhooks import enqueue_deliveries


def publish_journal(uow: UnitOfWork, key: str, subject: str, journal: JournalEntry,
                    now: datetime) -> bool:
    """Queue ``journal`` under the idempotency ``key`` (the event id); ``subject`` names what
    it books (``invoice/NUMBER``, ``journal/KEY``...). False if the key was queued before."""
    event = envelope(key, JOURNAL_ENTRY_READY, subject, journal_to_data(journal), now)
    if not uow.outbox.add(key, JOURNAL_ENTRY_READY, subject, event, now):
        return False
    enqueue_deliveries(uow, event, now)
    return True
