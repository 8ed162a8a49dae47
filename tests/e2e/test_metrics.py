"""``/metrics``: the Prometheus text exposition parses (prometheus_client.parser), the figures
equal the read models', latency is labelled by route template, and a scrape costs a fixed
number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from support.api import api_client
from support.firm import small_firm_bundle

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def setup(database_url: str) -> Iterator[tuple[TestClient, Hourbridge, Clock]]:
    clock = Clock()
    hb = bootstrap(Settings(database_url=database_url), clock=clock)
    with api_client(hb) as client:
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        entries = [{"external_id": f"m{i}", "employee": "E1" if i % 2 else "E2",
                    "project": "P1", "task": "DEV", "date": f"2026-08-{i + 1:02d}",
                    "hours": "1.5"} for i in range(6)]
        assert client.post("/v1/time-entries",
                           json={"source": "t", "entries": entries}).status_code == 201
        # through the handler, not the API: the API drains the outbox after each write, and
        # these tests need a backlog
        hb.handle(c.ApproveEntries(actor="pm", project="P1", date_to=date(2026, 8, 4)))
        yield client, hb, clock


def scrape(client: TestClient) -> dict[str, Any]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(r.text)}


def samples(family: Any, name: str | None = None) -> dict[tuple[tuple[str, str], ...], float]:
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples
            if name is None or s.name == name}


def test_figures_equal_the_read_models(setup: tuple[TestClient, Hourbridge, Clock]) -> None:
    client, hb, clock = setup
    families = scrape(client)
    wip = hb.queries.unbilled_wip()
    assert wip  # approved, unbilled work exists
    hours = samples(families["hourbridge_unbilled_approved_hours"])
    value = samples(families["hourbridge_unbilled_wip_value"])
    for row in wip:
        key = (("currency", row["currency"]), ("entity", row["entity"]))
        assert Decimal(str(hours[key])).quantize(Decimal("0.01")) == Decimal(row["hours"])
        assert Decimal(str(value[key])).quantize(Decimal("0.01")) == Decimal(row["amount"])
    pending = hb.queries.outbox_counts().get("pending", 0)
    assert pending > 0  # approval queued its journal entry
    assert sum(samples(families["hourbridge_outbox_backlog"]).values()) == pending
    assert sum(samples(families["hourbridge_dead_letters"]).values()) == 0
    inbox = samples(families["hourbridge_inbox_payloads"])
    assert inbox[(("kind", "time_entries"), ("status", "processed"))] == 1
    # the oldest pending message became due at the clock's time; ten minutes later it lags
    clock.at = START + timedelta(minutes=10)
    lag = scrape(client)["hourbridge_outbox_lag_seconds"].samples[0].value
    assert lag == 600
    hb.worker.drain()
    after = scrape(client)
    assert after["hourbridge_outbox_lag_seconds"].samples[0].value == 0
    attempts = samples(after["hourbridge_delivery_attempts"],
                       "hourbridge_delivery_attempts_total")
    assert sum(attempts.values()) == hb.queries.outbox_counts()["done"]


def test_latency_is_labelled_by_route_template(
        setup: tuple[TestClient, Hourbridge, Clock]) -> None:
    client = setup[0]
    assert client.get("/v1/trace/entry/t:m1").status_code == 200
    assert client.get("/v1/trace/entry/t:m2").status_code == 200
    assert client.get("/no/such/path").status_code == 404
    hist = scrape(client)["hourbridge_http_request_duration_seconds"]
    counts = {(s.labels["route"], s.labels["status"]): s.value for s in hist.samples
              if s.name.endswith("_count")}
    assert counts[("/v1/trace/{kind}/{ref}", "200")] == 2
    assert counts[("<unmatched>", "404")] == 1
    assert not any("m1" in route for route, _ in counts)


def test_a_scrape_costs_a_fixed_number_of_statements(
        setup: tuple[TestClient, Hourbridge, Clock]) -> None:
    client, hb, _ = setup
    seen: list[str] = []

    def count(*args: Any) -> None:
        if not args[2].startswith(("BEGIN", "ROLLBACK", "COMMIT")):
            seen.append(args[2])
    event.listen(hb.queries.engine, "before_cursor_execute", count)
    try:
        scrape(client)
        small = len(seen)
        entries = [{"external_id": f"x{i}", "employee": "E1", "project": "P1", "task": "DEV",
                    "date": f"2026-08-{i % 28 + 1:02d}", "hours": "1", "notes": f"n{i}"}
                   for i in range(50)]
        client.post("/v1/time-entries", json={"source": "u", "entries": entries})
        client.post("/v1/approvals", json={"actor": "pm", "project": "P1"})
        seen.clear()
        scrape(client)
    finally:
        event.remove(hb.queries.engine, "before_cursor_execute", count)
    # one per family source: outbox, lag, inbox, unbilled, sync
    assert len(seen) == small == 5


class _Figures:
    """Just connections: the sync lag gauge's own figures."""

    def outbox_figures(self) -> list[dict[str, Any]]:
        return []

    def outbox_oldest_pending(self) -> datetime | None:
        return None

    def inbox_figures(self) -> list[dict[str, Any]]:
        return []

    def unbilled_figures(self) -> list[dict[str, Any]]:
        return []

    def sync_figures(self) -> list[dict[str, Any]]:
        return [{"connection": "acme-harvest", "tracker": "harvest",
                 "synced_at": START - timedelta(minutes=5), "created_at": START},
                {"connection": "new-toggl", "tracker": "toggl", "synced_at": None,
                 "created_at": START - timedelta(seconds=30)}]


def test_sync_lag_per_connection() -> None:
    from hourbridge.observability.metrics import DatabaseCollector

    [lag] = [f for f in DatabaseCollector(_Figures(), lambda: START).collect()
             if f.name == "hourbridge_sync_lag_seconds"]
    assert samples(lag) == {(("connection", "acme-harvest"), ("tracker", "harvest")): 300.0,
                            (("connection", "new-toggl"), ("tracker", "toggl")): 30.0}
