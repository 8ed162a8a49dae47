"""OpenTelemetry spans across API → outbox → worker, joined by the W3C ``traceparent``.

- The API's SERVER span per request is FastAPI's native one (it continues a caller's
  ``traceparent`` header and names the span after the route template).
- Putting an event in the outbox opens a PRODUCER span ``create <event type>`` and stores
  its ``traceparent`` in the CloudEvents envelope (the CloudEvents distributed-tracing
  extension), in the same transaction as the event.
- The worker opens a CONSUMER span ``process <event type>`` per message, whose parent is the
  stored ``traceparent``, so one trace shows the request, the commit and the delivery that
  happened minutes later in another process. Messages delivered as a batch (ERP documents)
  share one CONSUMER span linked to each message's context.

Attribute names follow the OpenTelemetry semantic conventions for messaging spans
(https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/: ``messaging.system``,
``messaging.operation.type`` create/process, ``messaging.operation.name``,
``messaging.destination.name``, ``messaging.message.id``). The outbox is not a
listed messaging system, so ``messaging.system`` carries our own low-cardinality name.

Spans go to the process's tracer provider: none (the API's no-op default), or the console
or OTLP/HTTP exporter chosen by ``HOURBRIDGE_TRACING`` (``install_exporter``; the OTLP
endpoint and headers come from the standard ``OTEL_EXPORTER_OTLP_*`` variables).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# The SDK (a provider, processors, exporters) is imported only when an exporter is installed:
# with the default HOURBRIDGE_TRACING=none the API's no-op tracer is all a process needs, and
# every command line starts without the SDK (issue 16).
if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

TRACER = "hourbridge"
MESSAGING_SYSTEM = "hourbridge.outbox"
_propagator = TraceContextTextMapPropagator()
_installed: list[str] = []


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, or None outside any recording span."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def _messaging(operation: str, event_type: str, key: str) -> dict[str, Any]:
    return {"messaging.system": MESSAGING_SYSTEM, "messaging.operation.type": operation,
            "messaging.operation.name": operation, "messaging.destination.name": event_type,
            "messaging.message.id": key}


@contextmanager
def producing(event_type: str, key: str) -> Iterator[Span]:
    """The span of putting one event in the outbox; read ``current_traceparent()`` inside it
    to store the message's creation context."""
    with tracer().start_as_current_span(f"create {event_type}", kind=SpanKind.PRODUCER,
                                        attributes=_messaging("create", event_type, key)) as s:
        yield s


@contextmanager
def consuming(event_type: str, key: str, traceparent: str | None) -> Iterator[Span]:
    """The span of delivering one outbox message, a child of the context it was created in
    (when stored). A failure marks the span as an error and is raised on."""
    parent = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    with tracer().start_as_current_span(
            f"process {event_type}", context=parent, kind=SpanKind.CONSUMER,
            attributes=_messaging("process", event_type, key)) as span:
        yield span


@contextmanager
def consuming_batch(event_type: str, messages: Sequence[tuple[str, str | None]]
                    ) -> Iterator[Span]:
    """The span of delivering several outbox messages at once (OpenTelemetry messaging
    conventions for a batch: one span, linked to each message's creation context)."""
    links = []
    for _, traceparent in messages:
        if traceparent:
            context = trace.get_current_span(_propagator.extract(
                {"traceparent": traceparent})).get_span_context()
            if context.is_valid:
                links.append(trace.Link(context))
    attributes = _messaging("process", event_type, "")
    del attributes["messaging.message.id"]  # one span, many messages: each is a link
    attributes["messaging.batch.message_count"] = len(messages)
    with tracer().start_as_current_span(f"process {event_type}", kind=SpanKind.CONSUMER,
                                        links=links, attributes=attributes) as span:
        yield span


def span_exporter(kind: str) -> SpanExporter:
    """The exporter a ``HOURBRIDGE_TRACING`` value names (console or otlp)."""
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        return OTLPSpanExporter()
    if kind == "console":
        return ConsoleSpanExporter()
    raise ValueError(f"tracing exporter {kind!r}: give none, console or otlp")


def install_exporter(kind: str, service_name: str = "hourbridge") -> None:
    """Set the process's tracer provider with the chosen exporter, once per process (the
    OpenTelemetry API allows one). ``none`` leaves the no-op default."""
    if kind == "none" or _installed:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(span_exporter(kind)))
    trace.set_tracer_provider(provider)
    _installed.append(kind)
