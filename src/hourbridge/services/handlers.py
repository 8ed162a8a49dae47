"""What the system can do: the table of contents.

Every command maps to one use case taking ``(command, uow, now, deps)``; every query (reads,
nothing changes) to one taking ``(query, uow)``; every event type the worker delivers maps to
one handler taking ``(event, sinks)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c

from .adjustments import adjust_billable
from .alerts import raise_alerts
from .aliases import add_alias
from .approval import approve_entries
from .billing import run_billing
from .connections import (
    add_connection,
    list_connections,
    mark_exported,
    probe_connection,
    remove_connection,
    sync_connection,
)
from .contracts import achieve_milestone, contract_status
from .corrections import apply_correction, reject_correction
from .credits import issue_credit_note
from .deadletters import replay_dead_letters
from .deal_decisions import confirm_deal, list_deals, reject_deal, show_deal
from .deals import add_crm_connection, pull_deals, receive_crm_event
from .deps import Collaborators
from .erp import erp_postings, load_erp_profiles, queue_erp_push
from .erp_masterdata import (
    check_erp,
    erp_identity,
    erp_projects,
    pull_erp_customers,
    pull_erp_projects,
)
from .events import EVENT_HANDLERS  # there, bootstrap wires them without this whole table
from .exceptions import dismiss_exceptions, retry_exceptions
from .expenses import approve_expenses
from .holds import place_hold, release_hold
from .intake_kinds import ingest_expenses, ingest_time_entries
from .invoicing import issue_invoices
from .masterdata import load_master_data
from .payments import pull_erp_payments, queue_payments_pull
from .ports.uow import UnitOfWork
from .publication import publish_masterdata
from .rejection import reject_entries
from .revenue import revenue_schedule, run_revenue
from .voids import void_invoice
from .webhook_receipts import receive_webhook, set_webhook_secret
from .webhooks import add_webhook, list_webhooks, remove_webhook, test_webhook

__all__ = ["COMMAND_HANDLERS", "EVENT_HANDLERS", "QUERY_HANDLERS", "Collaborators"]

CommandHandler = Callable[[Any, UnitOfWork, datetime, Collaborators], Any]
QueryHandler = Callable[[Any, UnitOfWork], Any]

COMMAND_HANDLERS: dict[type, CommandHandler] = {
    c.LoadErpProfiles: load_erp_profiles,
    c.QueueErpPush: queue_erp_push,
    c.PullErpCustomers: pull_erp_customers,
    c.PullErpProjects: pull_erp_projects,
    c.CheckErp: check_erp,
    c.PullErpPayments: pull_erp_payments,
    c.QueuePaymentsPull: queue_payments_pull,
    c.LoadMasterData: load_master_data,
    c.IngestTimeEntries: ingest_time_entries,
    c.ApproveEntries: approve_entries,
    c.IngestExpenses: ingest_expenses,
    c.ApproveExpenses: approve_expenses,
    c.RunBilling: run_billing,
    c.IssueInvoices: issue_invoices,
    c.RetryExceptions: retry_exceptions,
    c.DismissExceptions: dismiss_exceptions,
    c.IssueCreditNote: issue_credit_note,
    c.PlaceHold: place_hold,
    c.AdjustBillable: adjust_billable,
    c.ReleaseHold: release_hold,
    c.RejectEntries: reject_entries,
    c.AchieveMilestone: achieve_milestone,
    c.RunRevenue: run_revenue,
    c.VoidInvoice: void_invoice,
    c.ApplyCorrection: apply_correction,
    c.RejectCorrection: reject_correction,
    c.AddConnection: add_connection,
    c.ListConnections: list_connections,
    c.TestConnection: probe_connection,
    c.RemoveConnection: remove_connection,
    c.SyncConnection: sync_connection,
    c.SetWebhookSecret: set_webhook_secret,
    c.MarkExported: mark_exported,
    c.PublishMasterData: publish_masterdata,
    c.AddAlias: add_alias,
    c.ReceiveWebhook: receive_webhook,
    c.AddWebhook: add_webhook,
    c.ListWebhooks: list_webhooks,
    c.RemoveWebhook: remove_webhook,
    c.TestWebhook: test_webhook,
    c.ReplayDeadLetters: replay_dead_letters,
    c.RaiseAlerts: raise_alerts,
    c.AddCrmConnection: add_crm_connection,
    c.PullDeals: pull_deals,
    c.ReceiveCrmEvent: receive_crm_event,
    c.ConfirmDeal: confirm_deal,
    c.RejectDeal: reject_deal,
}

QUERY_HANDLERS: dict[type, QueryHandler] = {
    c.ShowErpPostings: erp_postings,
    c.ShowErpIdentity: erp_identity,
    c.ShowErpProjects: erp_projects,
    c.ShowContract: contract_status,
    c.ShowRevenueSchedule: revenue_schedule,
    c.ShowDeals: list_deals,
    c.ShowDeal: show_deal,
}

