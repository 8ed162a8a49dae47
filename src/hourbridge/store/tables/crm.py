"""CRM won deals (issue 11 item 8): one row per won opportunity, ever. The opportunity id is
unique, so a pull and a pushed event of the same deal, or two workers taking it at once,
store it once: the second insert loses on the key and is a duplicate."""

from __future__ import annotations

from sqlalchemy import JSON, Column, String, Table, Text

from ..types import UtcDateTime
from .base import Id, metadata

crm_deals = Table(
    "crm_deals", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("opportunity_id", String(40), nullable=False, unique=True),
    Column("connection", String(64), nullable=False, index=True),
    Column("account_id", String(40), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    # proposed | exception | confirmed | rejected (domain/deals)
    Column("state", String(16), nullable=False, index=True),
    Column("customer", String(64), nullable=True),  # matched (or chosen at confirm)
    Column("matched_by", String(16), nullable=False),
    Column("candidates", JSON, nullable=False),  # customers an ambiguous account matches
    Column("reason", String(40), nullable=True),  # why it waits (a registered reason code)
    Column("deal", JSON, nullable=False),  # domain.deals.deal_json: account, lines, prices
    Column("received_by", String(24), nullable=False),  # pull | change_event | ...
    Column("received_at", UtcDateTime(timezone=True), nullable=False),
    Column("contract", String(64), nullable=True),  # set once confirmed
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", UtcDateTime(timezone=True), nullable=True),
    Column("note", Text, nullable=True),
)
