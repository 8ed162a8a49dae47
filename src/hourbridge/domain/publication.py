"""Master data published to a tracker (issue 11 item 7): what Hourbridge wants the tracker to
offer (its customers, projects, tasks and who may book on which project), compared with what
the tracker lists, as a plan of steps: create, update, archive, or leave unchanged.

Decisions:
- Identity is by external id through the alias map (``domain.aliases``), then by a
  deterministic code the tracker shows: a code field where it has one (Harvest ``code``,
  Kimai ``number``), else the leading ``[CODE]`` of the name (``shown_name``). So an item
  created by a publish that died before its alias was recorded is found again, never created
  a second time (look up before create).
- A project that is active or on hold is offered (active); a closed one is archived where it
  exists and never created. Its tasks and assignments follow it.
- An assignment is offered while it covers ``today``; an employee with no user alias at that
  tracker cannot be named there and is reported as skipped, not guessed.
- An assignment no longer offered is removed at the tracker (``remove``), but only one
  Hourbridge can name: its user is an employee's alias and its project one Hourbridge offers.
  A member the tracker lists that Hourbridge does not name is left alone.
- Pure: no I/O; the connectors read and write, the service records the aliases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .masterdata import MasterData
from .model import ProjectStatus

# the kinds a tracker may publish, in the order they depend on each other
KINDS = ("client", "project", "task", "project_task", "member")
VERBS = ("create", "update", "archive", "remove", "unchanged")
_CODE_IN_NAME = re.compile(r"^\[([^\]]+)\]")


def shown_name(code: str, name: str) -> str:
    """The name an item gets in the tracker: its code first, so consultants pick by code and
    a publish finds it again by the code."""
    return f"[{code}] {name}".strip()


def code_in_name(name: str) -> str:
    """The ``[CODE]`` a published name starts with ("" when none)."""
    found = _CODE_IN_NAME.match(name or "")
    return found.group(1) if found else ""


@dataclass(frozen=True, slots=True)
class Wanted:
    """One item Hourbridge wants at the tracker. ``key`` identifies it across runs (a code; a
    ``project/task`` or ``project/employee`` pair under a project); ``fields`` are Hourbridge's
    names for what is sent (``name``, ``code``, ``client``, ``project``, ``task``, ``user``,
    ``billable``, ...: ids of other items are the tracker's ids); ``parent`` is the project
    code of an item under a project."""

    kind: str
    key: str
    code: str
    active: bool
    fields: tuple[tuple[str, Any], ...] = ()
    parent: str = ""


@dataclass(frozen=True, slots=True)
class Listed:
    """One item as the tracker lists it, read through the same field names: ``code`` is its
    deterministic code ("" when it shows none), ``parent`` the tracker's id of its project."""

    kind: str
    external_id: str
    code: str
    active: bool
    fields: tuple[tuple[str, Any], ...] = ()
    parent: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    verb: str  # create | update | archive | remove | unchanged
    item: Wanted
    external_id: str = ""  # the tracker's id (empty for a create)


@dataclass
class Refs:
    """The tracker's ids known so far, by kind and key (filled as the kinds are published)."""

    ids: dict[str, dict[str, str]] = field(default_factory=dict)

    def get(self, kind: str, key: str) -> str:
        return self.ids.get(kind, {}).get(key, "")

    def put(self, kind: str, key: str, external_id: str) -> None:
        self.ids.setdefault(kind, {})[key] = external_id


def _projects(md: MasterData) -> list[Any]:
    return [p for _, p in sorted(md.projects.items())]


def wanted(md: MasterData, kind: str, refs: Refs, today: date,
           user_ids: Mapping[str, str]) -> tuple[list[Wanted], list[str]]:
    """What Hourbridge wants of ``kind`` and what it skips (with why). ``refs`` holds the
    tracker ids of the kinds published before; ``user_ids`` each employee's tracker user."""
    items: list[Wanted] = []
    skipped: list[str] = []
    offered = [p for p in _projects(md) if p.status is not ProjectStatus.CLOSED]
    if kind == "client":
        used = {p.customer for p in offered}
        for code in sorted(used):
            customer = md.customers.get(code)
            if customer is not None:
                items.append(Wanted("client", code, code, True, (
                    ("name", shown_name(code, customer.name)), ("code", code),
                    ("currency", customer.currency), ("country", customer.country))))
    elif kind == "project":
        for p in _projects(md):
            active = p.status is not ProjectStatus.CLOSED
            items.append(Wanted("project", p.code, p.code, active, (
                ("name", shown_name(p.code, p.name)), ("code", p.code),
                ("client", refs.get("client", p.customer)),
                ("billable", any(t.billable for t in p.tasks) or not p.tasks))))
    elif kind == "task":  # a tracker whose tasks are one list for every project (Harvest)
        # active while an offered project has it; archived once none has
        tasks: dict[str, tuple[str, bool, bool]] = {}
        for p in sorted(_projects(md), key=lambda p: p.status is ProjectStatus.CLOSED):
            for t in p.tasks:
                was = tasks.get(t.code)
                live = p.status is not ProjectStatus.CLOSED or (was is not None and was[2])
                tasks[t.code] = (was[0], was[1], live) if was else (t.name, t.billable, live)
        for code, (name, billable, live) in sorted(tasks.items()):
            items.append(Wanted("task", code, code, live, (
                ("name", shown_name(code, name)), ("code", code), ("billable", billable))))
    elif kind == "project_task":
        for p in _projects(md):
            for t in p.tasks:
                items.append(Wanted("project_task", f"{p.code}/{t.code}", t.code,
                                    p.status is not ProjectStatus.CLOSED, (
                    ("name", shown_name(t.code, t.name)), ("code", t.code),
                    ("project", refs.get("project", p.code)),
                    ("task", refs.get("task", t.code)), ("billable", t.billable)),
                    parent=p.code))
    elif kind == "member":
        for p in offered:
            for employee in sorted({a.employee for a in p.assignments if a.covers(today)}):
                user = user_ids.get(employee, "")
                if not user:
                    skipped.append(f"{p.code}/{employee}: no user alias at this tracker")
                    continue
                items.append(Wanted("member", f"{p.code}/{employee}", employee, True, (
                    ("project", refs.get("project", p.code)), ("user", user),
                    ("team", shown_name(p.code, p.name))), parent=p.code))
    return items, skipped


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return bool(ours) == bool(theirs)
    return str(ours if ours is not None else "") == str(theirs if theirs is not None else "")


def differs(item: Wanted, listed: Listed, compared: tuple[str, ...]) -> bool:
    """Whether a field the tracker keeps (``compared``) differs from ours."""
    theirs = dict(listed.fields)
    return any(name in theirs and not _same(value, theirs[name])
               for name, value in item.fields if name in compared)


def offered(md: MasterData) -> set[str]:
    """The codes of the projects offered at a tracker (active or on hold)."""
    return {p.code for p in _projects(md) if p.status is not ProjectStatus.CLOSED}


def plan(items: list[Wanted], listed: list[Listed], keys: list[str],
         compared: tuple[str, ...], removable: set[str] | None = None) -> list[Step]:
    """The steps that make the tracker offer ``items``. ``keys`` holds each listed item's key
    where the caller could tell it ("" where not): its alias, else the code it shows, under
    its project. An item with no counterpart is created when active; a counterpart that
    differs is updated, one whose item is no longer active is archived, and the rest is
    unchanged. With ``removable`` (the project codes whose members Hourbridge decides), a
    listed item with a key under one of them that no item wants is removed."""
    by_key: dict[str, Listed] = {}
    for x, key in zip(listed, keys, strict=True):
        if key and (key not in by_key or (x.active and not by_key[key].active)):
            by_key[key] = x  # an active counterpart before an archived one
    steps: list[Step] = []
    for item in items:
        there = by_key.get(item.key)
        if there is None:
            steps.append(Step("create", item) if item.active else Step("unchanged", item))
        elif not item.active:
            steps.append(Step("archive" if there.active else "unchanged", item,
                              there.external_id))
        elif not there.active or differs(item, there, compared):
            steps.append(Step("update", item, there.external_id))
        else:
            steps.append(Step("unchanged", item, there.external_id))
    if removable is not None:
        steps += _removals(items, listed, keys, removable)
    return steps


def _removals(items: list[Wanted], listed: list[Listed], keys: list[str],
              removable: set[str]) -> list[Step]:
    """Listed items under ``removable`` projects that Hourbridge names and no longer wants."""
    kept = {i.key for i in items}
    steps: list[Step] = []
    for x, key in zip(listed, keys, strict=True):
        parent, _, code = key.partition("/")
        if not key or key in kept or parent not in removable or not code:
            continue  # not named by Hourbridge, or still wanted
        kept.add(key)  # once per key
        steps.append(Step("remove", Wanted(x.kind, key, code, False, (
            ("project", x.parent), ("user", x.code)), parent=parent), x.external_id))
    return steps
