"""Master data: entities, customers, employees, contracts, projects, rates, FX."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
)

from ..types import ExactDecimal
from .base import Id, metadata

# --- master data -------------------------------------------------------------------------
entities = Table(
    "entities", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("invoice_prefix", String(64), nullable=False),
    Column("lock_date", Date),
    Column("vat_id", String(64)),
    Column("legal_registration_id", String(64)),
    Column("tax_registration_id", String(64)),
    Column("accounts", JSON, nullable=False),
    Column("tax_rates", JSON, nullable=False),
    # IANA zone of the entity's day; rows stored before it existed read as UTC
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    # address, electronic address, contact, bank accounts, payment terms (store.parties):
    # read whole with the entity, and frozen onto each invoice at issue (invoices.snapshot)
    Column("party", JSON),
    # last invoice number issued; incremented in the issuing transaction, so numbers are gapless
    Column("last_invoice_number", Integer, nullable=False, server_default="0"),
)

customers = Table(
    "customers", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("entity", String(64), ForeignKey("entities.code"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("country", String(2), nullable=False),
    Column("parent", String(64), ForeignKey("customers.id")),
    Column("vat_id", String(64)),
    Column("tax_exempt", Boolean, nullable=False),
    Column("tax_code", String(32), nullable=False),
    Column("business", Boolean, nullable=False),
    Column("payment_terms_days", Integer),  # NULL: the entity's payment terms
    Column("po_number", String(64)),
    Column("party", JSON),  # address, electronic address, contact (store.parties)
)

employees = Table(
    "employees", metadata,
    Column("id", String(64), primary_key=True),
    Column("entity", String(64), ForeignKey("entities.code"), nullable=False),
    Column("role", String(64), nullable=False),
    Column("department", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("hours_per_day", ExactDecimal, nullable=False),
)

cost_rates = Table(
    "cost_rates", metadata,
    Column("employee", String(64), ForeignKey("employees.id", ondelete="CASCADE"),
           primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("rate", ExactDecimal, nullable=False),
    Column("currency", String(3), nullable=False),
)

contracts = Table(
    "contracts", metadata,
    Column("id", String(64), primary_key=True),
    Column("customer", String(64), ForeignKey("customers.id"), nullable=False),
    Column("entity", String(64), ForeignKey("entities.code"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    # fee schedule, milestones, retainer, cap and expense policy: small, read as a whole
    Column("terms", JSON, nullable=False),
    # FX rate-date policy (work_date / issue_date / fixed) and the fixed rate (domain.fx)
    Column("fx_rate_date", String(16), nullable=False),
    Column("fx_fixed_rate", ExactDecimal),
    # credit_and_rebill / next_invoice_adjustment: see domain.corrections
    Column("correction_policy", String(32), nullable=False, server_default="credit_and_rebill"),
)

contract_versions = Table(
    "contract_versions", metadata,
    Column("contract", String(64), ForeignKey("contracts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("effective_from", Date, nullable=False),
    Column("billing_model", String(32), nullable=False),
    Column("rounding_increment_minutes", Integer, nullable=False),
    Column("rounding_mode", String(16), nullable=False),
    Column("rounding_minimum_minutes", Integer, nullable=False),
    Column("rounding_per", String(8), nullable=False, server_default="entry"),  # or day
)

# transfer-price markup per (selling, buying) entity pair; a pair not listed charges at cost
intercompany_markups = Table(
    "intercompany_markups", metadata,
    Column("seller", String(64), ForeignKey("entities.code"), primary_key=True),
    Column("buyer", String(64), ForeignKey("entities.code"), primary_key=True),
    Column("markup_percent", ExactDecimal, nullable=False),
)

projects = Table(
    "projects", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("customer", String(64), ForeignKey("customers.id"), nullable=False),
    Column("entity", String(64), ForeignKey("entities.code"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("contract", String(64), ForeignKey("contracts.id")),
)

tasks = Table(
    "tasks", metadata,
    Column("project", String(64), ForeignKey("projects.code", ondelete="CASCADE"),
           primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("billable", Boolean, nullable=False),
)

assignments = Table(
    "assignments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project", String(64), ForeignKey("projects.code", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("employee", String(64), ForeignKey("employees.id"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date),
    Column("role", String(64)),
)

rate_cards = Table(
    "rate_cards", metadata,
    Column("id", String(64), primary_key=True),
    Column("scope", String(16), nullable=False),
    Column("scope_id", String(64)),
    Column("currency", String(3), nullable=False),
)

rate_rows = Table(
    "rate_rows", metadata,
    Column("card", String(64), ForeignKey("rate_cards.id", ondelete="CASCADE"),
           primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("rate", ExactDecimal, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date),
    Column("employee", String(64)),
    Column("role", String(64)),
    Column("task", String(64)),
)

# 1 from_currency = rate to_currency from valid_from until the pair's next rate (domain.fx)
fx_rates = Table(
    "fx_rates", metadata,
    Column("from_currency", String(3), primary_key=True),
    Column("to_currency", String(3), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("rate", ExactDecimal, nullable=False),
)

# Counters bumped in the transaction that changes what they count: "masterdata" lets every
# process keep its master-data snapshot until a load changes it.
revisions = Table(
    "revisions", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# a tracker's id as a Hourbridge code, per intake source (domain.aliases)
id_aliases = Table(
    "id_aliases", metadata,
    Column("source", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("external_id", String(200), primary_key=True),
    Column("code", String(64), nullable=False),
)
