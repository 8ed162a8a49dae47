"""CRM won deals in (issue 11 item 8), on SQLite and PostgreSQL, against a local imitation
of the Salesforce REST API (tests/support/salesforce.py): each won opportunity is taken once
whether pulled twice, pulled and pushed, or replayed; its draft waits for a person; a
confirmed draft is a contract that bills, a rejected one leaves nothing."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.connectors.salesforce import Salesforce
from hourbridge.domain import commands as c
from hourbridge.errors import Conflict, InvalidInput, Permanent, Retryable, SignatureRefused
from support.salesforce import Org, acme_org, sample_bytes, serving

from .conftest import FixedClock, load

HOOK = "relay-signing-secret"
ACME_OPP, GLOBEX_OPP = "006RO00000A1b2cYAB", "006RO00000A9x8wYAB"
ACME_HOURS, ACME_FEE = "00kRO00000Bc1dEYAR", "00kRO00000Bc1dFYAR"


def make_hb(database_url: str, key: str) -> Hourbridge:
    return bootstrap(Settings(database_url=database_url, secret_key=key), clock=FixedClock(),
                     crm=Salesforce(key, sleep=lambda s: None))


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite for the behaviour (PostgreSQL runs the concurrent test below): the tests stay
    within their time budget."""
    return f"sqlite:///{tmp_path}/hourbridge.db"


@pytest.fixture
def org() -> Iterator[Org]:
    org = acme_org()
    with serving(org):
        yield org


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def sf(database_url: str, key: str, org: Org, small_bundle: dict[str, Any]
       ) -> Iterator[Hourbridge]:
    hb = make_hb(database_url, key)
    load(hb, small_bundle)
    connect(hb, org)
    yield hb
    hb.close()


def connect(hb: Hourbridge, org: Org) -> None:
    hb.handle(c.AddCrmConnection("sf", "salesforce", org.base, c.Secret((
        ("client_id", org.client_id), ("client_secret", org.client_secret),
        ("webhook_secret", HOOK), ("organization_id", "00DRO000000AbCdEAF")))))


def signed(body: bytes) -> tuple[tuple[str, str], ...]:
    digest = hmac.new(HOOK.encode(), body, hashlib.sha256).hexdigest()
    return (("content-type", "application/json"), ("x-hourbridge-signature",
                                                    f"sha256={digest}"))


def event(hb: Hourbridge, name: str) -> dict[str, Any]:
    body = sample_bytes(name)
    if name.endswith(".xml"):
        return dict(hb.handle(c.ReceiveCrmEvent("sf", (("content-type", "text/xml"),), body,
                                                HOOK)))
    return dict(hb.handle(c.ReceiveCrmEvent("sf", signed(body), body)))


def deals(hb: Hourbridge) -> dict[str, str]:
    return {d["opportunity_id"]: d["state"] for d in hb.handle(c.ShowDeals())}


def test_pulling_twice_takes_nothing_twice(sf: Hourbridge, org: Org) -> None:
    first = sf.handle(c.PullDeals("sf"))
    again = sf.handle(c.PullDeals("sf"))
    full = sf.handle(c.PullDeals("sf", full=True))
    print(f"pull 1: won {first['won']} taken {first['taken']}; pull 2: won {again['won']} "
          f"taken {again['taken']}; full: won {full['won']} taken {full['taken']} "
          f"duplicates {full['duplicates']}")
    assert (first["won"], first["taken"]) == (3, 3)
    assert (again["won"], again["taken"]) == (0, 0)
    assert (full["won"], full["taken"], full["duplicates"]) == (3, 0, 3)
    assert first["cursor_after"] == "2026-09-03T09:00:00Z"
    assert first["api_usage"].startswith("api-usage=") and first["api_usage"].endswith(
        "/100000")
    # two pages of opportunities: the second followed by its nextRecordsUrl
    assert any(p.startswith("/services/data/v62.0/query/01g") for _, p in org.calls)
    assert deals(sf) == {ACME_OPP: "proposed", GLOBEX_OPP: "proposed",
                         "006RO00000A7x7xYAB": "proposed"}
    # a won deal changed later comes back with the next pull and is a duplicate
    org.opportunities[ACME_OPP]["SystemModstamp"] = "2026-09-10T08:00:00.000+0000"
    later = sf.handle(c.PullDeals("sf"))
    assert (later["won"], later["taken"], later["duplicates"]) == (1, 0, 1)


