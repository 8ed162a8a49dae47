"""The one HTTP layer against ``httpx.MockTransport``: paging styles, auth, rate limits,
retries by the policy and the translation of failures into Retryable / Permanent."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from hourbridge.connectors import TRACKERS
from hourbridge.connectors.http import (
    AuthStyle,
    RateWindow,
    TrackerClient,
    TrackerRefused,
    TrackerUnavailable,
    UnknownOutcome,
    retry_after,
)
from hourbridge.connectors.stream import PageStyle, Stream
from hourbridge.pipeline.retry import RetryPolicy

HARVEST = TRACKERS["harvest"]


def client(handler, style=AuthStyle.BEARER, secret=None, sleeps=None, **kw) -> TrackerClient:
    return TrackerClient("https://tracker.test", style, secret or {"token": "s3cret"},
                         transport=httpx.MockTransport(handler),
                         policy=RetryPolicy(max_attempts=4, base_seconds=1, cap_seconds=8,
                                            rng=random.Random(7)),
                         sleep=(sleeps.append if sleeps is not None else lambda s: None), **kw)


def test_links_next_is_followed_verbatim_and_the_cursor_goes_only_on_the_first_request():
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        page = int(request.url.params.get("page", "1"))
        nxt = f"https://tracker.test/v2/time_entries?page={page + 1}&cursor=c{page}" \
            if page < 3 else None
        return httpx.Response(200, json={"time_entries": [{"id": page}], "links": {"next": nxt}})

    with client(handler) as c:
        pages = list(c.pages(HARVEST.time_entries, "2024-03-01T00:00:00Z"))
    assert [p.number for p in pages] == [1, 2, 3]
    assert [json.loads(p.body)["time_entries"][0]["id"] for p in pages] == [1, 2, 3]
    assert seen[0].params["updated_since"] == "2024-03-01T00:00:00Z"
    assert seen[0].params["per_page"] == "2000"
    assert "updated_since" not in seen[1].params and seen[2].params["cursor"] == "c2"


def test_a_link_header_pages_too():
    def handler(request: httpx.Request) -> httpx.Response:
        if "page=2" in str(request.url):
            return httpx.Response(200, json=[{"id": 2}])
        return httpx.Response(200, json=[{"id": 1}], headers={
            "Link": '<https://tracker.test/list?page=2>; rel="next"'})

    stream = Stream("s", "/list", "id", "at", "since", PageStyle.LINKS_NEXT)
    with client(handler) as c:
        assert len(list(c.pages(stream, None))) == 2


def test_page_number_paging_stops_at_x_total_pages():
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params["page"])
        return httpx.Response(200, json=[], headers={"X-Total-Pages": "3"})

    with client(handler) as c:
        assert len(list(c.pages(TRACKERS["kimai"].time_entries, None))) == 3
    assert asked == ["1", "2", "3"]


def test_429_waits_at_least_retry_after_then_succeeds():
    answers = iter([httpx.Response(429, headers={"Retry-After": "30"}),
                    httpx.Response(429, headers={"Retry-After": "2"}),
                    httpx.Response(200, json=[])])
    sleeps: list[float] = []
    with client(lambda r: next(answers), sleeps=sleeps) as c:
        assert c.send("GET", "/x").status_code == 200
    assert len(sleeps) == 2 and sleeps[0] >= 30 and sleeps[1] >= 2


def test_retries_stop_after_the_policy_gives_up():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused", request=request)

    with client(handler) as c, pytest.raises(TrackerUnavailable):
        c.send("GET", "/x")
    assert len(calls) == 4  # the policy's max_attempts


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_refusal_is_permanent_and_sent_once(status: int):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, json={"message": "no"})

    with client(handler) as c, pytest.raises(TrackerRefused) as caught:
        c.send("GET", "/x")
    assert len(calls) == 1 and caught.value.status == status
    assert "s3cret" not in str(caught.value)


def test_a_write_with_an_unknown_outcome_is_never_sent_again():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(503)

    with client(handler) as c, pytest.raises(UnknownOutcome):
        c.send("PATCH", "/api/timesheets/1/export", idempotent=False)
    assert calls == ["PATCH"]


def test_auth_headers_per_style():
    got: dict[str, httpx.Headers] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        got["h"] = request.headers
        return httpx.Response(200, json=[])

    with client(handler, AuthStyle.BEARER_WITH_ACCOUNT,
                {"token": "tok", "account_id": "42"}) as c:
        c.send("GET", "/x")
    assert got["h"]["Authorization"] == "Bearer tok"
    assert got["h"]["Harvest-Account-Id"] == "42" and "Hourbridge" in got["h"]["User-Agent"]
    with client(handler, AuthStyle.BASIC_API_TOKEN, {"token": "tok"}) as c:
        c.send("GET", "/x")
    assert got["h"]["Authorization"] == "Basic " + base64.b64encode(b"tok:api_token").decode()
    with client(handler, AuthStyle.API_KEY_HEADER, {"token": "key"}) as c:
        c.send("GET", "/x")
    assert got["h"]["X-Api-Key"] == "key"


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    request = httpx.Request("GET", "https://t.test/")
    when = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after(httpx.Response(429, headers={"Retry-After": "15"}, request=request)) == 15
    assert retry_after(httpx.Response(429, headers={"Retry-After": when}, request=request),
                       now) == 90
    assert retry_after(httpx.Response(429, request=request)) is None


def test_the_rate_window_waits_instead_of_earning_a_429():
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    window = RateWindow(3, 15.0, clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        window.acquire()
        clock[0] += 1
    window.acquire()  # the 4th within 15 s of the first waits for the window to slide
    assert slept == [12.0]
    assert clock[0] == 15.0


def test_a_next_link_to_another_host_is_not_followed_with_the_credentials():
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(200, json={"time_entries": [], "links": {
            "next": "https://elsewhere.test/v2/time_entries?page=2"}})

    with client(handler) as c, pytest.raises(TrackerRefused, match=r"leaves tracker\.test"):
        list(c.pages(HARVEST.time_entries, None))
    assert hosts == ["tracker.test"]
