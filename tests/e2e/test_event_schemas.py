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
)
from support.api import api_client


def test_each_version_is_compatible_with_all_earlier_ones() -> None:
    checked = 0
    for (name, version), schema in EVENT_SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        for earlier in range(1, version):
            assert (name, earlier) in EVENT_SCHEMAS, f"{name} v{earlier} missing"
            assert compatibility_problems(EVENT_SCHEMAS[(name, earlier)], schema) == [], (
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
