"""Local imitations of the trackers' APIs (loopback only, a thread per request): their paging,
cursors, auth headers, deleted entries and rate limits, for the sync tests and the bench.

``Harvest``: ``GET /v2/time_entries`` with ``updated_since`` and ``page``/``per_page``, pages
linked by ``links.next`` (absolute URLs); a 429 with ``Retry-After`` every ``throttle_every``
requests. ``Toggl``: ``GET /api/v9/me/time_entries?since=`` answers one array with deleted
entries (``server_deleted_at``) when ``since`` is given. ``Kimai``: ``GET /api/timesheets``
with ``page``/``size`` and ``X-Total-Pages``, ``modified_after`` in local time (no offset).
``Clockify``: ``POST /v1/workspaces/{ws}/reports/detailed`` with ``X-Api-Key``, the date range
(on the entry's start) and ``detailedFilter.page``/``pageSize`` in the body, until a short
page; entries in ``breaks`` are typed BREAK. Every request's method, path and body are kept
in ``calls``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BASE = datetime(2026, 7, 10, 8, 0, tzinfo=UTC)
ALIASES_FOR = ("17", "18")  # tracker user ids: E1, E2


def aliases(source: str) -> list[dict[str, str]]:
    return [{"source": source, "kind": "user", "external_id": "17", "code": "E1"},
            {"source": source, "kind": "user", "external_id": "18", "code": "E2"},
            {"source": source, "kind": "project", "external_id": "99", "code": "P1"},
            {"source": source, "kind": "task", "external_id": "5", "code": "DEV"}]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Entry:
    id: int
    minutes: int
    updated: datetime
    deleted: datetime | None = None
    exported: bool = False

    @property
    def day(self) -> date:
        return date(2026, 7, 1) + timedelta(days=self.id % 150)


@dataclass
class Imitation:
    kind: str  # harvest | toggl
    entries: dict[int, Entry] = field(default_factory=dict)
    page_size: int = 100
    throttle_every: int = 0  # a 429 on every n-th request (0: never)
    page_delay: float = 0.0  # seconds before each answer: lets a test kill a sync mid-way
    failing_page: int = 0  # this page number answers 503 (0: none): a page failing midway
    token: str = "tok-secret"
    requests: int = 0
    auth_seen: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    breaks: set[int] = field(default_factory=set)  # Clockify entries typed BREAK
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    # the tracker's own lists by name (Harvest users/projects/tasks, Kimai users/projects/
    # activities), served when set (else 404, as a tracker without them)
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failing_patches: int = 0  # the next n PATCHes answer 503 (Kimai)
    # its master data (``support.tracker_directory.Directory``): asked first when set
    directory: Any = None
    toggles: int = 0  # Kimai ``PATCH .../export`` calls (a toggle: never to be used)

    def seed(self, count: int) -> None:
        for i in range(1, count + 1):
            self.entries[i] = Entry(i, 15 + 15 * (i % 8), BASE + timedelta(seconds=i))

    def touch(self, ident: int, minutes: int | None = None, *, delete: bool = False) -> None:
        """Change (or delete) an entry at the source, as of now."""
        now = datetime.now(UTC).replace(microsecond=0)
        entry = self.entries.setdefault(ident, Entry(ident, 30, now))
        entry.updated = now
        if minutes is not None:
            entry.minutes = minutes
        if delete:
            entry.deleted = now

    def forget(self, ident: int) -> None:
        """The entry is gone from the source without a trace (what a full sync notices)."""
        self.entries.pop(ident)

    # --- the tracker's JSON ------------------------------------------------------------
    def harvest_entry(self, e: Entry) -> dict[str, Any]:
        return {"id": e.id, "spent_date": e.day.isoformat(),
                "hours": round(e.minutes / 60, 6), "notes": f"work item {e.id} – Straße",
                "user": {"id": int(ALIASES_FOR[e.id % 2]), "name": "x"},
                "project": {"id": 99, "name": "p", "code": None}, "task": {"id": 5},
                "billable": True, "is_running": False, "updated_at": _iso(e.updated),
                "created_at": _iso(BASE)}

    def toggl_entry(self, e: Entry) -> dict[str, Any]:
        start = datetime.combine(e.day, datetime.min.time(), UTC) + timedelta(hours=9)
        return {"id": e.id, "workspace_id": 1, "project_id": 99, "task_id": 5,
                "user_id": int(ALIASES_FOR[e.id % 2]), "billable": True,
                "start": _iso(start), "stop": _iso(start + timedelta(minutes=e.minutes)),
                "duration": e.minutes * 60, "description": f"work item {e.id}",
                "at": _iso(e.updated),
                "server_deleted_at": _iso(e.deleted) if e.deleted else None}

    def kimai_entry(self, e: Entry) -> dict[str, Any]:
        begin = datetime.combine(e.day, datetime.min.time(), UTC) + timedelta(hours=9)
        return {"id": e.id, "user": int(ALIASES_FOR[e.id % 2]), "project": {"id": 99},
                "activity": {"id": 5}, "begin": begin.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "end": (begin + timedelta(minutes=e.minutes)).strftime(
                    "%Y-%m-%dT%H:%M:%S+0000"), "duration": e.minutes * 60,
                "description": f"work item {e.id}", "billable": True, "exported": e.exported}

    def start(self, e: Entry) -> datetime:
        return datetime.combine(e.day, datetime.min.time(), UTC) + timedelta(hours=9)

    def clockify_entry(self, e: Entry) -> dict[str, Any]:
        start = self.start(e)
        return {"_id": f"{e.id:024x}", "description": f"work item {e.id}",
                "userId": ALIASES_FOR[e.id % 2], "projectId": "99", "taskId": "5",
                "billable": True, "type": "BREAK" if e.id in self.breaks else "REGULAR",
                "timeInterval": {"start": start.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                                 "end": (start + timedelta(minutes=e.minutes)).strftime(
                                     "%Y-%m-%dT%H:%M:%S+00:00"),
                                 "duration": e.minutes * 60}}

    def clockify_report(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            entries = sorted(self.entries.values(), key=lambda e: e.id)
        try:
            since = datetime.fromisoformat(body["dateRangeStart"].replace("Z", "+00:00"))
            until = datetime.fromisoformat(body["dateRangeEnd"].replace("Z", "+00:00"))
            page = int(body["detailedFilter"]["page"])
            size = int(body["detailedFilter"]["pageSize"])
        except (KeyError, TypeError, ValueError):
            return 400, {}, {"message": "dateRangeStart, dateRangeEnd and detailedFilter "
                             "are required", "code": 400}
        live = [e for e in entries if e.deleted is None and since <= self.start(e) <= until]
        rows = [self.clockify_entry(e) for e in live[(page - 1) * size:page * size]]
        return 200, {}, {"totals": [{"_id": "", "entriesCount": len(live)}],
                         "timeentries": rows}

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str],
                                                                      Any]:
        with self.lock:
            self.requests += 1
            if self.throttle_every and self.requests % self.throttle_every == 0:
                return 429, {"Retry-After": "0"}, {"message": "slow down"}
            entries = sorted(self.entries.values(), key=lambda e: e.id)
        listed = path.rsplit("/", 1)[-1]
        if listed in self.lists and path in (f"/v2/{listed}", f"/api/{listed}"):
            if self.kind == "harvest":
                return 200, {}, {listed: self.lists[listed], "links": {"next": None}}
            return 200, {}, self.lists[listed]
        if self.kind == "harvest" and path == "/v2/time_entries":
            since = query.get("updated_since", [None])[0]
            live = [e for e in entries if e.deleted is None and (
                since is None or _iso(e.updated) >= since)]
            page = int(query.get("page", ["1"])[0])
            if page == self.failing_page:
                return 503, {}, {"message": "unavailable"}
            size = min(self.page_size, int(query.get("per_page", ["2000"])[0]))
            total = max(1, -(-len(live) // size))
            body = {"time_entries": [self.harvest_entry(e)
                                     for e in live[(page - 1) * size:page * size]],
                    "per_page": size, "total_pages": total, "total_entries": len(live),
                    "page": page, "links": {"next": (
                        f"{self.url}/v2/time_entries?page={page + 1}&per_page={size}"
                        + (f"&updated_since={since}" if since else "")) if page < total
                        else None}}
            return 200, {}, body
        if self.kind == "toggl" and path == "/api/v9/me/time_entries":
            since = query.get("since", [None])[0]
            if since is None:
                return 200, {}, [self.toggl_entry(e) for e in entries if e.deleted is None]
            cut = datetime.fromtimestamp(int(since), UTC)
            return 200, {}, [self.toggl_entry(e) for e in entries if e.updated >= cut]
        if self.kind == "kimai" and path == "/api/timesheets":
            since = query.get("modified_after", [None])[0]
            live = [e for e in entries if e.deleted is None and (
                since is None or e.updated.strftime("%Y-%m-%dT%H:%M:%S") >= since)]
            page = int(query.get("page", ["1"])[0])
            size = min(self.page_size, int(query.get("size", ["50"])[0]))
            total = max(1, -(-len(live) // size))
            return 200, {"X-Page": str(page), "X-Total-Pages": str(total),
                         "X-Total-Count": str(len(live)), "X-Per-Page": str(size)}, [
                self.kimai_entry(e) for e in live[(page - 1) * size:page * size]]
        return 404, {}, {"message": "not found"}


class _Handler(BaseHTTPRequestHandler):
    imitation: Imitation

    def _authorised(self, imitation: Imitation) -> bool:
        auth = self.headers.get("Authorization", "") or self.headers.get("X-Api-Key", "")
        imitation.auth_seen.append(auth)
        if imitation.token not in auth and not auth.startswith("Basic "):
            self._send(401, {}, {"error": "invalid_token"})
            return False
        if imitation.page_delay:
            time.sleep(imitation.page_delay)
        return True

    def _directory(self, imitation: Imitation, method: str, body: Any = None) -> bool:
        """The master-data call answered by the imitation's directory (True) or not."""
        if imitation.directory is None:
            return False
        url = urlsplit(self.path)
        with imitation.lock:
            answer = imitation.directory.handle(method, url.path, parse_qs(url.query), body)
        if answer is not None:
            with imitation.lock:
                imitation.calls.append((method, url.path, body))
            self._send(*answer)
        return answer is not None

    def do_PUT(self) -> None:
        self._write("PUT")

    def do_DELETE(self) -> None:
        self._write("DELETE")

    def _write(self, method: str) -> None:
        imitation = self.server.imitation  # type: ignore[attr-defined]
        body = self._body()
        if self._authorised(imitation) and not self._directory(imitation, method, body):
            self._send(404, {}, {"message": "not found"})

    def do_GET(self) -> None:
        imitation = self.server.imitation  # type: ignore[attr-defined]
        if not self._authorised(imitation) or self._directory(imitation, "GET"):
            return
        url = urlsplit(self.path)
        with imitation.lock:
            imitation.calls.append(("GET", url.path, None))
        status, headers, body = imitation.answer(url.path, parse_qs(url.query))
        self._send(status, headers, body)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return None

    def do_POST(self) -> None:
        imitation = self.server.imitation  # type: ignore[attr-defined]
        body = self._body()
        if not self._authorised(imitation) or self._directory(imitation, "POST", body):
            return
        url = urlsplit(self.path)
        with imitation.lock:
            imitation.calls.append(("POST", url.path, body))
            imitation.requests += 1
        if imitation.kind == "clockify" and url.path.endswith("/reports/detailed"):
            self._send(*imitation.clockify_report(body if isinstance(body, dict) else {}))
            return
        self._send(404, {}, {"message": "not found"})

    def do_PATCH(self) -> None:
        imitation = self.server.imitation  # type: ignore[attr-defined]
        body = self._body()
        if not self._authorised(imitation) or self._directory(imitation, "PATCH", body):
            return
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        with imitation.lock:
            imitation.calls.append(("PATCH", url.path, body))
            imitation.requests += 1
            if imitation.failing_patches:
                imitation.failing_patches -= 1
                answer: tuple[int, dict[str, str], Any] = (503, {}, {"message": "busy"})
            elif parts[:2] == ["api", "timesheets"] and len(parts) == 4 and \
                    parts[3] == "export" and parts[2].isdigit():
                imitation.toggles += 1  # Kimai flips the flag: a retry would undo it
                entry = imitation.entries.get(int(parts[2]))
                if entry is not None:
                    entry.exported = not entry.exported
                answer = (200, {}, {})
            elif parts[:2] == ["api", "timesheets"] and len(parts) == 3 and parts[2].isdigit():
                entry = imitation.entries.get(int(parts[2]))
                if entry is None or entry.deleted is not None:
                    answer = (404, {}, {"code": 404, "message": "Not found"})
                elif not isinstance(body, dict) or not isinstance(body.get("exported"), bool):
                    answer = (400, {}, {"code": 400, "message": "Validation Failed"})
                else:
                    entry.exported = body["exported"]
                    answer = (200, {}, imitation.kimai_entry(entry))
            else:
                answer = (404, {}, {"message": "not found"})
        self._send(*answer)

    def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def imitate(imitation: Imitation) -> Iterator[Imitation]:
    """Serve ``imitation`` on a free loopback port until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.imitation = imitation  # type: ignore[attr-defined]
    imitation.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield imitation
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
