"""``hourbridge connections webhook-secret``: the secret that verifies a connection's webhook
deliveries is read from the environment, stored sealed (never in clear) and used by the
webhook intake; a tracker without webhooks refuses deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from hourbridge.bootstrap import bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput, SignatureRefused
from hourbridge.store import tables as t

runner = CliRunner()
SECRET = "whsec-of-the-subscription"


def test_the_webhook_secret_is_sealed_and_verifies_deliveries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("HOURBRIDGE_SECRET_KEY", key)
    monkeypatch.setenv("HOURBRIDGE_CONNECTION_TOKEN", "api-token")
    for name, tracker in (("tg", "toggl"), ("hv", "harvest")):
        args = ["connections", "add", name, "--tracker", tracker, "--base-url",
                "https://tracker.example"]
        assert runner.invoke(app, args + ["--account-id", "1"] * (tracker == "harvest")
                             ).exit_code == 0
    monkeypatch.setenv("HOURBRIDGE_WEBHOOK_SECRET", SECRET)
    done = runner.invoke(app, ["connections", "webhook-secret", "tg", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"name": "tg", "webhook_secret": "set"}
    assert SECRET not in done.stdout + done.stderr
    unknown = runner.invoke(app, ["connections", "webhook-secret", "nobody"])
    assert unknown.exit_code == 2 and "nobody" in unknown.stderr

    hb = bootstrap(Settings(database_url=url, secret_key=key))
    try:
        with hb.engine.connect() as conn:
            sealed = conn.execute(select(t.connections.c.secret)
                                  .where(t.connections.c.name == "tg")).scalar_one()
        assert SECRET not in sealed and "api-token" not in sealed
        ping = b'{"event_id":0,"payload":"ping","validation_code":"abc"}'
        header = "sha256=" + hmac.new(SECRET.encode(), ping, hashlib.sha256).hexdigest()
        answer = hb.handle(c.ReceiveWebhook(
            "tg", (("x-webhook-signature-256", header),), ping))
        assert answer["handshake"] == {"validation_code": "abc"}
        hb.handle(c.AddConnection("tg2", "toggl", "https://tracker.example",
                                  c.Secret((("token", "t"),))))
        with pytest.raises(SignatureRefused, match="no webhook secret"):
            hb.handle(c.ReceiveWebhook("tg2", (("x-webhook-signature-256", header),), ping))
        hb.handle(c.SetWebhookSecret("hv", c.Secret((("webhook_secret", SECRET),))))
        with pytest.raises(InvalidInput, match="harvest sends no webhooks"):
            hb.handle(c.ReceiveWebhook("hv", (("x-webhook-signature-256", header),), ping))
    finally:
        hb.close()