def test_pull_and_pushed_events_of_the_same_deal_take_it_once(sf: Hourbridge) -> None:
    assert sf.handle(c.PullDeals("sf"))["taken"] == 3
    cdc = event(sf, "cdc.OpportunityChangeEvent.cometd.json")
    pe = event(sf, "platform_event.Opportunity_Closed_Won__e.cometd.json")
    om = event(sf, "outbound_message.opportunity.request.xml")
    replay = event(sf, "cdc.OpportunityChangeEvent.cometd.json")
    print(f"after a pull: change event taken {cdc['taken']}, platform event {pe['taken']}, "
          f"outbound message {om['taken']}, replayed change event duplicate deliveries "
          f"{replay['duplicate_deliveries']}")
    assert (cdc["taken"], pe["taken"], om["taken"]) == (0, 0, 0)
    assert cdc["opportunities"] == [ACME_OPP]
    assert replay["duplicate_deliveries"] == 1
    assert b"<Ack>true</Ack>" in om["reply"] and om["media_type"] == "text/xml"
    assert len(sf.handle(c.ShowDeals())) == 3


def test_an_event_first_then_the_pull_takes_the_deal_once(sf: Hourbridge, org: Org) -> None:
    cdc = event(sf, "cdc.OpportunityChangeEvent.cometd.json")
    assert (cdc["taken"], cdc["kind"]) == (1, "change_event")
    shown = sf.handle(c.ShowDeal(ACME_OPP))
    assert (shown["received_by"], shown["customer"], shown["matched_by"]) == (
        "change_event", "ACME", "vat_id")
    assert event(sf, "outbound_message.opportunity.request.xml")["taken"] == 0
    pulled = sf.handle(c.PullDeals("sf"))
    assert (pulled["won"], pulled["taken"]) == (3, 2)
    assert list(deals(sf)).count(ACME_OPP) == 1


def test_a_bad_signature_is_refused_and_kept_in_quarantine(sf: Hourbridge) -> None:
    body = sample_bytes("cdc.OpportunityChangeEvent.cometd.json")
    with pytest.raises(SignatureRefused):
        sf.handle(c.ReceiveCrmEvent("sf", (("x-hourbridge-signature", "sha256=00"),), body))
    with pytest.raises(SignatureRefused):
        sf.handle(c.ReceiveCrmEvent("sf", (), sample_bytes(
            "outbound_message.opportunity.request.xml"), "wrong-token"))
    kept = sf.queries.webhook_quarantine("sf")
    assert [q["reason"] for q in kept] == ["webhook_signature_invalid"] * 2
    assert deals(sf) == {}


def test_the_daily_limit_is_retryable_later_and_loses_nothing(sf: Hourbridge, org: Org
                                                              ) -> None:
    org.limit_after = 2  # the opportunities' first page, then 403 REQUEST_LIMIT_EXCEEDED
    with pytest.raises(Retryable, match="REQUEST_LIMIT_EXCEEDED") as refused:
        sf.handle(c.PullDeals("sf"))
    print(f"403: {refused.value}")
    assert "not 429" in str(refused.value)
    assert sf.handle(c.ListConnections())[0]["cursor"] is None  # the cursor did not move
    before = len(deals(sf))
    org.limit_after = None
    again = sf.handle(c.PullDeals("sf"))
    assert (again["won"], again["taken"], before + again["taken"]) == (3, 3 - before, 3)
    assert len(deals(sf)) == 3


def test_an_expired_session_gets_one_new_token(sf: Hourbridge, org: Org) -> None:
    sf.handle(c.PullDeals("sf"))
    issued = org.issued
    org.expire_tokens()
    org.opportunities[GLOBEX_OPP]["SystemModstamp"] = "2026-09-20T08:00:00.000+0000"
    assert sf.handle(c.PullDeals("sf"))["won"] == 1
    org.refuse_all_sessions = True
    with pytest.raises(Permanent, match="INVALID_SESSION_ID"):
        sf.handle(c.PullDeals("sf", full=True))
    print(f"tokens issued: first pull {issued}, after expiry +1, revoked app +2 (one renewal "
          f"per pull): {org.issued}")
    assert org.issued == issued + 1 + 2


