"""Exceptions: problems found in rows and runs, open until resolved or closed."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    String,
    any_,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)

from hourbridge.domain import limits
from hourbridge.domain.problems import Problem
from hourbridge.services.ports.exceptions import NewException

from . import tables as t
from ._sql import _chunks


def _json_safe(row: dict[str, Any]) -> dict[str, Any]:
    """The raw row as JSON keeps it: JSON numbers (Decimal from the parser) as their text."""
    return json.loads(json.dumps(row, default=str))


def exception_entity() -> ColumnElement[Any]:
    """The legal entity an exception is about, from its kept row (one SQL expression, so
    lists filter and page in the query): the row's project (a code, or a tracker's project
    id through its alias), else its contract. NULL when it names none that is known (an
    unknown project, an ERP identity problem): only a key for every entity sees it."""
    ex, pr, al, co = t.exceptions, t.projects, t.id_aliases, t.contracts
    by_code = select(pr.c.entity).where(pr.c.code == ex.c.row["project"].as_string())
    by_alias = select(pr.c.entity).join(al, al.c.code == pr.c.code).where(
        al.c.source == ex.c.source, al.c.kind == literal("project"),
        al.c.external_id == ex.c.row["source_project"].as_string())
    by_contract = select(co.c.entity).where(co.c.id == ex.c.row["contract"].as_string())
    return func.coalesce(by_code.scalar_subquery(), by_alias.limit(1).scalar_subquery(),
                         by_contract.scalar_subquery())


def of_entities(entities: Collection[str]) -> ColumnElement[bool]:
    """The exceptions about one of ``entities`` (a key limited to them sees these only)."""
    return exception_entity().in_(sorted(entities))


def _resolve(member: ColumnElement[bool], touched: bool = True) -> Any:
    """The open exceptions of a source at ``member``'s locations, resolved; ``touched``:
    their updated_at set too."""
    ex = t.exceptions
    values: dict[str, Any] = {"status": "resolved", "closed_at": bindparam("at_"),
                              "closed_by": bindparam("by_"),
                              "note": "the condition no longer holds"}
    if touched:
        values["updated_at"] = bindparam("at_")
    return (update(ex).where(ex.c.status == "open", ex.c.source == bindparam("source_"), member)
            .values(**values))


# ``resolve_all``'s statements, built once (a billing run resolves its drafts' locations):
# building the statement and its cache key per run cost more than the update (issue 16).
# One array parameter on PostgreSQL, an expanding IN per chunk on SQLite (as ``_member``)
_RESOLVE_ANY = _resolve(t.exceptions.c.location == any_(
    bindparam("locations", type_=ARRAY(String()))))
# ``resolve`` (a billing run resolves each capped contract's cap) sets no updated_at
_RESOLVE_ONE = _resolve(t.exceptions.c.location == bindparam("location_"), touched=False)
_RESOLVE_IN = _resolve(t.exceptions.c.location.in_(bindparam("locations", expanding=True)))


class SqlExceptions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, items: Sequence[NewException], at: datetime) -> None:
        if not items:
            return
        self.conn.execute(insert(t.exceptions), [
            # a refused row's external id may be what was wrong with it (too long, a NUL):
            # the raw row keeps it, the column only an id it can hold, on every database
            {"inbox_id": i.inbox_id, "source": i.source,
             "external_id": limits.storable(i.external_id, limits.EXTERNAL_ID),
             "location": i.problem.where[:500], "reason": i.problem.code, "field": i.problem.field,
             "message": i.problem.message, "owner_role": i.problem.owner, "status": "open",
             "row": _json_safe(i.row), "created_at": at}
            for i in items
        ])

    def add_open_once(self, items: Sequence[NewException], at: datetime) -> int:
        """Add the items that have no open twin (same source, reason and location): a
        condition found again by every run is one exception, not one per run."""
        ex = t.exceptions
        fresh = [i for i in items if self.conn.execute(
            select(ex.c.id).where(ex.c.status == "open", ex.c.source == i.source,
                                  ex.c.reason == i.problem.code,
                                  ex.c.location == i.problem.where)).first() is None]
        self.add(fresh, at)
        return len(fresh)

    def resolve(self, source: str, location: str, at: datetime, by: str) -> None:
        self.conn.execute(_RESOLVE_ONE, {"source_": source, "location_": location, "at_": at,
                                         "by_": by})

    def resolve_all(self, source: str, locations: Sequence[str], at: datetime,
                    by: str) -> None:
        """``resolve`` for many locations, a bounded statement per chunk."""
        unique = list(dict.fromkeys(locations))
        if not unique:
            return
        params = {"source_": source, "at_": at, "by_": by}
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(_RESOLVE_ANY, {**params, "locations": unique})
            return
        for part in _chunks(unique):
            self.conn.execute(_RESOLVE_IN, {**params, "locations": list(part)})

    def open_items(self, ids: Sequence[int], entities: Collection[str] | None = None
                   ) -> list[tuple[int, int | None, str, dict[str, Any]]]:
        """Open exceptions (``ids``, or every one), of ``entities`` only (None: all)."""
        ex = t.exceptions
        stmt = select(ex.c.id, ex.c.inbox_id, ex.c.source, ex.c.row).where(ex.c.status == "open")
        if entities is not None:
            stmt = stmt.where(of_entities(entities))
        if ids:
            out: list[tuple[int, int | None, str, dict[str, Any]]] = []
            for part in _chunks(list(ids)):
                out += [tuple(r) for r in self.conn.execute(stmt.where(ex.c.id.in_(part)))]  # type: ignore[misc]
            return out
        return [tuple(r) for r in self.conn.execute(stmt.order_by(ex.c.id))]  # type: ignore[misc]

    def reassess(self, items: Sequence[tuple[int, Problem]]) -> dict[int, str]:
        ex = t.exceptions
        found = {i: p for i, p in items}
        before: dict[int, str] = {}
        for part in _chunks(list(found)):
            before.update(self.conn.execute(select(ex.c.id, ex.c.reason)
                                            .where(ex.c.id.in_(part))).tuples().all())
        for exc_id, problem in found.items():
            self.conn.execute(update(ex).where(ex.c.id == exc_id, ex.c.status == "open").values(
                reason=problem.code, field=problem.field, message=problem.message,
                owner_role=problem.owner))
        return {i: old for i, old in before.items() if old != found[i].code}

    def close(self, ids: Sequence[int], status: str, at: datetime, by: str, note: str) -> None:
        ex = t.exceptions
        for part in _chunks(list(ids)):
            self.conn.execute(update(ex).where(ex.c.id.in_(part), ex.c.status == "open")
                              .values(status=status, closed_at=at, closed_by=by, note=note,
                                      updated_at=at))
