"""What stood invoiced per contract and month after the last real billing run of each scope
(issue 16, item 4: a run compares only the contract-months that moved since, not every live
invoice).

``billing_standing_scopes`` names each scope (``*``: all entities, or an entity's code) and
whether its baseline is kept yet; ``billing_standing`` holds the baseline's rows, one per
contract and month, the figures as ``domain.invoiced`` writes them; ``billing_standing_dirty``
lists the contract-months whose live invoices moved since a scope's baseline was taken. The
dirty rows are written by database triggers on ``invoices`` and ``entities`` (migration
``0025_billing_standing``) in the transaction that changes them, so no write path (drafts,
issue, void, credit notes) can forget one; a billing run reads its scope's dirty rows,
compares those contract-months only and deletes the rows it read.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table

from .base import Id, metadata

ALL_ENTITIES = "*"  # the scope of runs over every entity

billing_standing_scopes = Table(
    "billing_standing_scopes", metadata,
    Column("scope", String(64), primary_key=True),
    Column("kept", Boolean, nullable=False),  # false until the scope's first real run
)

billing_standing = Table(
    "billing_standing", metadata,
    Column("scope", String(64), primary_key=True),
    Column("contract", String(64), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("invoiced", String(40), nullable=False),
    Column("credited", String(40), nullable=False),
    Column("net", String(40), nullable=False),
    Column("documents", Integer, nullable=False),
)

billing_standing_dirty = Table(
    "billing_standing_dirty", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("scope", String(64), nullable=False),
    Column("contract", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Index("ix_billing_standing_dirty_scope", "scope"),
)
