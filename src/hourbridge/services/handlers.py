"""What the system can do: the table of contents.

Every command maps to one use case taking ``(command, uow, now)``; every event type the worker
delivers maps to one handler taking ``(event, sinks)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.domain.ledger import balanced

from .adjustments import adjust_billable
from .approval import approve_entries
from .billing import run_billing
from .contracts import achieve_milestone, contract_status
from .corrections import apply_correction, reject_correction
from .credits import issue_credit_note
from .events import JOURNAL_ENTRY_READY, journal_from_data
from .exceptions import dismiss_exceptions, retry_exceptions
from .expenses import approve_expenses, ingest_expenses
from .holds import place_hold, release_hold
from .intake import BatchValidator, ingest_time_entries, validate_here
from .invoicing import issue_invoices
from .masterdata import load_master_data
from .ports.ledger import LedgerSink
from .ports.uow import UnitOfWork
from .rejection import reject_entries
from .revenue import revenue_schedule, run_revenue
from .voids import void_invoice


@dataclass(frozen=True)
class Collaborators:
    """What bootstrap may plug into use cases beyond the unit of work."""

    validator: BatchValidator = validate_here


CommandHandler = Callable[[Any, UnitOfWork, datetime, Collaborators], Any]

COMMAND_HANDLERS: dict[type, CommandHandler] = {
    c.LoadMasterData: lambda cmd, uow, now, _: load_master_data(cmd.bundle, uow, cmd.dry_run),
    c.IngestTimeEntries: lambda cmd, uow, now, deps: ingest_time_entries(
        cmd.source, cmd.payload, uow, now, deps.validator, cmd.wait),
    c.ApproveEntries: lambda cmd, uow, now, _: approve_entries(cmd, uow, now),
    c.IngestExpenses: lambda cmd, uow, now, _: ingest_expenses(cmd.source, cmd.payload, uow,
                                                              now, cmd.wait),
    c.ApproveExpenses: lambda cmd, uow, now, _: approve_expenses(cmd, uow, now),
    c.RunBilling: lambda cmd, uow, now, _: run_billing(cmd, uow, now),
    c.IssueInvoices: lambda cmd, uow, now, _: issue_invoices(cmd, uow, now),
    c.RetryExceptions: lambda cmd, uow, now, _: retry_exceptions(
        cmd.exception_ids, uow, now, cmd.actor),
    c.DismissExceptions: lambda cmd, uow, now, _: dismiss_exceptions(
        cmd.exception_ids, uow, now, cmd.actor, cmd.note),
    c.IssueCreditNote: lambda cmd, uow, now, _: issue_credit_note(cmd, uow, now),
    c.PlaceHold: lambda cmd, uow, now, _: place_hold(cmd, uow, now),
    c.AdjustBillable: lambda cmd, uow, now, _: adjust_billable(cmd, uow, now),
    c.ReleaseHold: lambda cmd, uow, now, _: release_hold(cmd, uow, now),
    c.RejectEntries: lambda cmd, uow, now, _: reject_entries(cmd, uow, now),
    c.AchieveMilestone: lambda cmd, uow, now, _: achieve_milestone(cmd, uow, now),
    c.ShowContract: lambda cmd, uow, now, _: contract_status(cmd.contract, uow),
    c.RunRevenue: lambda cmd, uow, now, _: run_revenue(cmd, uow, now),
    c.ShowRevenueSchedule: lambda cmd, uow, now, _: revenue_schedule(cmd.contract, uow),
    c.VoidInvoice: lambda cmd, uow, now, _: void_invoice(cmd, uow, now),
    c.ApplyCorrection: lambda cmd, uow, now, _: apply_correction(cmd, uow, now),
    c.RejectCorrection: lambda cmd, uow, now, _: reject_correction(cmd, uow, now),
}


def post_journal_entry(event: dict[str, Any], ledger: LedgerSink) -> bool:
    """Deliver a journal entry to the ledger; True if new, False if the key was already there."""
    return ledger.post(balanced(journal_from_data(event["data"])))


EVENT_HANDLERS: dict[str, Callable[[dict[str, Any], LedgerSink], bool]] = {
    JOURNAL_ENTRY_READY: post_journal_entry,
}
