"""Who may book on a project, kept as a team per project (Kimai 2.x, issue 11 item 7).

Kimai has no project members: a user may book on a project when one of their teams has
been granted the project (``src/API/TeamController.php``, DOC/CODE): ``GET /api/teams``
lists teams (``id``, ``name``), ``GET /api/teams/{id}`` answers one with ``members``
(``[{"user": {...}|id, "teamlead": bool}]``) and ``projects``; ``POST /api/teams`` creates
one (``name`` and ``members``; at least one member must be a team lead); ``PATCH
/api/teams/{id}`` with ``members`` replaces the whole member list; ``POST
/api/teams/{id}/projects/{projectId}`` grants it a project. INF: the member shape on read
(``user`` an object or a bare id) is read tolerantly.

Decisions: one team per project, named ``[CODE] name`` (found again by its code, never
created twice); its team lead is the connection's own API user (``GET /api/users/me``), so
the lead is never an employee whose assignment may end; the members are the employees
assigned, set as a whole list (sending it again is harmless). A member Hourbridge does not
name is kept in the list, and a team lead is never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hourbridge.domain.publication import Listed, Step, code_in_name

from .http import TrackerClient
from .native import pick


@dataclass(frozen=True, slots=True)
class Teams:
    path: str = "/api/teams"
    me: str = "/api/users/me"
    link: str = "/api/teams/{id}/projects/{project}"


@dataclass
class _Team:
    ident: str
    members: list[tuple[str, bool]] = field(default_factory=list)  # (user id, team lead)
    projects: set[str] = field(default_factory=set)


def _seg(value: str) -> str:
    return quote(value, safe="")


def _num(value: str) -> Any:
    return int(value) if value.isdigit() else value


class TeamSets:
    """A publish's view of the tracker's teams: one per project it publishes."""

    def __init__(self, client: TrackerClient, teams: Teams) -> None:
        self._client = client
        self._teams = teams
        self._by_project: dict[str, _Team] = {}  # project id there -> its team
        self._lead = ""

    def listed(self, projects: Mapping[str, str]) -> list[Listed]:
        """Each member of each project's team, known by its user (``parent``: the project)."""
        answer = self._client.send("GET", self._teams.path)
        rows = answer.json() if answer.content else []
        found: list[Listed] = []
        for row in rows if isinstance(rows, list) else []:
            ident = pick(row, "id") if isinstance(row, dict) else None
            project = projects.get(code_in_name(str(pick(row, "name") or "")), "")
            if ident is None or not project or project in self._by_project:
                continue
            one = self._client.send("GET", f"{self._teams.path}/{_seg(str(ident))}").json()
            team = _Team(str(ident), [
                (str(pick(m, "user.id|user") or ""), bool(m.get("teamlead")))
                for m in one.get("members") or [] if isinstance(m, dict)],
                {str(pick(p, "id") if isinstance(p, dict) else p)
                 for p in one.get("projects") or []})
            self._by_project[project] = team
            found += [Listed("member", user, user, True, (("user", user),), project)
                      for user, _ in team.members if user]
        return found

    def _lead_id(self) -> str:
        if not self._lead:
            self._lead = str(pick(self._client.send("GET", self._teams.me).json(), "id") or "")
        return self._lead

    def apply(self, step: Step, project: str) -> str:
        """Add (create, update) or drop (archive, remove) the step's user in the project's
        team; the team is created and granted the project when there is none."""
        fields = dict(step.item.fields)
        user = str(fields.get("user") or "")
        team = self._by_project.get(project)
        dropping = step.verb in ("archive", "remove")
        if team is None:
            if dropping:
                return user
            lead = self._lead_id()
            members = [(lead, True)] + ([(user, False)] if user != lead else [])
            created = self._client.send("POST", self._teams.path, idempotent=False, json={
                "name": str(fields.get("team") or f"[{step.item.parent}]"),
                "members": [{"user": _num(u), "teamlead": lead} for u, lead in members]})
            team = _Team(str(pick(created.json(), "id") or ""), members)
            self._by_project[project] = team
        else:
            kept = [(u, lead) for u, lead in team.members if u != user or lead]
            if not dropping and all(u != user for u, _ in kept):
                kept.append((user, False))
            if kept != team.members:
                self._client.send("PATCH", f"{self._teams.path}/{_seg(team.ident)}", json={
                    "members": [{"user": _num(u), "teamlead": lead} for u, lead in kept]})
                team.members = kept
        if project and team.ident and project not in team.projects:
            self._client.send("POST", self._teams.link.format(id=_seg(team.ident),
                                                              project=_seg(project)))
            team.projects.add(project)
        return user
