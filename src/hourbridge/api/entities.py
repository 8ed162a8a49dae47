"""Entity isolation for the routes that declare ``entities=True`` (``security``): a key
limited to some legal entities sees only their objects; another entity's object answers
exactly as an unknown one (404, or left out of a list), so nothing tells it exists."""

from __future__ import annotations

from typing import Any

from hourbridge.domain.access import Principal
from hourbridge.errors import InvalidInput, NotFound


def entities_to_read(principal: Principal, entity: str | None) -> list[str | None]:
    """The ``entity`` filters a list runs with: the asked one if visible (else none), or
    each visible entity in turn for a limited principal, or ``[entity]`` for any other."""
    if principal.entities is None:
        return [entity]
    if entity is not None:
        return [entity] if entity in principal.entities else []
    return sorted(principal.entities)


def merged_pages(pages: list[list[dict[str, Any]]], limit: int,
                 offset: int) -> list[dict[str, Any]]:
    """One page of rows in id order from per-entity lists each read with ``offset`` 0 and
    ``limit + offset`` rows."""
    rows = sorted((r for page in pages for r in page), key=lambda r: r["id"])
    return rows[offset:offset + limit]


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
