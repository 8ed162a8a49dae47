"""The app factory: ``create_app(hb)`` wires routers, problem+json errors and OpenAPI.

No globals and no engine at import time: everything hangs off the ``Hourbridge`` passed in,
kept on ``app.state`` (see ``deps.get_hourbridge``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from hourbridge import __version__
from hourbridge.bootstrap import Hourbridge
from hourbridge.config import load_settings
from hourbridge.dbsetup import open_database
from hourbridge.errors import SetupRefused
from hourbridge.observability.logging import configure as configure_logging
from hourbridge.observability.logging import redact_database_errors
from hourbridge.observability.metrics import metrics

from . import dashboard, dberrors, docs, openapi_security, problems, session, telemetry
from .auth import AuthMiddleware
from .bodygate import BodyGateMiddleware
from .deprecation import DeprecationMiddleware
from .idempotency import IdempotencyMiddleware
from .inprocess import InProcessWorker
from .schemas.expenses import ExpensesIn
from .schemas.time_entries import TimeEntriesIn
from .v1 import health_router
from .v1 import router as v1_router

DESCRIPTION = """
Hourbridge carries a firm's work from the billable hour to the booked invoice: master data,
time intake (kept, validated, or queued as exceptions), approval, billing runs, invoices and a
balanced journal delivered through an outbox.

Every operation but `/healthz` and `/readyz` needs a credential: an API key
(`Authorization: Bearer hbk_…`, from `hourbridge keys create`) or, where an OAuth2 issuer is
configured, a client-credentials bearer JWT. Each operation names the scope it needs
(`security`); 401 means no valid credential, 403 a missing scope, 429 too many requests
(`Retry-After`).

Money, rates and hours are decimal **strings**, never floats. Every error is an RFC 9457
problem (`application/problem+json`) with `type`, `title`, `status`, `detail` and `code`;
validation errors list every reason in `errors`, each with a JSON `pointer` into the body or
the `location` of the parameter.
"""

TAGS: list[dict[str, Any]] = [
    {"name": "health", "description": "Liveness and readiness probes."},
    {"name": "master data", "description": "Entities, customers, employees, projects, "
                                           "contracts and rate cards."},
    {"name": "time entries", "description": "Time intake through the inbox, and the stored "
                                            "entries."},
    {"name": "expenses", "description": "Expense intake through the inbox, and the stored "
                                        "expenses."},
    {"name": "approvals", "description": "Approving time (books unbilled revenue) and "
                                         "expenses."},
    {"name": "billing", "description": "Billing runs: approved time to draft invoices."},
    {"name": "holds", "description": "Billing holds: held work does not bill until released."},
    {"name": "invoices", "description": "Draft and issued invoices."},
    {"name": "exceptions", "description": "Rows that could not be taken: reason, owner, "
                                          "retry, dismiss."},
    {"name": "ledger", "description": "The built-in ledger."},
    {"name": "delivery", "description": "The outbox worker and its dead letters."},
    {"name": "trace", "description": "Lineage: a record's path from payload to delivery, and "
                                     "why unbilled work did not bill."},
    {"name": "audit", "description": "The hash-chained log of financial changes and admin "
                                     "actions, and its verification."},
    {"name": "events", "description": "JSON Schemas of the published events, per type and "
                                      "version."},
    {"name": "kpis", "description": "Financial KPIs for a period (docs/KPIS.md)."},
]

# Models a route documents by hand (``openapi_extra``) rather than through a parameter.
_EXTRA_SCHEMAS = (TimeEntriesIn, ExpensesIn)


def create_app(hb: Hourbridge, *, in_process_worker: bool = False) -> FastAPI:
    """The REST API over ``hb``; the app owns ``hb`` and closes it on shutdown. With
    ``in_process_worker`` (``hourbridge serve``) a thread drains the outbox and checks the
    alert rules while the app runs (``inprocess.InProcessWorker``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ticker = InProcessWorker(hb) if in_process_worker else None
        if ticker is not None:
            ticker.start()
        app.state.in_process_worker = ticker
        try:
            yield
        finally:
            if ticker is not None:
                ticker.stop()
            hb.close()

    redact_database_errors()  # whatever logs a database error, its row values stay out
    app = FastAPI(title="Hourbridge API", version=__version__, description=DESCRIPTION,
                  openapi_tags=TAGS, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # docs.install serves them offline
                  # FastAPI's native OpenTelemetry: request spans on the process's tracer
                  # provider (observability.tracing); not its logs, which would carry
                  # exception messages that may hold row values (observability.logging)
                  telemetry={"logs": False})
    app.state.hourbridge = hb
    problems.install(app)
    dberrors.install(app)
    # Added last = outermost: the gate bounds and checks the body before the key is reserved.
    app.add_middleware(DeprecationMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyGateMiddleware)
    # outermost: no credential, no reading of the body (api/auth.py)
    app.add_middleware(AuthMiddleware, api=app, hb=hb)
    telemetry.install(app, metrics(hb.queries, hb.clock))
    docs.install(app)
    app.include_router(health_router)
    app.include_router(session.router)
    app.include_router(v1_router)
    app.include_router(dashboard.router)
    _customise_openapi(app)
    return app


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` and ``hourbridge serve``: settings from the environment."""
    try:
        settings = load_settings()  # honour HOURBRIDGE_LOG_LEVEL under a bare uvicorn too
        configure_logging(settings.log_level, json=settings.log_format == "json")
        hb = open_database(announce=_announce)
    except SetupRefused as exc:  # one line, no traceback: the server does not start
        sys.stderr.write(f"error ({exc.code}): {exc}\n")
        raise SystemExit(2) from None
    return create_app(hb, in_process_worker=True)


def _announce(line: str) -> None:
    sys.stderr.write(line + "\n")


def _customise_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in _EXTRA_SCHEMAS:
                doc = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(doc.pop("$defs", {}))
                components[model.__name__] = doc
            openapi_security.document(app, schema, app.state.hourbridge.settings)
            app.openapi_schema = problems.fix_openapi_media_types(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