def test_error_arrays_name_their_error_code_and_optional_fields_are_dropped(
        sf: Hourbridge, org: Org) -> None:
    org.multi_currency = False  # CurrencyIsoCode: INVALID_FIELD; asked again without it
    assert sf.handle(c.PullDeals("sf"))["taken"] == 3
    assert sf.handle(c.ShowDeal(ACME_OPP))["currency"] is None
    org.client_secret = "rotated"
    with pytest.raises(Permanent, match="invalid_client"):
        sf.handle(c.PullDeals("sf", full=True))


def _confirmed_acme(sf: Hourbridge) -> dict[str, Any]:
    sf.handle(c.PullDeals("sf"))
    before = sf.uow()
    with before:
        assert "SF-006RO00000A1b2cYAB" not in before.masterdata.snapshot().contracts
    draft = sf.handle(c.ShowDeal(ACME_OPP))["draft"]
    assert draft["customer"] == "ACME" and draft["new_customer"] is None
    assert draft["rates"] == [{"task": "SVC-ADV-SR", "rate": "250.00"}]
    assert draft["contract"]["budget_hours"] == "160.0"
    assert [f["amount"] for f in draft["contract"]["fees"]] == ["8000.00"]
    return dict(sf.handle(c.ConfirmDeal(ACME_OPP, "pat", ((ACME_HOURS, Decimal("260.00")),),
                                        note="rates agreed with the client")))


def test_a_confirmed_draft_is_a_contract_that_bills(sf: Hourbridge) -> None:
    done = _confirmed_acme(sf)
    code = done["contract"]
    assert (done["project"], done["customer"], done["created_customer"]) == (code, "ACME",
                                                                              False)
    load(sf, {"projects": [{"code": code, "name": "Acme - FY25 Advisory Retainer",
                            "customer": "ACME", "entity": "DE", "contract": code,
                            "assignments": [{"employee": "E1",
                                             "valid_from": "2026-09-01"}]}]})
    from hourbridge.formats.timefile import TimeFile

    from .conftest import csv_payload
    taken = sf.handle(c.IngestTimeEntries("harvest", TimeFile.from_bytes("t.csv", "text/csv", (
        csv_payload([("d1", "E1", code, "SVC-ADV-SR", "2026-09-07", "4", "advice")])))))
    assert taken.accepted == 1
    sf.handle(c.ApproveEntries(actor="pm", project=code))
    run = sf.handle(c.RunBilling(date(2026, 9, 30)))
    billed = {i["contract"]: i["net"] for i in run.invoices}
    print(f"confirmed contract {code} bills {billed.get(code)} (4 h x 260.00 + fee 8000.00)")
    assert billed[code] == "9040.00"
    audit = sf.queries.audit_records(object_=f"deals/{ACME_OPP}")
    assert [(a["action"], a["actor"], a["reason"]) for a in audit] == [
        ("deal.confirm", "pat", "rates agreed with the client")]
    with pytest.raises(Conflict):
        sf.handle(c.ConfirmDeal(ACME_OPP, "pat"))


def test_a_rejected_deal_creates_nothing(sf: Hourbridge) -> None:
    sf.handle(c.PullDeals("sf"))
    with sf.uow() as uow:
        before = uow.masterdata.snapshot()
    sf.handle(c.RejectDeal(GLOBEX_OPP, "pat", "lost to budget"))
    with sf.uow() as uow:
        after = uow.masterdata.snapshot()
    assert (after.customers, after.projects, after.contracts) == (
        before.customers, before.projects, before.contracts)
    assert deals(sf)[GLOBEX_OPP] == "rejected"
    with pytest.raises(Conflict):
        sf.handle(c.ConfirmDeal(GLOBEX_OPP, "pat"))
    # the new customer of another Globex deal is made on its confirm (discount applied)
    made = sf.handle(c.ConfirmDeal("006RO00000A7x7xYAB", "pat"))
    assert (made["created_customer"], made["customer"]) == (True, "SF-001RO00000Ab1cDYAR")
    assert sf.handle(c.ShowDeal(GLOBEX_OPP))["lines"][0]["rate"] == "108.00"


