"""What the services need from the outside world, as Protocols owned by the services.

The store implements them on SQLAlchemy; tests may pass fakes. Row shapes are plain
dataclasses so that hot paths move tuples, not ORM objects. One module per capability;
this package re-exports every name.
"""

from .batches import chunked
from .connections import (
    Connection,
    ConnectionRepository,
    Delivery,
    Pull,
    TrackerGateway,
    WebhookDeliveries,
)
from .contracts import ContractStateRepository
from .corrections import CorrectionRepository, LiveLink
from .entries import (
    DayKey,
    DayRow,
    EntryRepository,
    EntryRow,
    EntrySelection,
    NewEntry,
    ReliefRow,
    StoredEntry,
)
from .exceptions import ExceptionRepository, NewException
from .expenses import ExpenseRepository, ExpenseRow, ExpenseSelection, NewExpense
from .holds import HoldRepository
from .inbox import InboxRepository
from .intercompany import IntercompanyRepository
from .invoices import (
    CreditLine,
    DocumentRow,
    InvoiceHeader,
    InvoiceRepository,
    LineState,
    VoidFacts,
)
from .ledger import LedgerSink
from .masterdata import MasterDataRepository
from .outbox import Outbox
from .uow import Clock, UnitOfWork

__all__ = [
    "Clock",
    "Connection",
    "ConnectionRepository",
    "ContractStateRepository",
    "CorrectionRepository",
    "CreditLine",
    "DayKey",
    "DayRow",
    "Delivery",
    "DocumentRow",
    "EntryRepository",
    "EntryRow",
    "EntrySelection",
    "ExceptionRepository",
    "ExpenseRepository",
    "ExpenseRow",
    "ExpenseSelection",
    "HoldRepository",
    "InboxRepository",
    "IntercompanyRepository",
    "InvoiceHeader",
    "InvoiceRepository",
    "LedgerSink",
    "LineState",
    "LiveLink",
    "MasterDataRepository",
    "NewEntry",
    "NewException",
    "NewExpense",
    "Outbox",
    "Pull",
    "ReliefRow",
    "StoredEntry",
    "TrackerGateway",
    "UnitOfWork",
    "VoidFacts",
    "WebhookDeliveries",
    "chunked",
]
