"""OpenTelemetry across API → outbox → worker, on the in-memory span exporter: the request's
SERVER span, the PRODUCER span that stored its ``traceparent`` with the outbox message, and
the worker's CONSUMER span that continues it, with the messaging semantic-convention
attributes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.observability.tracing import span_exporter
from support.api import api_client
from support.firm import small_firm_bundle

EXPORTER = InMemorySpanExporter()
EVENT = "hourbridge.journal.entry.ready.v1"


@pytest.fixture(scope="module", autouse=True)
def provider() -> None:
    # the API allows one provider per process: set it once, for every test that records
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        p = TracerProvider()
        p.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(p)


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(bootstrap(Settings(database_url=database_url))) as client:
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        entries = [{"external_id": "a1", "employee": "E1", "project": "P1", "task": "DEV",
                    "date": "2026-08-10", "hours": "2"}]
        assert client.post("/v1/time-entries",
                           json={"source": "t", "entries": entries}).status_code == 201
        EXPORTER.clear()
        yield client


def one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


def ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[int]:
    by_id = {s.context.span_id: s for s in spans}
    out: list[int] = []
    while span.parent is not None:
        out.append(span.parent.span_id)
        if span.parent.span_id not in by_id:
            break
        span = by_id[span.parent.span_id]
    return out


def test_request_outbox_and_worker_share_one_trace(api: TestClient) -> None:
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    r = api.post("/v1/approvals", json={"actor": "pm", "project": "P1"},
                 headers={"traceparent": caller})
    assert r.status_code == 200, r.text
    spans = list(EXPORTER.get_finished_spans())
    server = one(spans, "POST /v1/approvals")
    create = one(spans, f"create {EVENT}")
    process = one(spans, f"process {EVENT}")
    assert server.kind is SpanKind.SERVER and server.attributes is not None
    assert server.attributes["http.route"] == "/v1/approvals"
    assert server.attributes["http.response.status_code"] == 200
    # the caller's trace goes on through the request, the outbox and the worker
    trace_id = int("0af7651916cd43dd8448eb211c80319c", 16)
    assert {server.context.trace_id, create.context.trace_id,
            process.context.trace_id} == {trace_id}
    assert server.parent is not None and server.parent.span_id == int("b7ad6b7169203331", 16)
    # FastAPI's own operation spans sit between the request and the use case
    assert server.context.span_id in ancestors(create, spans)
    assert process.parent is not None and process.parent.span_id == create.context.span_id
    assert create.kind is SpanKind.PRODUCER and process.kind is SpanKind.CONSUMER
    for span, operation in ((create, "create"), (process, "process")):
        attrs = dict(span.attributes or {})
        assert attrs["messaging.operation.type"] == operation
        assert attrs["messaging.destination.name"] == EVENT
        assert attrs["messaging.system"] == "hourbridge.outbox"
    assert create.attributes is not None and process.attributes is not None
    assert create.attributes["messaging.message.id"] == process.attributes[
        "messaging.message.id"]


def test_the_traceparent_is_stored_with_the_message(api: TestClient) -> None:
    assert api.post("/v1/approvals", json={"actor": "pm", "project": "P1"}).status_code == 200
    create = one(list(EXPORTER.get_finished_spans()), f"create {EVENT}")
    key = (create.attributes or {})["messaging.message.id"]
    event = api.get(f"/v1/trace/event/{key}").json()["event"]
    ctx = create.context
    assert event["traceparent"] == (
        f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}")


def test_exporters_by_setting() -> None:
    assert isinstance(span_exporter("console"), ConsoleSpanExporter)
    assert isinstance(span_exporter("otlp"), OTLPSpanExporter)
    with pytest.raises(ValueError, match="bogus"):
        span_exporter("bogus")
    with pytest.raises(Exception, match="tracing"):
        Settings(tracing="bogus")  # type: ignore[arg-type]
