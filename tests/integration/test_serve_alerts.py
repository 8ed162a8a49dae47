"""Alerts from ``hourbridge serve``'s in-process worker (docs/ALERTS.md), on SQLite and
PostgreSQL: the app serve builds (``app_from_environment``) starts a ticker with its lifespan
that drains the outbox and checks the alert rules through the same ``AlertWatch`` the
standalone worker uses, so an alert that fires is logged and queued to the webhook
subscriptions without any ``hourbridge worker`` running; the watch checks once per interval."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from hourbridge.api.app import app_from_environment
from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.connectors.webhooks.signing import new_secret
from hourbridge.domain import commands as c
from hourbridge.domain.alerts import Breach, Rule, parse_rules
from hourbridge.pipeline.alerts import AlertWatch
from hourbridge.services.alerts import ALERT_RAISED
from support.api import api_client
from support.firm import small_firm_bundle


def _alert_keys(url: str) -> list[str]:
    hb = bootstrap(Settings(database_url=url), upgrade=False)
    try:
        with hb.engine.connect() as conn:
            return [k for (k,) in conn.execute(text(
                "SELECT key FROM outbox WHERE key LIKE 'webhook:ops:alert:%' ORDER BY id"))]
    finally:
        hb.close()


def test_serve_checks_the_alert_rules_in_process(database_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    secret = Fernet.generate_key().decode()
    hb = bootstrap(Settings(database_url=database_url, secret_key=secret))
    try:
        with api_client(hb) as client:
            assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
            rows = [{"external_id": "old", "employee": "E1", "project": "P1", "task": "DEV",
                     "work_date": "2026-07-20", "hours": "1"}]
            assert client.post("/v1/time-entries", json={"source": "t", "time_entries": rows}
                               ).status_code == 201
        hb.handle(c.AddWebhook("ops", "http://127.0.0.1:9/alerts", (ALERT_RAISED,),
                               new_secret()))
        hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    finally:
        hb.close()
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {name: old-wip, monitor: wip_age, threshold: 60}\n")
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOURBRIDGE_SECRET_KEY", secret)
    monkeypatch.setenv("HOURBRIDGE_ALERT_RULES", str(rules))
    monkeypatch.setenv("HOURBRIDGE_ALERT_INTERVAL_SECONDS", "0.2")
    assert _alert_keys(database_url) == []

    app = app_from_environment()  # what `hourbridge serve` runs
    started = time.perf_counter()

    async def serve_a_while() -> None:
        async with app.router.lifespan_context(app):
            ticker = app.state.in_process_worker
            assert ticker is not None
            for _ in range(100):  # the first tick runs at start; 10 s at most
                if ticker.hb.alert_watch().checks >= 3:
                    break
                await asyncio.sleep(0.1)
            assert ticker.hb.alert_watch().checks >= 3  # every interval, not once

    asyncio.run(serve_a_while())
    seconds = time.perf_counter() - started
    # raised once while it fires, queued once per rule, subject and day
    day = datetime.now(UTC).date().isoformat()
    assert _alert_keys(database_url) == [f"webhook:ops:alert:old-wip:entity DE:{day}"]
    err = capsys.readouterr().err
    assert err.count("alert raised") == 1 and "rule=old-wip" in err
    print(f"serve in-process alert check: first alert queued, lifespan {seconds:.2f} s")


class Figures:
    def __init__(self) -> None:
        self.measured = 0

    def alert_breaches(self, rule: Rule, now: datetime) -> list[Breach]:
        self.measured += 1
        return [Breach("outbox", 2, Decimal(900))]


def test_the_watch_checks_once_per_interval_and_raises_once() -> None:
    [rule] = parse_rules({"rules": [{"name": "lag", "monitor": "outbox_lag",
                                     "threshold": 600}]}, "test")
    tick, sent = [0.0], []
    figures = Figures()
    watch = AlertWatch(figures, (rule,), 60.0, lambda: datetime(2026, 12, 6, tzinfo=UTC),
                       sent.append, monotonic=lambda: tick[0])
    assert [a.rule for a in watch.check() or []] == ["lag"]
    assert watch.check() is None and figures.measured == 1  # not due yet
    tick[0] = 61.0
    assert watch.check() == [] and figures.measured == 2  # still firing: not raised again
    assert [[a["rule"] for a in alerts] for alerts in sent] == [["lag"]]
    off = AlertWatch(figures, (), 60.0, lambda: datetime(2026, 12, 6, tzinfo=UTC),
                     sent.append)
    assert off.check() is None and figures.measured == 2  # no rules: nothing measured
