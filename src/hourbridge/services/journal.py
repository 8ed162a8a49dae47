"""Publishing a journal entry: one outbox row, in the use case's transaction, that the worker
delivers to the ledger (``handlers.post_journal_entry``) as a CloudEvents envelope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hourbridge.domain.ledger import JournalEntry

from .events import JOURNAL_ENTRY_READY, envelope, journal_to_data
from .ports.uow import UnitOfWork


def publish_journal(uow: UnitOfWork, key: str, subject: str, journal: JournalEntry,
                    now: datetime) -> bool:
    """Queue ``journal`` under the idempotency ``key`` (the event id); ``subject`` names what
    it books (``invoice/NUMBER``, ``journal/KEY``...). False if the key was queued before."""
    return uow.outbox.add(key, JOURNAL_ENTRY_READY, subject,
                          envelope(key, JOURNAL_ENTRY_READY, subject, journal_to_data(journal),
                                   now), now)


def publish_journals(uow: UnitOfWork, journals: Sequence[tuple[str, str, JournalEntry]],
                     now: datetime) -> set[str]:
    """``publish_journal`` for a batch of (key, subject, journal): one bulk write to the
    outbox; the keys queued now (a key queued before is left as it was)."""
    return uow.outbox.add_many(
        [(key, JOURNAL_ENTRY_READY, subject,
          envelope(key, JOURNAL_ENTRY_READY, subject, journal_to_data(journal), now))
         for key, subject, journal in journals], now)
