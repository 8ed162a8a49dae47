"""``GET /metrics`` (Prometheus text exposition) and the request-latency middleware. (The
request's OpenTelemetry SERVER span is FastAPI's own, see ``app.create_app``.)"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hourbridge.observability.metrics import Metrics

from .security import requires

UNMATCHED = "<unmatched>"  # one label for every path no route matched (scanners, typos)


class RequestMetricsMiddleware:
    """Times each HTTP request and labels it with the route *template* the router matched
    (``/v1/trace/{kind}/{ref}``), read from the scope after the app ran."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, sending)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            self.metrics.request_duration.labels(
                scope["method"], template, str(status["code"])).observe(
                    time.perf_counter() - started)


def install(app: FastAPI, metrics: Metrics) -> None:
    app.state.metrics = metrics

    @app.get("/metrics", include_in_schema=False, dependencies=[requires("metrics:read")])
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # outermost: the time includes the other middlewares (body gate, idempotency)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
