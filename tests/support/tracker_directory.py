"""The trackers' master data as their APIs keep it, for the publish tests (plugged into
``support.trackers.Imitation`` as ``directory``): clients, projects, tasks and who may book
on which project, created, listed, updated and archived by the paths each tracker documents.

Uniqueness is kept the way the real API keeps it where it is known (Harvest, Toggl and
Clockify refuse a second client, project or task of the same name in the same scope with
422/400), and counted where the API accepts a second one (Kimai keeps duplicates): every
attempted duplicate is counted in ``duplicates``, so a test can say ``duplicated 0``.
``fail_create`` makes the n-th create be stored and then answered 500 (the answer lost: the
publish cannot know it happened), the case a retry must not create twice.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, dict[str, str], Any]
WORKSPACE = "777"  # Toggl's default workspace id
KIMAI_API_USER = "1"  # the user a Kimai connection's token belongs to (its teams' lead)

# (path regex: a group is the project it is under; collection; whether a second item of the
# same name in the same scope is refused, else stored and counted; the fields naming it)
_HARVEST = [
    (r"/v2/clients", "clients", True, ("name",)),
    (r"/v2/projects", "projects", True, ("name",)),
    (r"/v2/tasks", "tasks", True, ("name",)),
    (r"/v2/projects/(\d+)/task_assignments", "task_assignments", True, ("task_id",)),
    (r"/v2/projects/(\d+)/user_assignments", "user_assignments", True, ("user_id",)),
]
_WS = rf"/api/v9/workspaces/{WORKSPACE}"
_TOGGL = [
    (rf"{_WS}/clients", "clients", True, ("name",)),
    (rf"{_WS}/projects", "projects", True, ("name",)),
    (rf"{_WS}/projects/(\d+)/tasks", "tasks", True, ("name",)),
    (rf"{_WS}/tasks", "tasks", True, ("name",)),  # every project's, for the directory
    (rf"{_WS}/project_users", "project_users", True, ("project_id", "user_id")),
    (rf"{_WS}/users", "users", True, ("email",)),
]
_CLOCKIFY = [
    (r"/v1/workspaces/ws1/clients", "clients", True, ("name",)),
    (r"/v1/workspaces/ws1/projects", "projects", True, ("name",)),
    (r"/v1/workspaces/ws1/projects/(\w+)/tasks", "tasks", True, ("name",)),
    (r"/v1/workspaces/ws1/users", "users", True, ("email",)),
]
_KIMAI = [
    (r"/api/customers", "customers", False, ("name",)),
    (r"/api/projects", "projects", False, ("name", "customer")),
    (r"/api/activities", "activities", False, ("name", "project")),
    (r"/api/users", "users", False, ("username",)),
]
ROUTES = {"harvest": _HARVEST, "toggl": _TOGGL, "clockify": _CLOCKIFY, "kimai": _KIMAI}
# Harvest answers an assignment's ids as objects
_NESTED = {"client_id": "client", "task_id": "task", "user_id": "user"}


@dataclass
class Directory:
    kind: str
    items: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    scopes: dict[str, dict[str, str]] = field(default_factory=dict)  # collection -> id -> scope
    next_id: int = 1000
    created: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    creates: int = 0
    fail_create: int = 0  # the n-th create is stored, then answered 500 (0: never)
    page_size: int = 5000  # the most a Clockify list page holds, whatever is asked
    writes: list[tuple[str, str, Any]] = field(default_factory=list)

    def seed(self, collection: str, item: dict[str, Any], scope: str = "") -> str:
        ident = str(item.get("id") or self._new_id())
        self.items.setdefault(collection, {})[ident] = {**item, "id": _typed(self.kind, ident)}
        self.scopes.setdefault(collection, {})[ident] = scope
        return ident

    def _new_id(self) -> str:
        self.next_id += 1
        return f"{self.next_id:024x}" if self.kind == "clockify" else str(self.next_id)

    def named(self, collection: str) -> list[dict[str, Any]]:
        return list(self.items.get(collection, {}).values())

    # --- the API ------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any
               ) -> Answer | None:
        if self.kind == "toggl" and path == "/api/v9/me":
            return 200, {}, {"id": 1, "default_workspace_id": int(WORKSPACE)}
        if self.kind == "kimai" and (path == "/api/users/me" or path.startswith("/api/teams")):
            return self._team(method, path, body)
        if self.kind == "clockify":
            found = re.fullmatch(r"/v1/workspaces/ws1/projects/(\w+)/memberships", path)
            if found and method == "PATCH":
                return self._memberships(found.group(1), body)
            found = re.fullmatch(r"/v1/workspaces/ws1/projects/(\w+)", path)
            if found and method == "GET":
                project = self.items.get("projects", {}).get(found.group(1))
                return (200, {}, project) if project else (404, {}, {"code": 404})
        for pattern, collection, refuse, unique in ROUTES[self.kind]:
            whole = re.fullmatch(pattern, path)
            one = re.fullmatch(pattern + r"/(\w+)", path)
            if whole and method in ("GET", "POST"):
                scope = whole.group(1) if whole.groups() else ""
                if method == "GET":
                    return self._list(collection, scope, query)
                return self._create(collection, scope, refuse, unique, body)
            if one and method in ("PATCH", "PUT", "DELETE"):
                return self._change(collection, one.groups()[-1], method, body)
        return None

    def _list(self, collection: str, scope: str, query: dict[str, list[str]]) -> Answer:
        rows = [self._shown(i) for k, i in self.items.get(collection, {}).items()
                if not scope or self.scopes[collection].get(k) == scope]
        if self.kind == "kimai" and query.get("visible", ["1"])[0] != "3":
            rows = [r for r in rows if r.get("visible", True)]
        if self.kind == "harvest":
            return 200, {}, {collection: rows, "links": {"next": None}}
        if self.kind == "clockify":
            page = int(query.get("page", ["1"])[0])
            size = min(self.page_size, int(query.get("page-size", ["50"])[0]))
            return 200, {}, rows[(page - 1) * size:page * size]
        return 200, {}, rows

    def _shown(self, item: dict[str, Any]) -> dict[str, Any]:
        if self.kind != "harvest":
            return item
        return {(_NESTED.get(k, k)): ({"id": v} if k in _NESTED else v)
                for k, v in item.items()}

    def _create(self, collection: str, scope: str, refuse: bool, unique: tuple[str, ...],
                body: Any) -> Answer:
        if not isinstance(body, dict) or not all(body.get(u) not in (None, "")
                                                  for u in unique):
            return 422, {}, {"message": f"{', '.join(unique)} required"}
        self.writes.append(("POST", collection, body))
        same = [k for k, i in self.items.get(collection, {}).items()
                if self.scopes[collection].get(k) == scope
                and all(i.get(u) == body.get(u) for u in unique)]
        if same:
            self.duplicates += 1
            if refuse:
                return (422 if self.kind == "harvest" else 400), {}, {
                    "message": "Name has already been taken"}
        ident = self.seed(collection, {**body, "id": None}, scope)
        item = self.items[collection][ident]
        item.setdefault("is_active", True) if self.kind == "harvest" else None
        item.setdefault("active", True) if self.kind == "toggl" else None
        if self.kind == "clockify":
            item.setdefault("archived", False)
            item.setdefault("memberships", [])
            item.setdefault("status", "ACTIVE")
        self.created[collection] += 1
        self.creates += 1
        if self.creates == self.fail_create:
            return 500, {}, {"message": "the answer was lost"}
        return 201, {}, self._shown(item)

    def _change(self, collection: str, ident: str, method: str, body: Any) -> Answer:
        item = self.items.get(collection, {}).get(ident)
        if item is None:
            return 404, {}, {"message": "not found"}
        self.writes.append((method, collection, body))
        if method == "DELETE":
            del self.items[collection][ident]
            return 200, {}, {}
        if not isinstance(body, dict):
            return 400, {}, {"message": "a JSON object is required"}
        item.update({k: v for k, v in body.items() if k != "id"})
        return 200, {}, self._shown(item)

    def _team(self, method: str, path: str, body: Any) -> Answer | None:
        """Kimai's teams: a user may book on the projects a team of theirs was granted;
        names are unique, a team needs a team lead, ``members`` on PATCH replaces them all."""
        if path == "/api/users/me":
            return 200, {}, {"id": int(KIMAI_API_USER), "username": "api"}
        teams = self.items.setdefault("teams", {})
        if path == "/api/teams" and method == "GET":
            return 200, {}, [{"id": t["id"], "name": t["name"]} for t in teams.values()]
        if path == "/api/teams" and method == "POST":
            if not isinstance(body, dict) or not body.get("name"):
                return 400, {}, {"message": "name required"}
            self.writes.append(("POST", "teams", body))
            if any(t["name"] == body["name"] for t in teams.values()):
                self.duplicates += 1
                return 400, {}, {"message": "The team name is already used"}
            if not any(m.get("teamlead") for m in body.get("members", [])):
                return 400, {}, {"message": "At least one team leader must be assigned"}
            ident = self.seed("teams", {"name": body["name"], "projects": [],
                                        "members": _members(body)})
            self.created["teams"] += 1
            self.creates += 1
            return 200, {}, teams[ident]
        found = re.fullmatch(r"/api/teams/(\d+)(?:/projects/(\d+))?", path)
        team = teams.get(found.group(1)) if found else None
        if team is None or found is None:
            return None if found is None else (404, {}, {"message": "not found"})
        if found.group(2) and method == "POST":
            self.writes.append(("POST", "team_projects", found.group(2)))
            if int(found.group(2)) in [p["id"] for p in team["projects"]]:
                return 400, {}, {"message": "Team has already access to project"}
            team["projects"].append({"id": int(found.group(2))})
            return 200, {}, team
        if method == "GET" and not found.group(2):
            return 200, {}, team
        if method == "PATCH" and not found.group(2) and isinstance(body, dict):
            self.writes.append(("PATCH", "teams", body))
            if not any(m.get("teamlead") for m in body.get("members", [])):
                return 400, {}, {"message": "At least one team leader must be assigned"}
            team["members"] = _members(body)
            return 200, {}, team
        return None

    def team_members(self, project: str) -> list[str]:
        """The users (not team leads) of the teams granted ``project`` (Kimai)."""
        return sorted(str(m["user"]["id"]) for t in self.named("teams")
                      if int(project) in [p["id"] for p in t["projects"]]
                      for m in t["members"] if not m["teamlead"])

    def _memberships(self, project_id: str, body: Any) -> Answer:
        project = self.items.get("projects", {}).get(project_id)
        if project is None:
            return 404, {}, {"code": 404}
        self.writes.append(("PATCH", "memberships", body))
        project["memberships"] = [{"userId": m["userId"], "membershipType": "PROJECT"}
                                  for m in body.get("memberships", [])]
        return 200, {}, project


def _members(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"user": {"id": int(m["user"]), "username": f"u{m['user']}"},
             "teamlead": bool(m.get("teamlead"))} for m in body.get("members", [])]


def _typed(kind: str, ident: str) -> Any:
    return ident if kind == "clockify" else int(ident)
