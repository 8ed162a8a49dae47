"""Shared by the repositories on SQLAlchemy Core: bounded ``IN`` membership."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Connection, String, any_, literal
from sqlalchemy.sql.elements import ColumnElement

IN_CHUNK = 900  # stays under SQLite's bound-parameter limit with room for other filters


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _member(conn: Connection, column: Any, values: Sequence[Any]) -> Iterator[ColumnElement[bool]]:
    """``column IN values`` in statements of bounded size: one array parameter on PostgreSQL
    (``= ANY``), chunks under SQLite's parameter limit elsewhere."""
    unique = list(dict.fromkeys(values))
    if not unique:
        return
    if conn.dialect.name == "postgresql":
        item = BigInteger() if isinstance(unique[0], int) else String()
        yield column == any_(literal(unique, ARRAY(item)))
        return
    for part in _chunks(unique):
        yield column.in_(part)
