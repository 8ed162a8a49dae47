"""Publishing a journal entry: one outbox row, in the use case's transaction, that the worker
delivers to the ledger (``events.post_journal_entry``) as a CloudEvents envelope, and one
per ERP destination of the entity (``erp.queue_for_erps``), and one delivery job per webhook
subscribed to its type (``webhooks.enqueue_deliveries``), in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hourbridge.domain.ledger import JournalEntry
from hourbridge.observability.tracing import current_traceparent, producing

from .erp import erp_rows, queue_for_erps
from .events import JOURNAL_ENTRY_READY, envelope, journal_to_data
from .ports.uow import UnitOfWork
from .webhooks import delivery_rows, enqueue_deliveries


def publish_journal(uow: UnitOfWork, key: str, subject: str, journal: JournalEntry,
                    now: datetime) -> bool:
    """Queue ``journal`` under the idempotency ``key`` (the event id); ``subject`` names what
    it books (``invoice/NUMBER``, ``journal/KEY``...). False if the key was queued before.

    The envelope keeps the ``traceparent`` of the span that created it, so the worker's
    delivery joins the trace of the request that caused it (``observability.tracing``)."""
    data = journal_to_data(journal)
    with producing(JOURNAL_ENTRY_READY, key):
        event = envelope(key, JOURNAL_ENTRY_READY, subject, data, now, current_traceparent())
        if not uow.outbox.add(key, JOURNAL_ENTRY_READY, subject, event, now):
            return False
        _fan_out(uow, key, subject, data, event, now)
    return True


def publish_journals(uow: UnitOfWork, journals: Sequence[tuple[str, str, JournalEntry]],
                     now: datetime) -> set[str]:
    """``publish_journal`` for a batch of (key, subject, journal): one bulk write to the
    outbox; the keys queued now (a key queued before is left as it was). One PRODUCER span
    for the batch (named by its first key): every envelope carries its ``traceparent``."""
    if not journals:
        return set()
    with producing(JOURNAL_ENTRY_READY, journals[0][0]):
        parent = current_traceparent()
        events = [(key, subject, data,
                   envelope(key, JOURNAL_ENTRY_READY, subject, data, now, parent))
                  for key, subject, data in ((k, s, journal_to_data(j))
                                             for k, s, j in journals)]
        added = uow.outbox.add_many(
            [(key, JOURNAL_ENTRY_READY, subject, event) for key, subject, _, event in events],
            now)
        fresh = [e for e in events if e[0] in added]
        # the ERP documents and webhook deliveries of the whole batch in one more bulk add
        # (issue 16: not a look-up of profiles and subscriptions and an insert per journal)
        fan_out = (erp_rows(uow, [{"key": k, "subject": s, "data": d}
                                  for k, s, d, _ in fresh], now)
                   + delivery_rows(uow, [event for *_, event in fresh])) if fresh else []
        if fan_out:
            uow.outbox.add_many(fan_out, now)
    return added


def _fan_out(uow: UnitOfWork, key: str, subject: str, data: dict[str, Any],
             event: dict[str, Any], now: datetime) -> None:
    """The same document for each ERP the entity posts to (none: nothing), and one delivery
    per webhook subscribed to journal entries, in the publishing transaction."""
    queue_for_erps(uow, {"key": key, "subject": subject, "data": data}, now)
    enqueue_deliveries(uow, event, now)
