"""Won deals over the API and the command line: the signed events route (no credential, the
relay's signature or the outbound message's token), the scoped list (envelope), show,
confirm and reject, and ``hourbridge deals``."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hourbridge.api.app import create_app
from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from hourbridge.connectors.salesforce import Salesforce
from hourbridge.domain import commands as c
from hourbridge.formats import BundleDocument, to_domain
from support.api import api_client
from support.firm import small_firm_bundle
from support.salesforce import Org, acme_org, sample_bytes, serving

HOOK = "relay-signing-secret"
ACME_OPP = "006RO00000A1b2cYAB"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Hourbridge, Org, str, str]]:
    key = Fernet.generate_key().decode()
    url = f"sqlite:///{tmp_path}/deals.db"
    org = acme_org()
    with serving(org):
        hb = bootstrap(Settings(database_url=url, secret_key=key),
                       crm=Salesforce(key, sleep=lambda s: None))
        hb.handle(c.LoadMasterData(to_domain(
            [("firm", BundleDocument.model_validate(small_firm_bundle()))])))
        hb.handle(c.AddCrmConnection("sf", "salesforce", org.base, c.Secret((
            ("client_id", org.client_id), ("client_secret", org.client_secret),
            ("webhook_secret", HOOK)))))
        yield hb, org, url, key
        hb.close()


def _sig(body: bytes) -> str:
    return "sha256=" + hmac.new(HOOK.encode(), body, hashlib.sha256).hexdigest()


def test_events_route_takes_signed_events_and_acks_outbound_messages(
        world: tuple[Hourbridge, Org, str, str]) -> None:
    hb = world[0]
    anonymous = TestClient(create_app(hb))  # the sender signs; it has no API key
    cdc = sample_bytes("cdc.OpportunityChangeEvent.cometd.json")
    refused = anonymous.post("/v1/crm/sf/events", content=cdc,
                             headers={"Content-Type": "application/json",
                                      "X-Hourbridge-Signature": "sha256=00"})
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    taken = anonymous.post("/v1/crm/sf/events", content=cdc,
                           headers={"Content-Type": "application/json",
                                    "X-Hourbridge-Signature": _sig(cdc)})
    assert (taken.status_code, taken.json()["taken"]) == (200, 1), taken.text
    om = anonymous.post(f"/v1/crm/sf/events?token={HOOK}",
                        content=sample_bytes("outbound_message.opportunity.request.xml"),
                        headers={"Content-Type": "text/xml", "SOAPAction": '""'})
    assert om.status_code == 200 and om.headers["content-type"].startswith("text/xml")
    assert b"<Ack>true</Ack>" in om.content
    unreadable = b'[{"channel": "/data/OpportunityChangeEvent"}]'
    bad = anonymous.post("/v1/crm/sf/events", content=unreadable,
                         headers={"X-Hourbridge-Signature": _sig(unreadable)})
    assert bad.status_code == 422
    assert [q["reason"] for q in hb.queries.webhook_quarantine("sf")] == [
        "webhook_malformed", "webhook_signature_invalid"]


def test_deals_routes_are_scoped_and_list_in_the_envelope(
        world: tuple[Hourbridge, Org, str, str]) -> None:
    hb = world[0]
    hb.handle(c.PullDeals("sf"))
    finance = api_client(hb, role="finance")
    page = finance.get("/v1/deals", params={"limit": 2}).json()
    assert (len(page["items"]), page["has_more"]) == (2, True)
    rest = finance.get("/v1/deals", params={"cursor": page["next_cursor"]}).json()
    assert (len(rest["items"]), rest["has_more"], rest["next_cursor"]) == (1, False, None)
    shown = finance.get(f"/v1/deals/{ACME_OPP}").json()
    assert shown["state"] == "proposed" and shown["draft"]["customer"] == "ACME"
    approver = api_client(hb, role="approver")
    assert approver.get("/v1/deals").status_code == 200
    assert approver.post(f"/v1/deals/{ACME_OPP}/confirm", json={}).status_code == 403
    done = finance.post(f"/v1/deals/{ACME_OPP}/confirm",
                        json={"rates": {"00kRO00000Bc1dEYAR": "255.00"}, "note": "ok"})
    assert done.status_code == 200, done.text
    assert done.json()["draft"]["rates"] == [{"task": "SVC-ADV-SR", "rate": "255.00"}]
    again = finance.post(f"/v1/deals/{ACME_OPP}/reject", json={})
    assert again.status_code == 409
    assert finance.get("/v1/deals/006RO00000XXXXXYAB").status_code == 404


def test_the_deals_command_line(world: tuple[Hourbridge, Org, str, str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    _, org, url, key = world
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("HOURBRIDGE_SECRET_KEY", key)
    monkeypatch.setenv("HOURBRIDGE_CRM_CLIENT_SECRET", org.client_secret)
    runner = CliRunner()
    added = runner.invoke(app, ["deals", "connect", "sf2", "--base-url", org.base,
                                "--client-id", org.client_id])
    assert added.exit_code == 0, added.output
    pulled = runner.invoke(app, ["deals", "pull", "sf2", "--json"])
    assert json.loads(pulled.stdout)["taken"] == 3, pulled.output
    listed: list[dict[str, Any]] = json.loads(runner.invoke(
        app, ["deals", "list", "--state", "proposed", "--json"]).stdout)
    assert len(listed) == 3
    bad = runner.invoke(app, ["deals", "confirm", ACME_OPP, "--rate", "nonsense"])
    assert bad.exit_code == 2 and "LINE_ID=PRICE" in bad.output
    ok = runner.invoke(app, ["deals", "confirm", ACME_OPP, "--rate",
                             "00kRO00000Bc1dEYAR=250.00", "--actor", "pat"])
    assert ok.exit_code == 0 and "confirmed" in ok.output, ok.output
    rejected = runner.invoke(app, ["deals", "reject", "006RO00000A9x8wYAB"])
    assert rejected.exit_code == 0, rejected.output
    twice = runner.invoke(app, ["deals", "reject", "006RO00000A9x8wYAB"])
    assert twice.exit_code == 2 and "rejected already" in twice.output
    not_a_tracker = runner.invoke(app, ["sync", "sf2"])
    assert not_a_tracker.exit_code == 2 and "deals pull sf2" in not_a_tracker.output
