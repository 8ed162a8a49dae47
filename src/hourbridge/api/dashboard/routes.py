"""Dashboard pages and actions. Pages read the same read models as the API; actions are POST
forms that run the same commands as the API (``Hourbridge.handle``) and redirect back with a
message. A refused action redirects with its reason; its command ran in one transaction, so
nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import HourbridgeError, InvalidInput, NotFound
from hourbridge.formats.bundle import to_domain
from hourbridge.formats.bundle_models import AliasIn, BundleDocument
from hourbridge.observability.alerts import check_alerts, load_rules
from hourbridge.observability.kpis import kpi_report

from ..auth import ActorDep
from ..deps import HourbridgeDep, drain_later
from ..security import requires, scoped
from . import charts

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# behind the API's auth: a session cookie from /login (or a key); pages read with
# `kpis:read`, each action needs the scope its API route needs
router = APIRouter(prefix="/dashboard", include_in_schema=False,
                   dependencies=[scoped("kpis:read")])
TRACE_KINDS = ("entry", "expense", "invoice", "credit-note", "event")
ALIAS_KINDS = {"unknown_employee": "user", "unknown_project": "project", "unknown_task": "task"}
Note = Annotated[str, Form(max_length=2000)]


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {
        "message": request.query_params.get("message"),
        "error": request.query_params.get("error"), **context})


def _refused(exc: HourbridgeError) -> str:
    reasons = [getattr(p, "message", str(p)) for p in getattr(exc, "problems", [])[:3]]
    return (f"refused ({getattr(exc, 'code', 'error')}): {exc}"
            + (f": {'; '.join(reasons)}" if reasons else ""))


def _back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"/dashboard{path}" + (f"?{query}" if query else ""),
                            status_code=303)


def _act(path: str, run: Callable[[], str]) -> RedirectResponse:
    """Run an action; its message, or the reason it was refused, goes back to ``path``."""
    try:
        return _back(path, message=run())
    except HourbridgeError as exc:
        return _back(path, error=_refused(exc))


# --- pages -------------------------------------------------------------------------------
@router.get("", response_class=HTMLResponse)
def overview(request: Request, hb: HourbridgeDep,
             period: Annotated[str | None, Query(max_length=7)] = None,
             entity: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    refused = None
    try:
        report = kpi_report(hb.queries, period or None, entity or None, hb.clock().date())
    except InvalidInput as exc:  # say why, and show the default period instead
        refused, period = _refused(exc), None
        report = kpi_report(hb.queries, None, entity or None, hb.clock().date())
    return _page(request, "overview.html", title="Overview", k=report, refused=refused,
                 period=period or "", entity=entity or "",
                 wip_bars=charts.wip_aging(report["wip"]),
                 tti_bars=charts.time_to_invoice(report["time_to_invoice"]),
                 width=charts.WIDTH)


@router.get("/exceptions", response_class=HTMLResponse)
def exceptions_page(request: Request, hb: HourbridgeDep,
                    reason: Annotated[str | None, Query(max_length=64)] = None
                    ) -> HTMLResponse:
    return _page(request, "exceptions.html", title="Exceptions",
                 by_reason=hb.queries.exceptions_by_reason("open"),
                 items=hb.queries.exceptions(status="open", reason=reason or None, limit=200),
                 reason=reason or "", alias_kinds=ALIAS_KINDS)


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters_page(request: Request, hb: HourbridgeDep) -> HTMLResponse:
    return _page(request, "dead_letters.html", title="Dead letters",
                 items=hb.queries.dead_letters(limit=200))


@router.get("/invoices", response_class=HTMLResponse)
def invoices_page(request: Request, hb: HourbridgeDep,
                  payment: Annotated[str | None, Query(max_length=6)] = None,
                  after: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None
                  ) -> HTMLResponse:
    payment = payment if payment in ("paid", "unpaid") else None
    items = hb.queries.invoices(payment=payment, after=after, limit=100)
    return _page(request, "invoices.html", title="Invoices", items=items, payment=payment or "",
                 next_after=items[-1]["id"] if len(items) == 100 else None)


@router.get("/trace", response_class=HTMLResponse)
def trace_page(request: Request, hb: HourbridgeDep,
               kind: Annotated[str, Query(max_length=16)] = "entry",
               ref: Annotated[str, Query(max_length=300)] = "") -> HTMLResponse:
    found, problem = None, None
    if ref:
        if kind not in TRACE_KINDS:
            problem = f"unknown kind {kind!r}: one of {', '.join(TRACE_KINDS)}"
        else:
            try:
                found = hb.queries.trace(kind, ref, limit=100)
            except (NotFound, InvalidInput) as exc:
                problem = str(exc)
    return _page(request, "trace.html", title="Trace", kinds=TRACE_KINDS, kind=kind, ref=ref,
                 trace=found, problem=problem)


@router.get("/sync", response_class=HTMLResponse)
def sync_page(request: Request, hb: HourbridgeDep) -> HTMLResponse:
    now = hb.clock()
    rows = []
    for conn in hb.handle(c.ListConnections()):
        at = datetime.fromisoformat(conn["synced_at"]) if conn["synced_at"] else None
        rows.append({**conn, "lag": _age(now - at) if at else "never synced"})
    return _page(request, "sync.html", title="Sync status", items=rows,
                 outbox=hb.queries.outbox_counts())


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, hb: HourbridgeDep) -> HTMLResponse:
    refused, rules, firing = None, (), []
    try:
        rules = load_rules(hb.settings.alert_rules)
        firing = check_alerts(hb.queries, rules, hb.clock())
    except InvalidInput as exc:
        refused = _refused(exc)
    return _page(request, "alerts.html", title="Alerts", rules=rules, firing=firing,
                 refused=refused)


@router.get("/static/dashboard.css")
def stylesheet() -> Response:
    return FileResponse(HERE / "static" / "dashboard.css", media_type="text/css")


# --- actions -----------------------------------------------------------------------------
@router.post("/exceptions/{exception_id}/retry", dependencies=[requires("exceptions:write")])
def retry_exception(exception_id: int, hb: HourbridgeDep, actor: ActorDep) -> RedirectResponse:
    return _act("/exceptions", lambda: _retried(hb, exception_id, actor))


@router.post("/exceptions/{exception_id}/dismiss", dependencies=[requires("exceptions:write")])
def dismiss_exception(exception_id: int, hb: HourbridgeDep, actor: ActorDep,
                      note: Note = "") -> RedirectResponse:
    def run() -> str:
        if not note.strip():
            raise InvalidInput("dismissing needs a note saying why")
        n = hb.handle(c.DismissExceptions((exception_id,), actor, note.strip()))
        if not n:
            raise NotFound("open exception", exception_id)
        return f"exception {exception_id} dismissed"
    return _act("/exceptions", run)


@router.post("/exceptions/{exception_id}/alias", dependencies=[requires("masterdata:write")])
def fix_alias(exception_id: int, hb: HourbridgeDep, actor: ActorDep,
              kind: Annotated[str, Form(max_length=8)],
              external_id: Annotated[str, Form(max_length=200)],
              code: Annotated[str, Form(max_length=64)]) -> RedirectResponse:
    def run() -> str:
        row = hb.queries.exception(exception_id)
        if row is None or row["status"] != "open":
            raise NotFound("open exception", exception_id)
        try:
            doc = BundleDocument(aliases=[AliasIn(source=row["source"], kind=kind,
                                                  external_id=external_id, code=code)])
        except ValueError as exc:  # pydantic: the first reason, in one line
            raise InvalidInput(f"alias refused: {str(exc).splitlines()[-1].strip()}") from None
        hb.handle(c.LoadMasterData(to_domain([("dashboard", doc)])))
        return f"alias {row['source']}/{kind}/{external_id} -> {code} saved; " + _retried(
            hb, exception_id, actor)
    return _act("/exceptions", run)


@router.post("/dead-letters/{letter_id}/replay", dependencies=[requires("delivery:write")])
def replay_dead_letter(letter_id: int, hb: HourbridgeDep, tasks: BackgroundTasks,
                       actor: ActorDep, note: Note = "") -> RedirectResponse:
    def run() -> str:
        done = hb.handle(c.ReplayDeadLetters((letter_id,), by=actor, note=note.strip()))
        if letter_id not in done["replayed"]:
            raise NotFound("dead letter", letter_id)
        drain_later(tasks, hb)
        return f"dead letter {letter_id} replayed: back in the outbox under its key"
    return _act("/dead-letters", run)


def _retried(hb: Hourbridge, exception_id: int, actor: str) -> str:
    report = hb.handle(c.RetryExceptions((exception_id,), actor)).as_dict()
    if report["resolved"]:
        return f"exception {exception_id} resolved: the row was taken"
    if not report["retried"]:
        raise NotFound("open exception", exception_id)
    now = report["still_open"].get(str(exception_id), "")
    return f"exception {exception_id} retried: still refused ({now})"


def _age(delta: Any) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"
