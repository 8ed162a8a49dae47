"""Master data written to a tracker, declared as data (issue 11 item 7): for each kind
(``domain.publication.KINDS``) where the tracker lists it, how it is created, updated and
archived, and which of its fields carry Hourbridge's values. One ``Publisher`` reads and
writes any declared tracker; a tracker is a ``publication.py`` in its folder, not a fork.

Paths may hold ``{workspace}`` (Toggl's, read from ``GET /api/v9/me`` unless the connection's
secret names one), ``{project}`` (the tracker's id of the item's project) and ``{id}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from hourbridge.domain.publication import Listed, Step, code_in_name
from hourbridge.errors import Permanent

from .http import TrackerClient
from .native import pick
from .stream import PageStyle, Stream
from .teams import Teams, TeamSets


def listing(path: str, records: str | None = None, *, style: PageStyle = PageStyle.UNPAGED,
            size: int = 0, size_param: str = "",
            params: tuple[tuple[str, str], ...] = ()) -> Stream:
    """A tracker's list as a stream (no cursor: a publish reads the whole list)."""
    return Stream(name=path, path=path, primary_key="id", cursor_field="", cursor_param="",
                  page_style=style, records=records, page_size=size,
                  page_size_param=size_param, extra_params=params)


@dataclass(frozen=True, slots=True)
class Field:
    """``ours`` (a ``Wanted.fields`` name) is sent as ``sent`` and read back at ``read``."""

    ours: str
    sent: str
    read: str | None = None  # default: ``sent``

    @property
    def path(self) -> str:
        return self.read or self.sent


@dataclass(frozen=True, slots=True)
class Resource:
    kind: str  # client | project | task | project_task | member
    list: Stream
    create: tuple[str, str]  # method, path
    update: tuple[str, str] | None  # method, path with {id}
    fields: tuple[Field, ...]
    # (tracker field, value while active, value once archived)
    active: tuple[str, Any, Any] | None = None
    code: str | None = None  # the field holding our code; None: the name's ``[CODE]``
    alias: str | None = None  # the alias kind a found or created item is recorded as
    parent: str | None = None  # where a listed item names its project
    per_project: bool = False  # listed under each project (``{project}`` in the path)
    id_field: str = "id"
    archive: tuple[str, str] | None = None  # a separate request that archives (DELETE)
    remove: tuple[str, str] | None = None  # the request that removes an item (DELETE)
    compared: tuple[str, ...] = ("name", "code")  # our fields compared for an update
    constants: tuple[tuple[str, Any], ...] = ()  # sent on create
    # the project's whole member list set at once (Clockify ``PATCH .../memberships``):
    # (method, path, list field, user field); the item's id is then the user's id
    member_set: tuple[str, str, str, str] | None = None
    # the members kept as a team per project (Kimai, ``connectors.teams``)
    team: Teams | None = None


@dataclass(frozen=True, slots=True)
class Publication:
    resources: tuple[Resource, ...]
    # ids sent as JSON numbers where they are digits (Harvest, Toggl, Kimai)
    numeric_ids: bool = True

    def kinds(self) -> list[tuple[str, str | None]]:
        return [(r.kind, r.alias) for r in self.resources]

    def resource(self, kind: str) -> Resource:
        return next(r for r in self.resources if r.kind == kind)


_ID_FIELDS = ("client", "project", "task", "user")


def _items(body: bytes, records: str | None) -> list[dict[str, Any]]:
    data = json.loads(body or b"null")
    items = data.get(records or "", []) if isinstance(data, dict) else data
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


