"""``POST /v1/webhooks/{connection}`` on SQLite and PostgreSQL: Toggl deliveries signed with
the connection's secret (HMAC-SHA256 computed here over the exact bytes sent) and Clockify's
token; a bad or missing signature is a 401 problem that keeps nothing; a replay is a
duplicate; a delivery whose intake crashed after it was kept is recovered; the samples'
bodies (``/work/shared/samples`` or ``HOURBRIDGE_SAMPLES``) go through as the trackers send
them."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.connectors import TRACKERS
from hourbridge.connectors.gateway import Trackers
from hourbridge.domain import commands as c
from hourbridge.store import tables as t
from hourbridge.store.entries import SqlEntries
from support.api import api_client
from support.firm import small_firm_bundle
from support.trackers import aliases

SAMPLES = Path(os.environ.get("HOURBRIDGE_SAMPLES", "/work/shared/samples"))
KEY = Fernet.generate_key().decode()
SECRET = "PGuRrhCFajIyEvFlreKL"
CLOCKIFY_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJjbG9ja2lmeSJ9.c2ln"
NOW = datetime(2026, 7, 10, 10, 5, tzinfo=UTC)
URL = "/v1/webhooks/acme-toggl"


def toggl_event(event_id: int, entry_id: int, minutes: int, at: str = "2026-07-10T10:00:00Z"
                ) -> bytes:
    """A Toggl time_entry event (the envelope of samples/toggl) about the small firm's work."""
    return json.dumps({
        "event_id": event_id, "created_at": at, "creator_id": 17,
        "metadata": {"action": "created", "model": "time_entry", "workspace_id": "4"},
        "payload": {"id": entry_id, "workspace_id": 4, "project_id": 99, "task_id": 5,
                    "billable": True, "start": "2026-07-01T08:00:00Z",
                    "stop": None, "duration": minutes * 60, "description": "Übergabe",
                    "tags": [], "at": at, "server_deleted_at": None, "user_id": 17},
        "subscription_id": 9, "timestamp": at, "url_callback": "https://hb.example/x",
    }, ensure_ascii=False).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"content-type": "application/json", "X-Webhook-Signature-256": f"sha256={digest}"}


def count(hb: Hourbridge, table: Any) -> int:
    with hb.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def app(database_url: str) -> Iterator[tuple[TestClient, Hourbridge]]:
    hb = bootstrap(Settings(database_url=database_url), clock=lambda: NOW,
                   trackers=Trackers(TRACKERS, KEY, sleep=lambda s: None))
    with api_client(hb, raise_server_exceptions=False) as client:
        bundle = {**small_firm_bundle(),
                  "aliases": aliases("acme-toggl") + aliases("acme-clockify")}
        assert client.post("/v1/master-data", json=bundle).status_code == 200
        for name, tracker, secret in (("acme-toggl", "toggl", SECRET),
                                      ("acme-clockify", "clockify", CLOCKIFY_TOKEN)):
            hb.handle(c.AddConnection(name, tracker, "https://tracker.example",
                                      c.Secret((("token", "api-token"),))))
            hb.handle(c.SetWebhookSecret(name, c.Secret((("webhook_secret", secret),))))
        yield client, hb
    hb.close()


def test_a_signed_delivery_is_taken_once_and_a_replay_is_a_duplicate(
        app: tuple[TestClient, Hourbridge]) -> None:
    client, hb = app
    body = toggl_event(501, 3001, 90)
    r = client.post(URL, content=body, headers=signed(body))
    assert r.status_code == 201, r.text
    assert (r.json()["delivery_id"], r.json()["rows"], r.json()["accepted"]) == ("501", 1, 1)
    [entry] = client.get("/v1/time-entries").json()["items"]
    assert (entry["external_id"], entry["employee"], entry["project"], entry["task"]) == (
        "3001", "E1", "P1", "DEV")
    with hb.engine.connect() as conn:
        kept = conn.execute(select(t.inbox.c.source, t.inbox.c.media_type)).one()
    assert tuple(kept) == ("acme-toggl", "application/vnd.hourbridge.toggl+json")

    again = client.post(URL, content=body, headers=signed(body))
    assert again.status_code == 200 and again.json()["duplicate_delivery"] is True
    # the same event id re-sent with other bytes (Toggl's own retry may re-serialise) is
    # still the same delivery: nothing is read from it
    reserialised = json.dumps(json.loads(body), indent=1).encode()
    third = client.post(URL, content=reserialised, headers=signed(reserialised))
    assert third.status_code == 200 and third.json()["duplicate_delivery"] is True
    assert len(client.get("/v1/time-entries").json()["items"]) == 1
    assert count(hb, t.inbox) == 1

    # a new event about the same entry is a revision, not a second entry
    changed = toggl_event(502, 3001, 120, at="2026-07-10T10:03:00Z")
    r = client.post(URL, content=changed, headers=signed(changed))
    assert (r.status_code, r.json()["revised"], r.json()["accepted"]) == (201, 1, 0)
    [entry] = client.get("/v1/time-entries").json()["items"]
    assert entry["external_id"] == "3001"


