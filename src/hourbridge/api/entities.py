"""Entity isolation for the routes that declare ``entities=True`` (``security``): a key
limited to some legal entities sees only their objects; another entity's object answers
exactly as an unknown one (404, or left out of a list), so nothing tells it exists."""

from __future__ import annotations

from typing import Any

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain.access import Principal
from hourbridge.domain.classification import CLASSIFIED
from hourbridge.errors import InvalidInput, NotFound


def projected(principal: Principal, record: str, rows: list[dict[str, Any]]
              ) -> list[dict[str, Any]]:
    """``rows`` of ``record`` (a ``domain.classification`` record name) with every
    classified field the principal may not read set to null (one place for every list)."""
    hidden = [f for (r, f), kind in CLASSIFIED.items()
              if r == record and not principal.reads(kind)]
    for row in rows:
        for field in hidden:
            if field in row:
                row[field] = None
    return rows


def own_rows(principal: Principal, rows: list[dict[str, Any]],
             field: str = "entity") -> list[dict[str, Any]]:
    """The rows of a small whole list (no paging) whose ``field`` the principal sees."""
    if principal.entities is None:
        return rows
    return [r for r in rows if principal.sees(r.get(field))]


def entry_visible_or_404(hb: Hourbridge, principal: Principal, entry_id: int,
                         ref: object) -> None:
    """Another entity's time entry is refused as an unknown one is (404)."""
    if principal.entities is not None:
        row = hb.queries.entry(entry_id)
        visible_or_404(principal, "entry", ref, row["entity"] if row else None)


def visible_or_404(principal: Principal, kind: str, key: object, entity: str | None) -> None:
    if not principal.sees(entity):
        raise NotFound(kind, key)


def one_entity(principal: Principal, entity: str | None) -> str | None:
    """The entity a write over "all" keeps to: the asked one (if visible), the limited
    principal's only entity, or None (every entity) for an unlimited principal."""
    if entity is not None or principal.entities is None:
        if entity is not None and not principal.sees(entity):
            raise NotFound("entity", entity)
        return entity
    if len(principal.entities) == 1:
        return next(iter(principal.entities))
    raise InvalidInput("this key covers several legal entities: name the `entity`")
