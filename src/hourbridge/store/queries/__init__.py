"""Read side: what the CLI, API and dashboard show. Plain dicts out, JSON-ready values.

One module of queries per capability; ``ReadModels`` composes them.
"""

from __future__ import annotations

from sqlalchemy import Engine

from .alerts import AlertQueries
from .audit import AuditQueries
from .contracts import ContractQueries
from .corrections import CorrectionQueries
from .entries import EntryQueries
from .exceptions import ExceptionQueries
from .expenses import ExpenseQueries
from .holds import HoldQueries
from .inbox import InboxQueries
from .intercompany import IntercompanyQueries
from .invoices import InvoiceQueries
from .kpis import KpiQueries
from .ledger import LedgerQueries
from .masterdata import MasterDataQueries
from .outbox import OutboxQueries
from .payroll import PayrollQueries
from .receivables import ReceivableQueries
from .reconciliation import ReconciliationQueries
from .telemetry import TelemetryQueries
from .trace import TraceQueries
from .webhooks import WebhookQueries


class ReadModels(
    MasterDataQueries,
    EntryQueries,
    ExpenseQueries,
    InboxQueries,
    ExceptionQueries,
    InvoiceQueries,
    ReceivableQueries,
    CorrectionQueries,
    LedgerQueries,
    OutboxQueries,
    PayrollQueries,
    HoldQueries,
    ContractQueries,
    IntercompanyQueries,
    TelemetryQueries,
    TraceQueries,
    WebhookQueries,
    AuditQueries,
    KpiQueries,
    ReconciliationQueries,
    AlertQueries,
):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
