"""The unit of work the services run in, and the clock they read."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from .connections import ConnectionRepository, WebhookReceipts
from .contracts import ContractStateRepository
from .corrections import CorrectionRepository
from .deals import DealRepository
from .entries import EntryRepository
from .erp import ErpRepository
from .exceptions import ExceptionRepository
from .expenses import ExpenseRepository
from .holds import HoldRepository
from .inbox import InboxRepository
from .intercompany import IntercompanyRepository
from .invoices import InvoiceRepository
from .locks import Locks
from .masterdata import MasterDataRepository
from .outbox import Outbox
from .webhooks import WebhookRepository


class Clock(Protocol):
    def now(self) -> datetime: ...


class UnitOfWork(Protocol):
    masterdata: MasterDataRepository
    locks: Locks
    inbox: InboxRepository
    entries: EntryRepository
    expenses: ExpenseRepository
    exceptions: ExceptionRepository
    invoices: InvoiceRepository
    holds: HoldRepository
    contracts: ContractStateRepository
    corrections: CorrectionRepository
    outbox: Outbox
    intercompany: IntercompanyRepository
    connections: ConnectionRepository
    deals: DealRepository
    erp: ErpRepository
    webhook_receipts: WebhookReceipts
    webhooks: WebhookRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def savepoint(self) -> AbstractContextManager[None]:
        """Part of the transaction a lost race undoes alone (raises ConcurrentChange)."""
        ...

    def exclusive(self, scope: str, key: str) -> AbstractContextManager[None]:
        """Held outside any transaction until the block ends, across the transactions begun
        inside it: a second holder of the same scope and key waits (``publication``: one
        publish per connection at a time)."""
        ...