class Publisher:
    """One publish's reads and writes at one tracker, through one client (its rate window)."""

    def __init__(self, client: TrackerClient, publication: Publication,
                 values: Mapping[str, str]) -> None:
        self._client = client
        self._pub = publication
        self._values = dict(values)  # {workspace}
        self._members: dict[str, list[str]] = {}  # member_set: project id -> user ids there
        self._teams: TeamSets | None = None

    def kinds(self) -> list[tuple[str, str | None]]:
        return self._pub.kinds()

    def compared(self, kind: str) -> tuple[str, ...]:
        return self._pub.resource(kind).compared

    def _path(self, template: str, **more: str) -> str:
        # ids come from the tracker's answers: each is one path segment, never more
        return template.format(**{k: quote(v, safe="") for k, v in {**self._values,
                                                                     **more}.items()})

    def listed(self, kind: str, projects: Mapping[str, str]) -> list[Listed]:
        """What the tracker lists of ``kind``; ``projects`` are the tracker ids of the
        projects a per-project list is read under."""
        resource = self._pub.resource(kind)
        if resource.team is not None:
            return self._team_sets(resource.team).listed(projects)
        parents = sorted(set(projects.values()) - {""}) if resource.per_project else [""]
        found: list[Listed] = []
        for parent in parents:
            stream = resource.list
            path = self._path(stream.path, project=parent)
            for page in self._client.pages(_with_path(stream, path), None):
                for item in _items(page.body, stream.records):
                    listed = self._read(resource, item, parent)
                    if listed is not None:
                        found.append(listed)
        if resource.member_set is not None:
            for x in found:
                self._members.setdefault(x.parent, []).append(x.external_id)
        return found

    def _team_sets(self, teams: Teams) -> TeamSets:
        if self._teams is None:
            self._teams = TeamSets(self._client, teams)
        return self._teams

    def _read(self, resource: Resource, item: dict[str, Any], parent: str) -> Listed | None:
        ident = pick(item, resource.id_field)
        if ident is None:
            return None
        name = str(pick(item, "name") or "")
        code = str(pick(item, resource.code) or "") if resource.code else ""
        active = True
        if resource.active is not None:
            field, on, _ = resource.active
            seen = item.get(field, on)
            active = seen == on
        fields = tuple((f.ours, pick(item, f.path)) for f in resource.fields)
        if resource.kind == "member":  # known by its user
            user = next((f.path for f in resource.fields if f.ours == "user"), resource.id_field)
            code = str(pick(item, user) or "")
        return Listed(resource.kind, str(ident), code or code_in_name(name), active, fields,
                      str(pick(item, resource.parent) or "") if resource.parent else parent)

    def _body(self, resource: Resource, step: Step, *, archived: bool = False
              ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for f in resource.fields:
            value = dict(step.item.fields).get(f.ours)
            if value in (None, ""):
                continue
            if f.ours in _ID_FIELDS and self._pub.numeric_ids and str(value).isdigit():
                value = int(str(value))
            body[f.sent] = value
        if resource.active is not None:
            field, on, off = resource.active
            body[field] = off if archived else on
        return body

    def apply(self, kind: str, step: Step) -> str:
        """Carry out ``step``; the tracker's id of the item (new for a create)."""
        resource = self._pub.resource(kind)
        project = str(dict(step.item.fields).get("project") or "")
        if resource.member_set is not None:
            return self._set_member(resource, step, project)
        if resource.team is not None:
            return self._team_sets(resource.team).apply(step, project)
        if step.verb == "create":
            method, path = resource.create
            body = {**dict(resource.constants), **self._body(resource, step)}
            # a create is not idempotent: an unknown outcome is not sent again; the next
            # publish finds the item by its code before creating anything
            answer = self._client.send(method, self._path(path, project=project),
                                       json=body, idempotent=False)
            created = answer.json() if answer.content else {}
            ident = pick(created, resource.id_field) if isinstance(created, dict) else None
            return str(ident or "")
        if step.verb == "remove" and resource.remove is None:
            raise Permanent(f"{kind}: nothing removes an item at this tracker")
        request = resource.remove if step.verb == "remove" else resource.archive
        if step.verb in ("archive", "remove") and request is not None:
            method, path = request
            self._client.send(method, self._path(path, project=project, id=step.external_id))
            return step.external_id
        if resource.update is None:
            return step.external_id
        method, path = resource.update
        # an update sets absolute values: the same request again is harmless
        self._client.send(method, self._path(path, project=project, id=step.external_id),
                          json=self._body(resource, step, archived=step.verb == "archive"))
        return step.external_id

    def _set_member(self, resource: Resource, step: Step, project: str) -> str:
        assert resource.member_set is not None
        method, path, list_field, user_field = resource.member_set
        user = str(dict(step.item.fields).get("user") or "")
        members = self._members.setdefault(project, [])
        if step.verb in ("archive", "remove"):
            members[:] = [m for m in members if m != user]
        elif user not in members:
            members.append(user)
        # the whole list, so sending it again is harmless
        self._client.send(method, self._path(path, project=project),
                          json={list_field: [{user_field: m} for m in members]})
        return user


def _with_path(stream: Stream, path: str) -> Stream:
    return replace(stream, path=path)


def workspace_of(client: TrackerClient, lookup: tuple[str, str] | None,
                 secret: Mapping[str, str]) -> dict[str, str]:
    """The ``{workspace}`` value: the secret's ``workspace_id`` or the tracker's default."""
    if lookup is None:
        return {}
    if secret.get("workspace_id"):
        return {"workspace": secret["workspace_id"]}
    path, field = lookup
    answer = client.send("GET", path)
    return {"workspace": str(pick(answer.json(), field) or "")}


def items_of(pages: Iterator[Any], records: str | None) -> Iterator[dict[str, Any]]:
    for page in pages:
        yield from _items(page.body, records)
