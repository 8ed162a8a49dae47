"""Prometheus metrics: every name in this module, one registry per app.

Pipeline and business figures are read from the database at scrape time by a custom
collector (prometheus-client's documented pattern for values that live elsewhere,
https://prometheus.github.io/client_python/collector/custom/), one aggregate statement per
family, so any number of API and worker processes report the same numbers and nothing is
kept in memory between scrapes. Only request latency is measured in process (a histogram per
route template, never per raw path: ids in paths would make unbounded label sets).

Money in a gauge is a float: Prometheus samples are float64. The exact figures stay in the
read models (``unbilled_wip``); metrics are for trends and alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

PREFIX = "hourbridge"
OUTBOX_BACKLOG = f"{PREFIX}_outbox_backlog"
OUTBOX_MESSAGES = f"{PREFIX}_outbox_messages"
OUTBOX_LAG = f"{PREFIX}_outbox_lag_seconds"
DELIVERY_ATTEMPTS = f"{PREFIX}_delivery_attempts"  # exposed as ..._total (a counter)
DEAD_LETTERS = f"{PREFIX}_dead_letters"
INBOX_PAYLOADS = f"{PREFIX}_inbox_payloads"
UNBILLED_HOURS = f"{PREFIX}_unbilled_approved_hours"
WIP_VALUE = f"{PREFIX}_unbilled_wip_value"
REQUEST_DURATION = f"{PREFIX}_http_request_duration_seconds"
SYNC_LAG = f"{PREFIX}_sync_lag_seconds"

# seconds; API calls run from milliseconds (reads) to tens of seconds (a large billing run)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Figures(Protocol):
    """What the collector reads (``store.queries.telemetry``)."""

    def outbox_figures(self) -> list[dict[str, Any]]: ...
    def outbox_oldest_pending(self) -> datetime | None: ...
    def inbox_figures(self) -> list[dict[str, Any]]: ...
    def unbilled_figures(self) -> list[dict[str, Any]]: ...
    def sync_figures(self) -> list[dict[str, Any]]: ...


class DatabaseCollector(Collector):
    """Reads the figures on each scrape and yields the families."""

    def __init__(self, figures: Figures, clock: Callable[[], datetime]) -> None:
        self.figures = figures
        self.clock = clock

    def collect(self) -> Iterable[Metric]:
        outbox = self.figures.outbox_figures()
        messages = GaugeMetricFamily(OUTBOX_MESSAGES, "Outbox messages by status and event "
                                     "type.", labels=["status", "type"])
        backlog = GaugeMetricFamily(OUTBOX_BACKLOG, "Outbox messages not yet delivered "
                                    "(pending), by event type.", labels=["type"])
        dead = GaugeMetricFamily(DEAD_LETTERS, "Dead letters (outbox messages given up on), "
                                 "by event type.", labels=["type"])
        attempts = CounterMetricFamily(DELIVERY_ATTEMPTS, "Delivery attempts made, by event "
                                       "type and the message's status.",
                                       labels=["status", "type"])
        pending = {r["type"]: 0 for r in outbox}
        buried = dict(pending)
        for r in outbox:
            messages.add_metric([r["status"], r["type"]], r["messages"])
            attempts.add_metric([r["status"], r["type"]], r["attempts"])
            if r["status"] == "pending":
                pending[r["type"]] += r["messages"]
            elif r["status"] == "dead":
                buried[r["type"]] += r["messages"]
        for type_, n in sorted(pending.items()):
            backlog.add_metric([type_], n)
            dead.add_metric([type_], buried[type_])
        yield from (messages, backlog, dead, attempts)

        oldest = self.figures.outbox_oldest_pending()
        lag = 0.0 if oldest is None else max(0.0, (self.clock() - oldest).total_seconds())
        yield GaugeMetricFamily(OUTBOX_LAG, "Seconds the oldest undelivered outbox message "
                                "has been due (0 when none is).", value=lag)

        inbox = GaugeMetricFamily(INBOX_PAYLOADS, "Inbox payloads by status and kind.",
                                  labels=["status", "kind"])
        for r in self.figures.inbox_figures():
            inbox.add_metric([r["status"], r["kind"]], r["payloads"])
        yield inbox

        hours = GaugeMetricFamily(UNBILLED_HOURS, "Approved billable hours not yet invoiced, "
                                  "per entity and WIP currency.", labels=["entity", "currency"])
        value = GaugeMetricFamily(WIP_VALUE, "Open WIP value of approved unbilled work, per "
                                  "entity and currency.", labels=["entity", "currency"])
        for r in self.figures.unbilled_figures():
            hours.add_metric([r["entity"], r["currency"]], r["seconds"] / 3600)
            value.add_metric([r["entity"], r["currency"]], float(Decimal(r["value"])))
        yield from (hours, value)

        lag = GaugeMetricFamily(SYNC_LAG, "Seconds since each tracker connection last synced "
                                "(since it was added, when it never has).",
                                labels=["connection", "tracker"])
        now = self.clock()
        for r in self.figures.sync_figures():
            since = r["synced_at"] or r["created_at"]
            lag.add_metric([r["connection"], r["tracker"]],
                           max(0.0, (now - since).total_seconds()))
        yield lag

    def describe(self) -> Iterable[Metric]:
        return ()  # families are known only at collect time; no eager collect on register


@dataclass(frozen=True)
class Metrics:
    """One app's registry and its in-process instruments."""

    registry: CollectorRegistry
    request_duration: Histogram


def metrics(figures: Figures, clock: Callable[[], datetime]) -> Metrics:
    """A fresh registry (never the global one: two apps in one process, as in tests, each
    report their own) with the database collector and the request histogram."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(figures, clock))
    histogram = Histogram(REQUEST_DURATION, "API request duration by method, route template "
                          "and status code.", ["method", "route", "status"],
                          buckets=REQUEST_BUCKETS, registry=registry)
    return Metrics(registry, histogram)
