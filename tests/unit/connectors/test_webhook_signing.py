"""Standard Webhooks v1 signatures against the published test vectors
(``/work/shared/samples/standard_webhooks/test_vectors.json``, a copy kept beside the tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hourbridge.connectors.webhooks import new_secret, sign, verify
from hourbridge.domain.webhooks import refused_subscription

VECTORS = json.loads((Path(__file__).parent / "standard_webhooks_vectors.json").read_text())
CASES = VECTORS["vectors"]


@pytest.mark.parametrize("v", CASES, ids=[v["name"] for v in CASES])
def test_signature_matches_the_vector(v: dict[str, str]) -> None:
    got = sign(v["secret"], v["webhook-id"], int(v["webhook-timestamp"]), v["body"].encode())
    assert got == v["expected_signature"]


@pytest.mark.parametrize("v", CASES, ids=[v["name"] for v in CASES])
def test_receiver_check_accepts_the_vector_and_refuses_a_changed_body(v: dict[str, str]
                                                                     ) -> None:
    ts, body = int(v["webhook-timestamp"]), v["body"].encode()
    # a header may carry several signatures (secret rotation): any match is enough
    header = "v1,bm90LXRoaXMtb25l " + v["expected_signature"]
    assert verify(v["secret"], v["webhook-id"], ts, body, header)
    assert not verify(v["secret"], v["webhook-id"], ts, body + b" ", header)
    assert not verify(v["secret"], v["webhook-id"], ts + 1, body, header)


def test_a_new_secret_is_a_valid_whsec_secret_each_time_different() -> None:
    a, b = new_secret(), new_secret()
    assert a != b
    assert refused_subscription("x", ("*",), a) is None


@pytest.mark.parametrize(("name", "types", "secret", "says"), [
    ("Bad Name", ("*",), None, "webhook name"),
    ("ok", (), None, "at least one event type"),
    ("ok", ("not a type",), None, "not an event type"),
    ("ok", ("*",), "secret", "starts with whsec_"),
    ("ok", ("*",), "whsec_!!", "base64"),
    ("ok", ("*",), "whsec_c2hvcnQ=", "24 to 64 bytes"),
])
def test_bad_subscriptions_are_refused_with_the_reason(name: str, types: tuple[str, ...],
                                                      secret: str | None, says: str) -> None:
    refusal = refused_subscription(name, types, secret)
    assert refusal is not None and says in refusal