@pytest.mark.parametrize("headers", [
    {"content-type": "application/json"},
    {"content-type": "application/json", "X-Webhook-Signature-256": "sha256=" + "0" * 64},
    "other secret", "tampered",
])
def test_a_bad_or_missing_signature_is_401_and_keeps_nothing(
        app: tuple[TestClient, Hourbridge], headers: Any) -> None:
    client, hb = app
    body = toggl_event(601, 3002, 60)
    if headers == "other secret":
        headers = signed(body, "not-the-secret")
    elif headers == "tampered":
        headers, body = signed(body), body.replace(b'"duration": 3600', b'"duration": 36000')
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "webhook_signature_invalid"
    assert count(hb, t.inbox) == 0 and count(hb, t.webhook_receipts) == 0
    assert count(hb, t.exceptions) == 0


def test_a_ping_is_answered_and_not_stored(app: tuple[TestClient, Hourbridge]) -> None:
    client, hb = app
    ping = json.dumps({"event_id": 0, "payload": "ping", "subscription_id": 9,
                       "timestamp": "2026-07-10T10:04:00Z",
                       "validation_code": "89627dd73f2044f2"}).encode()
    r = client.post(URL, content=ping, headers=signed(ping))
    assert (r.status_code, r.json()) == (200, {"validation_code": "89627dd73f2044f2"})
    assert count(hb, t.inbox) == 0 and count(hb, t.webhook_receipts) == 0


def test_a_stale_delivery_and_an_unknown_connection_are_refused(
        app: tuple[TestClient, Hourbridge]) -> None:
    client, hb = app
    old = toggl_event(701, 3003, 30, at="2026-07-01T10:00:00Z")
    r = client.post(URL, content=old, headers=signed(old))
    assert r.status_code == 401 and "replay window" in r.json()["detail"]
    body = toggl_event(702, 3004, 30)
    assert client.post("/v1/webhooks/nobody", content=body,
                       headers=signed(body)).status_code == 404
    assert count(hb, t.inbox) == 0


def test_a_crash_after_the_body_was_kept_is_recovered_by_the_retry(
        app: tuple[TestClient, Hourbridge], monkeypatch: pytest.MonkeyPatch) -> None:
    client, hb = app
    real_insert = SqlEntries.move_staged

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    body = toggl_event(801, 3005, 45)
    monkeypatch.setattr(SqlEntries, "move_staged", crash)
    assert client.post(URL, content=body, headers=signed(body)).status_code == 500
    assert count(hb, t.inbox) == 1 and count(hb, t.webhook_receipts) == 0
    monkeypatch.setattr(SqlEntries, "move_staged", real_insert)
    # the tracker retries the delivery it got no 2xx for: the kept payload is finished
    r = client.post(URL, content=body, headers=signed(body))
    assert r.status_code == 201, r.text
    assert [e["external_id"] for e in client.get("/v1/time-entries").json()["items"]] == ["3005"]
    assert count(hb, t.inbox) == 1 and count(hb, t.webhook_receipts) == 1


def test_clockify_token_deliveries_and_replays(app: tuple[TestClient, Hourbridge]) -> None:
    client, _ = app
    body = json.dumps({"id": "65f0a1", "userId": "17", "projectId": "99", "taskId": "5",
                       "description": "Review", "billable": True,
                       "timeInterval": {"start": "2026-07-02T07:30:00Z",
                                        "end": "2026-07-02T09:00:00Z",
                                        "duration": "PT1H30M"}}).encode()
    headers = {"content-type": "application/json", "Clockify-Signature": CLOCKIFY_TOKEN,
               "Clockify-Webhook-Event-Type": "NEW_TIME_ENTRY"}
    r = client.post("/v1/webhooks/acme-clockify", content=body, headers=headers)
    assert (r.status_code, r.json()["accepted"]) == (201, 1), r.text
    again = client.post("/v1/webhooks/acme-clockify", content=body, headers=headers)
    assert again.status_code == 200 and again.json()["duplicate_delivery"] is True
    wrong = client.post("/v1/webhooks/acme-clockify", content=body,
                        headers={**headers, "Clockify-Signature": CLOCKIFY_TOKEN + "x"})
    assert wrong.status_code == 401
    assert [e["external_id"] for e in client.get("/v1/time-entries").json()["items"]] == ["65f0a1"]


needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no samples at {SAMPLES}")


@needs_samples
@pytest.mark.parametrize(("connection", "path", "headers"), [
    ("acme-toggl", "toggl/webhook.time_entry.created.event.json", None),
    ("acme-clockify", "clockify/webhook.new_time_entry.body.json",
     {"Clockify-Signature": CLOCKIFY_TOKEN}),
])
def test_the_sample_bodies_are_taken_none_dropped(
        app: tuple[TestClient, Hourbridge], connection: str, path: str,
        headers: dict[str, str] | None) -> None:
    client, hb = app
    body = (SAMPLES / path).read_bytes()
    if connection == "acme-toggl":
        # the sample was sent in 2024: verified against a clock of its own day
        hb.clock = lambda: datetime(2024, 3, 12, 16, 1, tzinfo=UTC)
    r = client.post(f"/v1/webhooks/{connection}", content=body,
                    headers=headers or signed(body))
    assert r.status_code == 201, r.text
    report = r.json()
    # the sample's ids have no alias here: one row, queued as an exception with its reason
    assert report["rows"] == 1 and report["accepted"] + report["rejected"] == 1
    assert report["rejected"] == 0 or report["reasons"]
