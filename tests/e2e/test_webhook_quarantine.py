"""Refused webhook deliveries are kept in quarantine for audit (issue 11 item 4): a bad or
missing signature, a replay outside the window and a signed body its tracker cannot read are
each kept with their reason code, headers without any secret and the body as sent, and
nothing of them is processed; ``hourbridge webhooks quarantine list|show`` and the API show
them."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.app import app as cli
from hourbridge.config import Settings
from hourbridge.connectors import TRACKERS
from hourbridge.connectors.gateway import Trackers
from hourbridge.domain import commands as c
from hourbridge.formats.bundle import BundleDocument, to_domain
from hourbridge.store import tables as t
from support.api import api_client
from support.firm import small_firm_bundle
from support.trackers import aliases

runner = CliRunner()
KEY = Fernet.generate_key().decode()
SECRET = "quarantine-secret"
NOW = datetime(2026, 7, 10, 10, 5, tzinfo=UTC)
URL = "/v1/webhooks/acme-toggl"


def toggl_event(event_id: int, entry_id: int, minutes: int, at: str = "2026-07-10T10:00:00Z"
                ) -> bytes:
    return json.dumps({
        "event_id": event_id, "created_at": at, "metadata": {"action": "created"},
        "payload": {"id": entry_id, "workspace_id": 4, "project_id": 99, "task_id": 5,
                    "billable": True, "start": "2026-07-01T08:00:00Z", "stop": None,
                    "duration": minutes * 60, "description": "Review", "at": at,
                    "server_deleted_at": None, "user_id": 17},
        "subscription_id": 9, "timestamp": at}).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"content-type": "application/json", "X-Webhook-Signature-256": f"sha256={digest}"}


def count(hb: Hourbridge, table: Any) -> int:
    with hb.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[TestClient, Hourbridge]]:
    url = f"sqlite:///{tmp_path}/q.db"
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("HOURBRIDGE_SECRET_KEY", KEY)
    hb = bootstrap(Settings(database_url=url), clock=lambda: NOW,
                   trackers=Trackers(TRACKERS, KEY, sleep=lambda s: None))
    hb.handle(c.AddConnection("acme-toggl", "toggl", "https://tracker.example",
                              c.Secret((("token", "api-token"),))))
    hb.handle(c.SetWebhookSecret("acme-toggl", c.Secret((("webhook_secret", SECRET),))))
    with api_client(hb, raise_server_exceptions=False) as client:
        yield client, hb
    hb.close()


def test_refused_deliveries_are_kept_with_their_reason_and_never_processed(
        served: tuple[TestClient, Hourbridge]) -> None:
    client, hb = served
    body = toggl_event(901, 4001, 60)
    forged = {**signed(body, "not-the-secret"), "Authorization": "Bearer leaked-token",
              "X-Request-Id": "r-1"}
    assert client.post(URL, content=body, headers=forged).status_code == 401
    stale = toggl_event(902, 4002, 60, at="2026-07-01T10:00:00Z")
    r = client.post(URL, content=stale, headers=signed(stale))
    assert (r.status_code, r.json()["code"]) == (401, "webhook_replayed")
    for junk in (b"{not json", b'{"hello": "world"}'):
        r = client.post(URL, content=junk, headers=signed(junk))
        assert (r.status_code, r.json()["code"]) == (422, "webhook_malformed"), r.text
    assert count(hb, t.inbox) == 0 and count(hb, t.exceptions) == 0
    assert count(hb, t.time_entries) == 0 and count(hb, t.webhook_receipts) == 0

    listed = client.get(f"{URL}/quarantine").json()
    assert [q["reason"] for q in listed] == [
        "webhook_malformed", "webhook_malformed", "webhook_replayed",
        "webhook_signature_invalid"]
    assert all(q["received_at"].startswith("2026-07-10T10:05") for q in listed)
    forged_id = listed[-1]["id"]
    shown = client.get(f"{URL}/quarantine/{forged_id}").json()
    assert shown["body"].encode() == body and shown["body_encoding"] == "utf-8"
    assert shown["headers"]["x-request-id"] == "r-1"
    assert shown["headers"]["authorization"] == "<removed>"
    assert shown["headers"]["x-webhook-signature-256"] == "<removed>"
    assert "leaked-token" not in json.dumps(shown)
    assert client.get(f"/v1/webhooks/other/quarantine/{forged_id}").status_code == 404
    assert client.get(f"{URL}/quarantine/99999").status_code == 404

    # the CLI shows the same audit trail
    out = runner.invoke(cli, ["webhooks", "quarantine", "list", "--json"])
    assert out.exit_code == 0, out.output
    assert [q["id"] for q in json.loads(out.stdout)] == [q["id"] for q in listed]
    out = runner.invoke(cli, ["webhooks", "quarantine", "show", str(forged_id)])
    assert out.exit_code == 0 and "webhook_signature_invalid" in out.stdout
    assert "leaked-token" not in out.stdout and '"event_id": 901' in out.stdout
    missing = runner.invoke(cli, ["webhooks", "quarantine", "show", "99999"])
    assert missing.exit_code == 2 and "99999" in missing.stderr
    assert runner.invoke(cli, ["webhooks", "quarantine", "--help"]).exit_code == 0


def test_a_good_delivery_after_refusals_is_still_taken(
        served: tuple[TestClient, Hourbridge]) -> None:
    client, hb = served
    body = toggl_event(950, 4050, 30)
    assert client.post(URL, content=body, headers=signed(body, "x")).status_code == 401
    r = client.post(URL, content=body, headers=signed(body))
    assert r.status_code == 201, r.text
    assert count(hb, t.inbox) == 1 and count(hb, t.webhook_quarantine) == 1


def test_a_clockify_deletion_event_deletes_the_entry_once(
        served: tuple[TestClient, Hourbridge]) -> None:
    client, hb = served
    token = "clockify-webhook-token"
    hb.handle(c.AddConnection("acme-clockify", "clockify", "https://tracker.example",
                              c.Secret((("token", "api-token"),))))
    hb.handle(c.SetWebhookSecret("acme-clockify", c.Secret((("webhook_secret", token),))))
    hb.handle(c.LoadMasterData(to_domain([("bundle", BundleDocument.model_validate(
        {**small_firm_bundle(), "aliases": aliases("acme-clockify")}))])))
    body = json.dumps({"id": "65f0a1", "userId": "17", "projectId": "99", "taskId": "5",
                       "description": "Review", "billable": True, "type": "REGULAR",
                       "timeInterval": {"start": "2026-07-02T07:30:00Z",
                                        "end": "2026-07-02T09:00:00Z",
                                        "duration": "PT1H30M"}}).encode()
    url = "/v1/webhooks/acme-clockify"

    def event(kind: str) -> dict[str, str]:
        return {"content-type": "application/json", "Clockify-Signature": token,
                "Clockify-Webhook-Event-Type": kind}

    assert client.post(url, content=body, headers=event("NEW_TIME_ENTRY")).status_code == 201
    assert [e["external_id"] for e in client.get("/v1/time-entries").json()["items"]] == ["65f0a1"]
    # the deletion carries the same body: a delivery of its own, a tombstone of the entry
    r = client.post(url, content=body, headers=event("TIME_ENTRY_DELETED"))
    assert (r.status_code, r.json()["deleted"]) == (201, 1), r.text
    again = client.post(url, content=body, headers=event("TIME_ENTRY_DELETED"))
    assert again.status_code == 200 and again.json()["duplicate_delivery"] is True
    with hb.engine.connect() as conn:
        gone = conn.execute(select(t.time_entries.c.deleted_at)).scalar_one()
    assert gone is not None
    assert count(hb, t.webhook_quarantine) == 0
    # a signed deletion naming no entry is malformed: quarantined, nothing deleted
    r = client.post(url, content=b'{"id": null}', headers=event("TIME_ENTRY_DELETED"))
    assert (r.status_code, r.json()["code"]) == (422, "webhook_malformed")
    [kept] = client.get(f"{url}/quarantine").json()
    assert kept["reason"] == "webhook_malformed"
    shown = client.get(f"{url}/quarantine/{kept['id']}").json()
    assert shown["headers"]["clockify-signature"] == "<removed>"
    assert shown["headers"]["clockify-webhook-event-type"] == "TIME_ENTRY_DELETED"


def test_the_quarantine_is_read_with_a_credential_not_with_a_signature(
        served: tuple[TestClient, Hourbridge]) -> None:
    """Deliveries come in signed by the tracker; what was refused is read only by a key with
    ``delivery:read`` (the payloads may hold personal notes)."""
    client, hb = served
    anonymous = TestClient(client.app)
    assert anonymous.get(f"{URL}/quarantine").status_code == 401
    approver = api_client(hb, role="approver")
    assert approver.get(f"{URL}/quarantine").status_code == 403
    assert client.get(f"{URL}/quarantine").status_code == 200