def test_an_ambiguous_account_waits_for_a_person(sf: Hourbridge) -> None:
    load(sf, {"customers": [{"id": "GLOBEX-1", "name": "Globex Corporation", "entity": "DE",
                             "currency": "EUR", "country": "AT"},
                            {"id": "GLOBEX-2", "name": "globex  corporation", "entity": "DE",
                             "currency": "EUR", "country": "AT"}]})
    sf.handle(c.PullDeals("sf"))
    shown = sf.handle(c.ShowDeal(GLOBEX_OPP))
    assert (shown["state"], shown["reason"], shown["candidates"]) == (
        "exception", "crm_customer_ambiguous", ["GLOBEX-1", "GLOBEX-2"])
    with pytest.raises(InvalidInput, match="GLOBEX-1, GLOBEX-2"):
        sf.handle(c.ConfirmDeal(GLOBEX_OPP, "pat"))
    done = sf.handle(c.ConfirmDeal(GLOBEX_OPP, "pat", customer="GLOBEX-2"))
    assert done["customer"] == "GLOBEX-2"
    # the account is GLOBEX-2 from now on (its external id): the next deal matches it
    other = sf.handle(c.ShowDeal("006RO00000A7x7xYAB"))
    assert (other["customer"], other["matched_by"]) == ("GLOBEX-2", "external_id")
    assert sf.handle(c.ConfirmDeal("006RO00000A7x7xYAB", "pat"))["customer"] == "GLOBEX-2"


def _retrying(run: Any) -> Any:
    """What a worker does with a Retryable (a serialization failure): run it again."""
    for _ in range(5):
        try:
            return run()
        except Retryable:
            continue
    return run()


@pytest.mark.postgres
def test_concurrent_pulls_and_events_take_each_deal_once(
        postgres_url: str, key: str, org: Org, small_bundle: dict[str, Any]) -> None:
    first = make_hb(postgres_url, key)
    load(first, small_bundle)
    connect(first, org)
    second = make_hb(postgres_url, key)
    takers = 4
    gate = threading.Barrier(takers)
    taken: list[int] = []
    errors: list[BaseException] = []

    def pull(hb: Hourbridge) -> None:
        gate.wait()
        taken.append(_retrying(lambda: hb.handle(c.PullDeals("sf")))["taken"])

    def push(hb: Hourbridge) -> None:
        gate.wait()
        taken.append(_retrying(lambda: event(hb, "cdc.OpportunityChangeEvent.cometd.json")
                               )["taken"])

    def guarded(work: Any, hb: Hourbridge) -> None:
        try:
            work(hb)
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=guarded, args=(w, hb)) for w, hb in
                   ((pull, first), (pull, second), (push, first), (push, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        stored = first.handle(c.ShowDeals())
        print(f"{takers} concurrent takers (2 pulls, 2 change events) on PostgreSQL: taken "
              f"{sum(taken)}, stored {len(stored)} deals for 3 won opportunities")
        assert sum(taken) == 3 and len(stored) == 3
        assert sorted(d["opportunity_id"] for d in stored) == sorted(
            {d["opportunity_id"] for d in stored})

        outcomes: list[str] = []
        gate2 = threading.Barrier(2)

        def confirm(hb: Hourbridge) -> None:
            gate2.wait()
            try:
                hb.handle(c.ConfirmDeal(ACME_OPP, "pat"))
                outcomes.append("confirmed")
            except (Conflict, Retryable) as exc:
                outcomes.append(type(exc).__name__)

        pair = [threading.Thread(target=confirm, args=(hb,)) for hb in (first, second)]
        for t in pair:
            t.start()
        for t in pair:
            t.join(60)
        print(f"two concurrent confirms of one deal: {sorted(outcomes)}")
        assert sorted(outcomes).count("confirmed") == 1 and len(outcomes) == 2
        assert [a["action"] for a in first.queries.audit_records(
            object_=f"deals/{ACME_OPP}")] == ["deal.confirm"]
    finally:
        second.close()
        first.close()


def test_an_alias_names_the_customer_of_an_account(sf: Hourbridge) -> None:
    load(sf, {"customers": [{"id": "GLOBEX-1", "name": "Globex Corporation", "entity": "DE",
                             "currency": "EUR", "country": "AT"},
                            {"id": "GLOBEX-2", "name": "Globex Corporation", "entity": "DE",
                             "currency": "EUR", "country": "AT"}],
              "aliases": [{"source": "sf", "kind": "customer",
                           "external_id": "001RO00000Ab1cDYAR", "code": "GLOBEX-1"}]})
    sf.handle(c.PullDeals("sf"))
    shown = sf.handle(c.ShowDeal(GLOBEX_OPP))
    assert (shown["state"], shown["customer"], shown["matched_by"]) == (
        "proposed", "GLOBEX-1", "alias")
