"""Event schemas (issue 14 item 7): served per type and version, each version backward
compatible with every earlier one, and every event the demo emits valid against its schema
(``jsonschema``); a deprecated route says so in its headers (RFC 9745, RFC 8594)."""

from __future__ import annotations

from pathlib import Path

from jsonschema import Draft202012Validator

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.services.event_schemas import (
    EVENT_SCHEMAS,
    compatibility_problems,
    split_type,
    version_problems,
)
from support.api import api_client


def test_each_version_is_compatible_with_all_earlier_ones() -> None:
    checked = 0
    for (name, version), schema in EVENT_SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        for earlier in range(1, version):
            assert (name, earlier) in EVENT_SCHEMAS, f"{name} v{earlier} missing"
            assert version_problems(name, earlier, version) == [], (
                f"{name} v{version} breaks v{earlier}")
            checked += 1
    print(f"event schemas: {len(EVENT_SCHEMAS)} versions, {checked} pairs compared",
          flush=True)
    # the check itself catches what breaks a consumer of the older version
    v1 = EVENT_SCHEMAS[("hourbridge.journal.entry.ready", 1)]
    dropped = {**v1, "required": [r for r in v1["required"] if r != "subject"]}
    narrowed = {**v1, "properties": {**v1["properties"], "subject": {"type": "integer"}}}
    widened = {**v1, "properties": {**v1["properties"], "subject": {"type": ["string",
                                                                              "null"]}}}
    assert compatibility_problems(v1, dropped) == ["/subject: no longer required"]
    assert compatibility_problems(v1, narrowed) == [
        "/subject: type narrowed from ['string'] to ['integer']"]
    assert compatibility_problems(v1, widened) == []
    assert len(EVENT_SCHEMAS) > len({name for name, _ in EVENT_SCHEMAS})  # a type has a v2


def test_journal_entry_v2_is_a_real_and_compatible_successor() -> None:
    """v2 of ``journal.entry.ready`` adds the entity's functional currency and time zone: a v1
    payload is a valid v2 one, a v2 payload parses to the same entry, and a v2 that dropped a
    required field or changed a type would be refused by the checker."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from hourbridge.domain.ledger import JournalEntry, Posting
    from hourbridge.services.events import (
        JOURNAL_ENTRY_READY,
        JOURNAL_ENTRY_READY_V2,
        envelope,
        journal_from_data,
        journal_to_data,
    )
    from hourbridge.services.handlers import EVENT_HANDLERS

    name = "hourbridge.journal.entry.ready"
    v1, v2 = EVENT_SCHEMAS[(name, 1)], EVENT_SCHEMAS[(name, 2)]
    entry = JournalEntry("k-1", "US", date(2026, 7, 1), "memo", "invoice", "1", (
        Posting("1200", Decimal("10.00"), Decimal(0), "USD", Decimal("10.00"), Decimal(1)),
        Posting("4000", Decimal(0), Decimal("10.00"), "USD", Decimal("-10.00"), Decimal(1))))
    at = datetime(2026, 7, 1, tzinfo=UTC)
    old = envelope("k-1", JOURNAL_ENTRY_READY, "s", journal_to_data(entry), at)
    new = envelope("k-1", JOURNAL_ENTRY_READY_V2, "s",
                   journal_to_data(entry, "USD", "America/New_York"), at)
    Draft202012Validator(v1).validate(old)
    Draft202012Validator(v2).validate(new)
    Draft202012Validator(v2).validate({**old, "type": JOURNAL_ENTRY_READY_V2})
    assert journal_from_data(new["data"]) == journal_from_data(old["data"]) == entry
    assert EVENT_HANDLERS[JOURNAL_ENTRY_READY_V2] is EVENT_HANDLERS[JOURNAL_ENTRY_READY]
    # the envelope's type constant names the version: it alone may differ
    assert compatibility_problems(v1, v2) == ["/type: const changed"]
    data = v2["properties"]["data"]
    broken = {**v2, "properties": {**v2["properties"], "data": {
        **data, "required": [r for r in data["required"] if r != "memo"]}}}
    retyped = {**v2, "properties": {**v2["properties"], "data": {
        **data, "properties": {**data["properties"], "posted_on": {"type": "integer"}}}}}
    EVENT_SCHEMAS[(name, 3)] = broken
    try:
        assert version_problems(name, 1, 3) == ["/data/memo: no longer required"]
        EVENT_SCHEMAS[(name, 3)] = retyped
        assert version_problems(name, 2, 3) == [
            "/data/posted_on: type narrowed from ['string'] to ['integer']",
            "/data/posted_on: format changed"]
    finally:
        del EVENT_SCHEMAS[(name, 3)]
    print("event schemas: journal.entry.ready v1 -> v2 compatible; 2 of 2 breaking changes "
          "caught", flush=True)


def test_schemas_are_served_and_a_deprecated_route_says_so(tmp_path: Path) -> None:
    hb = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/api.db"))
    with api_client(hb) as client:
        listed = client.get("/v1/events/schemas").json()
        assert listed["has_more"] is False and listed["next_cursor"] is None
        assert {i["event_type"] for i in listed["items"]} == {
            f"{n}.v{v}" for n, v in EVENT_SCHEMAS}
        for item in listed["items"]:
            served = client.get(item["href"])
            assert served.status_code == 200
            assert served.json() == EVENT_SCHEMAS[split_type(item["event_type"])]
        assert client.get("/v1/events/schemas/hourbridge.journal.entry.ready/v1").json()[
            "$id"].endswith("hourbridge.journal.entry.ready.v1.json")
        missing = client.get("/v1/events/schemas/hourbridge.nothing/1")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")

        old = client.get("/v1/time-entries")
        assert old.status_code == 200
        assert old.headers["deprecation"].startswith("@")
        assert old.headers["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
        assert 'rel="deprecation"' in old.headers["link"]
        assert '</v1/entries>; rel="successor-version"' in old.headers["link"]
        assert "deprecation" not in client.get("/v1/entries").headers
