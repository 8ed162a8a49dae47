"""SLA monitors and business alerts (docs/ALERTS.md) with an injected clock, on SQLite and
PostgreSQL: each rule fires only past its threshold, the worker's check logs an alert once and
queues it to webhook subscriptions once per rule, subject and day however often it runs, and
a bad rules file is refused in one line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from hourbridge.connectors.webhooks.signing import new_secret
from hourbridge.domain import commands as c
from hourbridge.domain.alerts import parse_rules
from hourbridge.errors import InvalidInput
from hourbridge.observability.alerts import AlertLog, check_alerts, load_rules
from hourbridge.services.alerts import ALERT_RAISED
from support.api import api_client
from support.firm import small_firm_bundle

START = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
RULES = parse_rules({"rules": [
    {"name": "propagation", "monitor": "approval_propagation", "threshold": 300},
    {"name": "lag", "monitor": "outbox_lag", "threshold": 600},
    {"name": "dead", "monitor": "dead_letters", "threshold": 0, "severity": "critical"},
    {"name": "wip", "monitor": "wip_age", "threshold": 60},
    {"name": "post", "monitor": "time_to_post", "threshold": 24},
    {"name": "sync", "monitor": "stalled_sync", "threshold": 120},
]}, "test")


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def firm(database_url: str) -> Iterator[tuple[Hourbridge, Clock]]:
    clock = Clock()
    hb = bootstrap(Settings(database_url=database_url,
                            secret_key=Fernet.generate_key().decode()), clock=clock)
    try:
        with api_client(hb) as client:
            assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
            rows = [{"external_id": f"w{i}", "employee": "E1", "project": "P1", "task": "DEV",
                     "work_date": d, "hours": "1"} for i, d in enumerate(
                         ("2026-07-20", "2026-08-20", "2026-09-28"))]
            assert client.post("/v1/time-entries", json={"source": "t", "time_entries": rows}
                               ).status_code == 201
        hb.handle(c.AddWebhook("ops", "http://127.0.0.1:9/alerts", (ALERT_RAISED,),
                               new_secret()))
        # approved, not yet delivered: the WIP journal waits in the outbox
        hb.handle(c.ApproveEntries(actor="pm", project="P1"))
        yield hb, clock
    finally:
        hb.close()
        hb.engine.dispose()  # the test client's shutdown closed hb before the commands above


def _firing(hb: Hourbridge, clock: Clock) -> dict[str, tuple[str, int]]:
    return {a.rule: (a.subject, a.count) for a in check_alerts(hb.queries, RULES, clock())}


def test_rules_fire_past_their_thresholds(firm: tuple[Hourbridge, Clock],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    hb, clock = firm
    # the worker logs an alert once while it fires, and sends it once per day
    log = AlertLog()
    raised = log.update(check_alerts(hb.queries, RULES, clock()))
    assert [a.rule for a in raised] == ["wip"]
    assert log.update(check_alerts(hb.queries, RULES, clock())) == []  # still firing: quiet
    for _ in range(2):  # two workers, or a check after a crash: one delivery
        hb.handle(c.RaiseAlerts(tuple(a.as_dict() for a in raised)))
    deliveries = [j for j in _outbox_keys(hb) if j.startswith("webhook:ops:alert:wip:")]
    assert deliveries == ["webhook:ops:alert:wip:entity DE:2026-10-05"]
    clock.at += timedelta(days=1)  # still firing the next day: sent again, once
    hb.handle(c.RaiseAlerts(tuple(a.as_dict() for a in raised)))
    assert len([j for j in _outbox_keys(hb) if j.startswith("webhook:ops:alert:")]) == 2
    err = capsys.readouterr().err
    assert err.count("alert raised") == 1 and "rule=wip" in err
    clock.at = START

    # now: only the work older than 60 days (2026-07-20) is old WIP
    assert _firing(hb, clock) == {"wip": ("entity DE", 1)}
    clock.at = START + timedelta(minutes=11)  # the approval journal has waited 11 minutes
    firing = _firing(hb, clock)
    assert firing["propagation"] == ("approval journal", 1)
    assert firing["lag"][0] == "outbox" and firing["lag"][1] >= 1
    assert firing["wip"] == ("entity DE", 1)
    hb.worker.drain()  # delivered: propagation and lag clear
    assert set(_firing(hb, clock)) == {"wip"}
    clock.at = START + timedelta(days=31)  # 2026-11-05: 2026-08-20 is 77 days old too
    assert _firing(hb, clock)["wip"] == ("entity DE", 2)
    with hb.uow() as uow:  # an event nothing handles dies at once
        uow.outbox.add("alert-test", "hourbridge.unknown.v1", "x", {"id": "x"}, clock())
        uow.commit()
    hb.worker.drain()
    assert _firing(hb, clock)["dead"] == ("dead letters", 1)


def _outbox_keys(hb: Hourbridge) -> list[str]:
    from sqlalchemy import text
    with hb.engine.connect() as conn:
        return [k for (k,) in conn.execute(text("SELECT key FROM outbox ORDER BY id"))]


def test_rules_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "rules.yaml"
    good.write_text("rules:\n  - {name: lag, monitor: outbox_lag, threshold: 30}\n")
    [rule] = load_rules(good)
    assert (rule.name, rule.monitor, str(rule.threshold), rule.unit) == (
        "lag", "outbox_lag", "30", "seconds")
    assert len(load_rules(None)) == 6  # the built-in rules
    for body, says in (("rules: 3", "a list 'rules'"),
                       ("rules:\n  - {name: x, monitor: nope, threshold: 1}", "monitor"),
                       ("rules:\n  - {name: x, monitor: wip_age, threshold: -1}", "threshold"),
                       ("rules:\n  - {name: x, monitor: wip_age, threshold: 1, when: 2}",
                        "unknown key 'when'")):
        bad = tmp_path / "bad.yaml"
        bad.write_text(body)
        with pytest.raises(InvalidInput, match=says):
            load_rules(bad)
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/hb.db")
    out = CliRunner().invoke(app, ["alerts", "check", "--rules", str(bad)])
    assert out.exit_code == 2 and "unknown key 'when'" in out.output
    assert [ln for ln in out.output.splitlines() if ln.startswith("error")] == [
        out.output.strip().splitlines()[-1]]  # one line
    listed = CliRunner().invoke(app, ["alerts", "list", "--rules", str(good), "--json"])
    assert listed.exit_code == 0 and '"outbox_lag"' in listed.stdout
    quiet = CliRunner().invoke(app, ["alerts", "check", "--rules", str(good)])
    assert quiet.exit_code == 0 and "no alert" in quiet.output
    # the worker checks the rules each round; a broken file turns alerts off, not deliveries
    monkeypatch.setenv("HOURBRIDGE_ALERT_RULES", str(bad))
    worked = CliRunner().invoke(app, ["worker", "--once"])
    assert worked.exit_code == 0 and "alerts off:" in worked.output


