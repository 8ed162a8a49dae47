"""Salesforce payloads as documented (salesforce_samples, ``_comment`` stripped where JSON):
pushed events read to their delivery ids and opportunities, the error arrays translated by
errorCode, and a deal's draft from the sample line items."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from decimal import Decimal

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.connectors.salesforce.api import (
    SalesforceRefused,
    SalesforceUnavailable,
    translate,
)
from hourbridge.connectors.salesforce.crm import cursor_of, deal_of
from hourbridge.connectors.salesforce.events import open_event, read_cometd, read_outbound
from hourbridge.domain.deals import (
    Account,
    DealLine,
    WonDeal,
    deal_from_json,
    deal_json,
    draft_for,
    match_customer,
)
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Customer, Employee, LegalEntity
from hourbridge.errors import SignatureRefused, UnreadablePayload
from support.salesforce import sample, sample_bytes

ACME = "006RO00000A1b2cYAB"


def test_the_pushed_samples_name_their_delivery_and_opportunity() -> None:
    cdc = read_cometd(json.dumps(sample("cdc.OpportunityChangeEvent.cometd.json")).encode())
    pe = read_cometd(json.dumps([sample(
        "platform_event.Opportunity_Closed_Won__e.cometd.json")]).encode())
    om = read_outbound(sample_bytes("outbound_message.opportunity.request.xml"),
                       "00DRO000000AbCdEAF")
    assert cdc.deliveries == (("/data/OpportunityChangeEvent#2931", (ACME,)),)
    assert pe.deliveries == (("5f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b", (ACME,)),)
    assert om.deliveries == (("om:04lRO00000C0fFeYAF", (ACME,)),)
    assert (cdc.kind, pe.kind, om.kind) == ("change_event", "platform_event",
                                            "outbound_message")
    assert b"<Ack>true</Ack>" in om.reply


def test_events_that_are_not_wins_name_nothing_and_bad_ones_are_refused() -> None:
    lost = sample("cdc.OpportunityChangeEvent.cometd.json")
    lost["data"]["payload"]["IsWon"] = False
    assert read_cometd(json.dumps(lost).encode()).deliveries[0][1] == ()
    gone = sample("cdc.OpportunityChangeEvent.cometd.json")
    gone["data"]["payload"]["ChangeEventHeader"]["changeType"] = "DELETE"
    assert read_cometd(json.dumps(gone).encode()).deliveries[0][1] == ()
    injected = sample("platform_event.Opportunity_Closed_Won__e.cometd.json")
    injected["data"]["payload"]["Opportunity_Id__c"] = "x' OR Name != '"
    with pytest.raises(UnreadablePayload, match="not a Salesforce record id"):
        read_cometd(json.dumps(injected).encode())
    with pytest.raises(UnreadablePayload, match="document type"):
        read_outbound(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
                      None)
    with pytest.raises(SignatureRefused, match="organization"):
        read_outbound(sample_bytes("outbound_message.opportunity.request.xml"),
                      "00DXX0000000000")


def test_verification_comes_before_reading() -> None:
    body = b"not even json"
    with pytest.raises(SignatureRefused):
        open_event("s", None, {"x-hourbridge-signature": "sha256=00"}, body, "")
    good = "sha256=" + hmac.new(b"s", body, hashlib.sha256).hexdigest()
    with pytest.raises(UnreadablePayload):
        open_event("s", None, {"x-hourbridge-signature": good}, body, "")
    with pytest.raises(SignatureRefused):
        open_event("", None, {"x-hourbridge-signature": good}, body, "")


def _answer(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, json=sample(name),
                          request=httpx.Request("GET", "https://x.my.salesforce.com/q"))


def test_error_arrays_translate_by_their_error_code() -> None:
    with pytest.raises(SalesforceRefused) as missing:
        translate(_answer(400, "error.400.required_field_missing.json"))
    assert (missing.value.error_code, missing.value.fields) == (
        "REQUIRED_FIELD_MISSING", ("PricebookEntryId",))
    with pytest.raises(SalesforceRefused, match="INVALID_FIELD"):
        translate(_answer(400, "error.400.malformed_query.json"))
    with pytest.raises(SalesforceRefused, match="INVALID_SESSION_ID"):
        translate(_answer(401, "error.401.invalid_session.json"))
    with pytest.raises(SalesforceUnavailable, match="rolling 24 h") as limit:
        translate(_answer(403, "error.403.request_limit_exceeded.json"))
    assert limit.value.error_code == "REQUEST_LIMIT_EXCEEDED"
    with pytest.raises(SalesforceUnavailable):
        translate(httpx.Response(503, text="down", request=httpx.Request("GET", "https://x")))


def test_a_system_modstamp_becomes_a_soql_literal() -> None:
    assert cursor_of("2025-03-14T16:02:11.000+0000") == "2025-03-14T16:02:11Z"
    assert cursor_of("2025-03-14T18:02:11.999+0200") == "2025-03-14T16:02:11Z"


def _md(*customers: Customer) -> MasterData:
    return MasterData(entities={"DE": LegalEntity("DE", "Firm", "DE", "EUR", "DE")},
                      customers={k.id: k for k in customers},
                      employees={"E1": Employee(id="E1", entity="DE", role="senior")})


def _deal() -> WonDeal:
    opp = sample("opportunity.query.page1.json")["records"][0]
    lines = sample("opportunityLineItem.query.response.json")["records"]
    return deal_of(opp, {"Id": opp["AccountId"], "Name": "Acme AG",
                         "BillingCountryCode": "DE", "VAT_Number__c": "DE123456788"}, lines)


def test_customers_match_by_the_strongest_evidence_never_a_guess() -> None:
    account = _deal().account
    acme = Customer("ACME", "Acme AG", "DE", "EUR", "DE", vat_id="DE 123 456 788")
    twin = Customer("ACME2", "ACME AG", "DE", "EUR", "DE")
    assert match_customer(_md(acme), "sf", account).how == "vat_id"
    assert match_customer(_md(acme, twin), "sf", account, ("ACME2",)).customer == "ACME2"
    named = Account(account.id, "Acme AG")
    ambiguous = match_customer(_md(acme, twin), "sf", named)
    assert (ambiguous.customer, ambiguous.candidates) == (None, ("ACME", "ACME2"))
    assert ambiguous.problem is not None and ambiguous.problem.code == "crm_customer_ambiguous"
    assert match_customer(_md(), "sf", named).how == "new"
    aliased = _md(acme, twin)
    aliased.aliases[("sf", "customer", account.id)] = "ACME2"
    assert (match_customer(aliased, "sf", named).customer,
            match_customer(aliased, "sf", named).how) == ("ACME2", "alias")


def test_the_sample_line_items_make_a_draft_with_hours_and_a_fee() -> None:
    draft = draft_for(_deal(), _md(), "sf", customer=None, entity=None)
    k = draft.contract
    assert draft.customer is not None and draft.customer.currency == "USD"
    assert (k.id, k.currency, k.start_date, k.estimate_hours) == (
        "SF-006RO00000A1b2cYAB", "USD", date(2025, 3, 14), Decimal("160.0"))
    assert [(f.amount, f.bill_on) for f in k.fee_schedule] == [(Decimal("8000.00"),
                                                                 date(2025, 3, 14))]
    assert draft.rate_card is not None
    assert {(r.task, r.role, r.rate) for r in draft.rate_card.rows} == {
        ("SVC-ADV-SR", None, Decimal("250.00")), ("SVC-ADV-SR", "senior", Decimal("250.00"))}
    assert [t.code for t in draft.project.tasks] == ["SVC-ADV-SR"]


prices = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False)


@given(st.lists(st.tuples(prices, prices, st.booleans()), max_size=5))
def test_a_stored_deal_reads_back_as_the_same_deal(lines: list[tuple[Decimal, Decimal,
                                                                     bool]]) -> None:
    deal = WonDeal("006RO00000A1b2cYAB", "Ü-Deal ✓", Account("001RO00000Xy9zQYAR", "Ä AG"),
                   date(2026, 9, 1), "EUR", Decimal("1.50"), tuple(
                       DealLine(f"00kRO00000Bc{i:04d}YAR", "Hours" if hourly else "Fee", q, p)
                       for i, (q, p, hourly) in enumerate(lines)))
    assert deal_from_json(json.loads(json.dumps(deal_json(deal)))) == deal


def test_the_jwt_bearer_flow_sends_a_signed_assertion() -> None:
    """RFC 7523: grant_type jwt-bearer, iss = consumer key, sub = username, aud = the login
    host, RS256 with the connected app's certificate key; no password anywhere."""
    from urllib.parse import parse_qs

    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from hourbridge.connectors.salesforce.api import SalesforceClient

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    sent: list[dict[str, list[str]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(parse_qs(request.content.decode()))
        return httpx.Response(200, json={"access_token": "t", "instance_url":
                                         "https://acme.my.salesforce.com"})

    client = SalesforceClient("https://acme.my.salesforce.com", {
        "client_id": "3MVG9-key", "username": "int@acme.example", "private_key": pem},
        transport=httpx.MockTransport(answer))
    client.authenticate()
    [form] = sent
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(form["assertion"][0], private.public_key(), algorithms=["RS256"],
                        audience="https://acme.my.salesforce.com")
    assert (claims["iss"], claims["sub"]) == ("3MVG9-key", "int@acme.example")
    assert "password" not in json.dumps(form)
