"""The one HTTP layer of every connector (httpx): auth, paging, rate limits, retries, and the
translation of foreign failures into ``errors.Retryable`` / ``errors.Permanent``, once.

- Auth is declared (``AuthStyle``), not coded per tracker; a secret never reaches a log line or
  an error message (errors name the request path only, never headers).
- Paging follows the stream's ``PageStyle``: ``links.next`` in the body (Harvest v2, followed
  verbatim until null) or an RFC 8288 ``Link: <...>; rel="next"`` header; ``?page=N`` until
  ``X-Total-Pages`` (Kimai); ``?page=N`` until a short page (Clockify's REST lists);
  ``page`` in a POSTed body until a short page (Clockify reports);
  or one unpaged answer (Toggl v9 ``/me/time_entries``).
- Rate limits: a client-side sliding window (Harvest: 100 requests per 15 s), and the server's
  429 with ``Retry-After`` (seconds or an HTTP-date, RFC 9110 section 10.2.3) honoured through
  ``pipeline.retry.RetryPolicy`` (exponential backoff with full jitter).
- Only idempotent requests are retried. A write whose outcome is unknown (a timeout, a 5xx)
  is never sent again blindly (Kimai's ``PATCH .../export`` toggles): the caller reads back.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from hourbridge.errors import Permanent, Retryable
from hourbridge.pipeline.retry import RetryPolicy

from .stream import PageStyle, Stream

USER_AGENT = "Hourbridge connector (https://hourbridge.dev)"


class TrackerRefused(Permanent):
    """The tracker refused the request for good (bad credentials, a bad request, not found)."""

    code = "tracker_refused"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TrackerUnavailable(Retryable):
    """The tracker may answer later (429, 5xx, a timeout, a lost connection)."""

    code = "tracker_unavailable"


class UnknownOutcome(Permanent):
    """A non-idempotent request failed in a way that leaves its effect unknown: it is not sent
    again; read the record back first (DESIGN section 4, point 3)."""

    code = "unknown_outcome"


class AuthStyle(enum.Enum):
    BEARER = "bearer"  # Authorization: Bearer <token> (Kimai 2.x)
    BEARER_WITH_ACCOUNT = "bearer_with_account"  # + Harvest-Account-Id (Harvest v2)
    BASIC_API_TOKEN = "basic_api_token"  # Basic base64(<token>:api_token) (Toggl Track v9)
    API_KEY_HEADER = "api_key_header"  # X-Api-Key: <key> (Clockify)


def auth_for(style: AuthStyle, secret: Mapping[str, str]) -> tuple[dict[str, str],
                                                                    httpx.Auth | None]:
    """(headers, httpx auth) for ``style`` from the connection's decrypted ``secret``."""
    token = secret.get("token", "")
    if style is AuthStyle.BEARER:
        return {"Authorization": f"Bearer {token}"}, None
    if style is AuthStyle.BEARER_WITH_ACCOUNT:
        return {"Authorization": f"Bearer {token}",
                "Harvest-Account-Id": secret.get("account_id", "")}, None
    if style is AuthStyle.BASIC_API_TOKEN:
        return {}, httpx.BasicAuth(token, "api_token")
    return {"X-Api-Key": token}, None


@dataclass
class RateWindow:
    """At most ``requests`` in any ``seconds`` (a sliding window): the client waits rather than
    earn a 429. ``clock``/``sleep`` are injected so tests need not wait."""

    requests: int
    seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _sent: deque[float] = field(default_factory=deque)

    def acquire(self) -> None:
        now = self.clock()
        while self._sent and now - self._sent[0] >= self.seconds:
            self._sent.popleft()
        if len(self._sent) >= self.requests:
            self.sleep(self.seconds - (now - self._sent[0]))
            self._sent.popleft()
        self._sent.append(self.clock())


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def translate(response: httpx.Response) -> None:
    """Raise the error a failed answer means; return on success. The one translation."""
    status = response.status_code
    if status < 400:
        return
    where = f"{response.request.method} {response.request.url.path}"
    if status in (429, 402) or status >= 500:
        # 402 is Toggl's hourly quota: it comes back once the hour turns
        raise TrackerUnavailable(f"{where} answered {status}", retry_after(response))
    if status in (401, 403):
        raise TrackerRefused(f"{where} answered {status}: credentials refused", status)
    raise TrackerRefused(f"{where} answered {status}", status)


