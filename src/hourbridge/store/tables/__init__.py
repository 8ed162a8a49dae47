"""The schema (SQLAlchemy Core). Alembic migrations are generated from and checked against it.

Naming: one table per canonical record; child tables for nested parts (tasks, assignments,
contract versions, rate rows); state axes of a time entry are separate columns.

One module per capability; every table registers on the one ``metadata`` (``base``), so
importing this package gives ``hourbridge.store.tables.metadata`` the whole schema.
"""

from __future__ import annotations

from .access import api_keys, entity_policies, rate_limit_windows
from .audit import audit_chain_head, audit_log
from .base import Id, metadata
from .billing import (
    adjustments,
    billing_runs,
    contract_charges,
    corrections,
    holds,
    intercompany_charges,
    invoice_line_entries,
    invoice_lines,
    invoices,
    milestone_achievements,
    retainer_months,
    revenue_recognitions,
)
from .connections import connections, tracker_exports, webhook_quarantine, webhook_receipts
from .crm import crm_deals
from .delivery import (
    idempotency_keys,
    journal_entries,
    journal_lines,
    outbox,
    schedule_runs,
)
from .erp import (
    erp_identity_map,
    erp_postings,
    erp_profiles,
    erp_project_map,
    invoice_payments,
)
from .intake import (
    ENTRY_STATE_COLUMNS,
    OPEN_APPROVED,
    OPEN_BILLING,
    OPEN_STATES,
    OPEN_WORK,
    OPEN_WORK_PG,
    PENDING_APPROVAL,
    PENDING_STATES,
    exceptions,
    expenses,
    inbox,
    inbox_chunks,
    time_entries,
)
from .kpis import (
    kpi_approval_days,
    kpi_billed_days,
    kpi_billed_lines,
    kpi_rollup_deferred,
    kpi_work_days,
)
from .masterdata import (
    assignments,
    contract_versions,
    contracts,
    cost_rates,
    customers,
    employees,
    entities,
    fx_rates,
    id_aliases,
    intercompany_markups,
    projects,
    rate_cards,
    rate_rows,
    revisions,
    tasks,
)
from .standing import (
    ALL_ENTITIES,
    billing_standing,
    billing_standing_dirty,
    billing_standing_scopes,
)
from .webhooks import dead_letter_replays, webhook_deliveries, webhook_subscriptions

__all__ = [
    "ALL_ENTITIES",
    "ENTRY_STATE_COLUMNS",
    "OPEN_APPROVED",
    "OPEN_BILLING",
    "OPEN_STATES",
    "OPEN_WORK",
    "OPEN_WORK_PG",
    "PENDING_APPROVAL",
    "PENDING_STATES",
    "Id",
    "adjustments",
    "api_keys",
    "assignments",
    "audit_chain_head",
    "audit_log",
    "billing_runs",
    "billing_standing",
    "billing_standing_dirty",
    "billing_standing_scopes",
    "connections",
    "contract_charges",
    "contract_versions",
    "contracts",
    "corrections",
    "cost_rates",
    "crm_deals",
    "customers",
    "dead_letter_replays",
    "employees",
    "entities",
    "entity_policies",
    "erp_identity_map",
    "erp_postings",
    "erp_profiles",
    "erp_project_map",
    "exceptions",
    "expenses",
    "fx_rates",
    "holds",
    "id_aliases",
    "idempotency_keys",
    "inbox",
    "inbox_chunks",
    "intercompany_charges",
    "intercompany_markups",
    "invoice_line_entries",
    "invoice_lines",
    "invoice_payments",
    "invoices",
    "journal_entries",
    "journal_lines",
    "kpi_approval_days",
    "kpi_billed_days",
    "kpi_billed_lines",
    "kpi_rollup_deferred",
    "kpi_work_days",
    "metadata",
    "milestone_achievements",
    "outbox",
    "projects",
    "rate_cards",
    "rate_limit_windows",
    "rate_rows",
    "retainer_months",
    "revenue_recognitions",
    "revisions",
    "schedule_runs",
    "tasks",
    "time_entries",
    "tracker_exports",
    "webhook_deliveries",
    "webhook_quarantine",
    "webhook_receipts",
    "webhook_subscriptions",
]
