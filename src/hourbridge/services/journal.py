"""Publishing a journal entry: one outbox row, in the use case's transaction, that the worker
delivers to the ledger (``handlers.post_journal_entry``) as a CloudEvents envelope, and one
per ERP destination of the entity (``erp.queue_for_erps``)."""

from __future__ import annotations

from datetime import datetime

from hourbridge.domain.ledger import JournalEntry
from hourbridge.observability.tracing import current_traceparent, producing

from .erp import queue_for_erps
from .events import JOURNAL_ENTRY_READY, envelope, journal_to_data
from .ports.uow import UnitOfWork


def publish_journal(uow: UnitOfWork, key: str, subject: str, journal: JournalEntry,
                    now: datetime) -> bool:
    """Queue ``journal`` under the idempotency ``key`` (the event id); ``subject`` names what
    it books (``invoice/NUMBER``, ``journal/KEY``...). False if the key was queued before.

    The envelope keeps the ``traceparent`` of the span that created it, so the worker's
    delivery joins the trace of the request that caused it (``observability.tracing``)."""
    data = journal_to_data(journal)
    with producing(JOURNAL_ENTRY_READY, key):
        added = uow.outbox.add(key, JOURNAL_ENTRY_READY, subject,
                               envelope(key, JOURNAL_ENTRY_READY, subject, data, now,
                                        current_traceparent()), now)
        if added:  # and the same document for each ERP the entity posts to (none: nothing)
            queue_for_erps(uow, {"key": key, "subject": subject, "data": data}, now)
    return added