@dataclass(frozen=True, slots=True)
class Page:
    """One page as the tracker sent it: the body kept verbatim for the inbox."""

    body: bytes
    number: int
    url: str


class TrackerClient:
    """An httpx client for one connection: auth headers, a rate window, retries by policy."""

    def __init__(self, base_url: str, style: AuthStyle, secret: Mapping[str, str], *,
                 window: RateWindow | None = None, policy: RetryPolicy | None = None,
                 transport: httpx.BaseTransport | None = None, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        headers, auth = auth_for(style, secret)
        self._http = httpx.Client(base_url=base_url, headers={"User-Agent": USER_AGENT,
                                                               **headers},
                                  auth=auth, transport=transport, timeout=timeout)
        self._window = window
        self._policy = policy or RetryPolicy(max_attempts=5, base_seconds=1.0, cap_seconds=60)
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TrackerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, method: str, url: str, *, idempotent: bool = True,
             params: Mapping[str, Any] | None = None,
             json: Any = None) -> httpx.Response:
        """One request, retried by the policy while it is Retryable and ``idempotent``."""
        attempts = 0
        while True:
            attempts += 1
            if self._window is not None:
                self._window.acquire()
            try:
                response = self._http.request(method, url, params=params, json=json)
                translate(response)
                return response
            except httpx.HTTPError as exc:
                error: Retryable | Permanent = TrackerUnavailable(
                    f"{method} {httpx.URL(url).path}: {type(exc).__name__}")
            except TrackerUnavailable as exc:
                error = exc
            if not idempotent:
                raise UnknownOutcome(f"{error}; not sent again, read the record back first")
            decision = self._policy.decide(attempts, error)
            if decision.dead:
                raise error
            self._sleep(decision.delay_seconds)

    def pages(self, stream: Stream, cursor: str | None,
              body: Mapping[str, Any] | None = None) -> Iterator[Page]:
        """The stream's pages from ``cursor`` (``None``: everything), in order."""
        params: dict[str, Any] | None = dict(stream.extra_params)
        assert params is not None
        if stream.page_size_param:
            params[stream.page_size_param] = stream.page_size
        if cursor is not None:
            params[stream.cursor_param] = cursor
        if stream.page_style in (PageStyle.PAGE_HEADERS, PageStyle.QUERY_PAGE):
            params["page"] = 1
        url: str | None = stream.path
        number = 1
        while url is not None:
            if stream.page_style is PageStyle.BODY_PAGE:
                paging = {"page": number, "pageSize": stream.page_size}
                sent = dict(body or {})
                if stream.page_body_key:
                    sent[stream.page_body_key] = {**sent.get(stream.page_body_key, {}),
                                                  **paging}
                else:
                    sent.update(paging)
                response = self.send(stream.method, url, json=sent)
            else:
                response = self.send(stream.method, url, params=params)
            yield Page(response.content, number, str(response.url))
            url = self._next(stream, response, number)
            if url is not None and not self._same_origin(url):
                # the client's headers carry the credentials: a next link elsewhere would
                # hand them to another host
                raise TrackerRefused(f"{stream.path}: the next page link leaves "
                                     f"{self._http.base_url.host}; not followed")
            if stream.page_style in (PageStyle.PAGE_HEADERS, PageStyle.QUERY_PAGE) and \
                    params is not None:
                params["page"] = number + 1
            else:
                params = None  # a next link carries its own query (maybe a cursor)
            number += 1

    def _same_origin(self, url: str) -> bool:
        target = httpx.URL(url)
        if not target.is_absolute_url:
            return True
        base = self._http.base_url
        return (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)

    @staticmethod
    def _next(stream: Stream, response: httpx.Response, number: int) -> str | None:
        style = stream.page_style
        if style is PageStyle.UNPAGED:
            return None
        if style is PageStyle.PAGE_HEADERS:
            total = response.headers.get("X-Total-Pages", "1")
            return stream.path if total.isdigit() and number < int(total) else None
        data = response.json()
        if style is PageStyle.QUERY_PAGE:
            items = data.get(stream.records or "", []) if isinstance(data, dict) else data
            return stream.path if len(items) >= stream.page_size else None
        if style is PageStyle.BODY_PAGE:
            items = data.get(stream.records or "", []) if isinstance(data, dict) else data
            return stream.path if len(items) >= stream.page_size else None
        links = data.get("links") if isinstance(data, dict) else None
        following = links.get("next") if isinstance(links, dict) else None
        if following:
            return str(following)
        link = response.links.get("next")
        return link.get("url") if link else None
