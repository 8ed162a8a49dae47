"""The shared ``metadata`` every table registers on, and the id column type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKeyConstraint, Integer, MetaData

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite rowid aliasing needs INTEGER


def checked_per_statement(column: str, target: str) -> ForeignKeyConstraint:
    """A reference of a table written in bulk (``target``: "table.column"): a foreign key on
    SQLite, whose per-row check is an index probe; on PostgreSQL its key checked each row
    on its own (about 20 µs a row, 15 % of a large ingest), so it is checked once per
    statement by triggers instead (migration 0030_refs_per_statement), and only SQLite
    creates the key."""
    return ForeignKeyConstraint([column], [target]).ddl_if(dialect="sqlite")


def utc_now() -> datetime:
    """``onupdate`` of an ``updated_at``: when a statement does not set it itself."""
    return datetime.now(UTC)


def created_or_now(context: Any) -> datetime:
    """``default`` of an ``updated_at``: the row's ``created_at`` (the clock of the command
    that made it), so a new row was last changed when it was made."""
    created = context.get_current_parameters().get("created_at")
    return created if isinstance(created, datetime) else utc_now()
