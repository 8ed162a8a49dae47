"""The one shape of every list endpoint in ``/v1`` (docs/API.md, "Lists").

``{"items": [...], "has_more": bool, "next_cursor": str | null}``: a client pages by passing
``next_cursor`` back as ``cursor`` until ``has_more`` is false. The cursor is opaque (today
the last key of the page), so the server may change what it encodes without breaking anyone.
A list asks its query for one row more than ``limit``: that row only says whether there is more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, Field

T = TypeVar("T")

Cursor = Annotated[str | None, Query(
    min_length=1, max_length=200, pattern=r"^[0-9]+$",
    description="`next_cursor` of the previous page (opaque)")]


# RFC 3339 (section 5.6 date-time): an instant needs its offset (`Z` or `+02:00`); a value
# without one, or no date-time at all, is a 422 problem whose error names `updated_since`
UpdatedSince = Annotated[AwareDatetime | None, Query(
    description="only rows changed at or after this instant: an RFC 3339 date-time with "
    "its offset, e.g. `2026-09-01T00:00:00Z`")]


def page_start(cursor: str | None, offset: int) -> int:
    """Where an offset-paged list starts: the cursor when given (it is the next offset)."""
    return int(cursor) if cursor else offset


class Page(BaseModel, Generic[T]):
    items: list[T]
    has_more: bool = Field(description="true: another page follows (pass next_cursor)")
    next_cursor: str | None = Field(description="the `cursor` of the next page; null on "
                                    "the last page")


def page_of(rows: Sequence[dict[str, Any]], limit: int, key: str) -> dict[str, Any]:
    """A page of ``rows`` (fetched with ``limit + 1``); the cursor is the last row's ``key``."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return {"items": items, "has_more": more,
            "next_cursor": str(items[-1][key]) if more and items else None}


def page_at(rows: Sequence[dict[str, Any]], limit: int, start: int) -> dict[str, Any]:
    """A page of ``rows`` (fetched with ``limit + 1`` from offset ``start``); the cursor is
    the next page's offset."""
    more = len(rows) > limit
    return {"items": list(rows[:limit]), "has_more": more,
            "next_cursor": str(start + limit) if more else None}


def page_whole(rows: Sequence[Any]) -> dict[str, Any]:
    """A list that is small and always answered whole (one page, no cursor)."""
    return {"items": list(rows), "has_more": False, "next_cursor": None}
