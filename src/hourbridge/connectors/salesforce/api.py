"""Salesforce REST on the connectors' one HTTP layer (``connectors.http``: user agent,
retry policy, ``Retry-After``, Retryable / Permanent).

- Auth (server to server, no user password; the username-password flow is being retired,
  help.salesforce.com 000886201): OAuth 2.0 client credentials (``client_id`` +
  ``client_secret``) or the JWT bearer flow (``client_id`` + ``username`` + an RSA
  ``private_key``, RFC 7523). The token answer names the ``instance_url`` the API is on.
- A 401 ``INVALID_SESSION_ID`` (the token expired or was revoked) gets a new token once and
  the request sent again; a second 401 is refused for good.
- Errors come as a JSON array ``[{message, errorCode, fields?}]`` (REST API guide
  ``errorcodes.htm``): the errorCode names the failure. The daily org limit answers **403
  ``REQUEST_LIMIT_EXCEEDED``**, never 429: retryable later, not now (the window is a rolling
  24 h), so it is raised at once with a message that says so. ``Sforce-Limit-Info:
  api-usage=n/m`` is kept from every answer (``api_usage``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from hourbridge.connectors.http import USER_AGENT, TrackerRefused, TrackerUnavailable, retry_after
from hourbridge.errors import Permanent, Retryable
from hourbridge.pipeline.retry import RetryPolicy

from .streams import BATCH_SIZE, QUERY_PATH, TOKEN_PATH

# errorCodes that pass with time: the org's limits, a busy server, an expired query cursor
RETRYABLE_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW",
                             "INVALID_QUERY_LOCATOR", "API_CURRENTLY_DISABLED"})


class SalesforceRefused(TrackerRefused):
    """Salesforce refused the request for good; ``error_code`` is its errorCode."""

    code = "crm_refused"

    def __init__(self, message: str, status: int | None, error_code: str,
                 fields: tuple[str, ...] = ()) -> None:
        super().__init__(message, status)
        self.error_code = error_code
        self.fields = fields


class SalesforceUnavailable(TrackerUnavailable):
    """Salesforce may answer later; ``error_code`` is its errorCode ("" for a bare 5xx)."""

    code = "crm_unavailable"

    def __init__(self, message: str, retry_after_s: float | None = None,
                 error_code: str = "") -> None:
        super().__init__(message, retry_after_s)
        self.error_code = error_code


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    """The answer's error array (an object or text is read as one error)."""
    try:
        data = response.json()
    except ValueError:
        return [{"errorCode": "", "message": response.text[:200]}]
    if isinstance(data, dict):
        data = [data]
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def translate(response: httpx.Response) -> None:
    """Raise what a failed answer means (the first error's errorCode); return on success."""
    status = response.status_code
    if status < 400:
        return
    where = f"{response.request.method} {response.request.url.path}"
    errors = errors_of(response) or [{}]
    first = errors[0]
    error_code = str(first.get("errorCode") or first.get("error") or "")
    message = str(first.get("message") or first.get("error_description") or "").strip()
    fields = tuple(str(f) for f in first.get("fields") or ())
    said = f"{where} answered {status} {error_code}: {message[:300]}".rstrip(": .")
    if error_code == "REQUEST_LIMIT_EXCEEDED":
        raise SalesforceUnavailable(
            f"{said}. The org's API request limit is used up (a rolling 24 h window; "
            "Salesforce answers 403, not 429): pull again later, or raise the limit",
            retry_after(response), error_code)
    if status >= 500 or status == 429 or error_code in RETRYABLE_CODES:
        raise SalesforceUnavailable(said, retry_after(response), error_code)
    raise SalesforceRefused(said, status, error_code, fields)


class SalesforceClient:
    """One org: a token (fetched on first use, renewed once on ``INVALID_SESSION_ID``), the
    query pages, and retries of idempotent reads by ``policy``."""

    def __init__(self, base_url: str, secret: Mapping[str, str], *,
                 transport: httpx.BaseTransport | None = None, timeout: float = 30.0,
                 policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 instance_ok: Callable[[str], bool] | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._secret = dict(secret)
        self._http = httpx.Client(headers={"User-Agent": USER_AGENT}, transport=transport,
                                  timeout=timeout)
        self._policy = policy or RetryPolicy(max_attempts=5, base_seconds=1.0, cap_seconds=60)
        self._sleep = sleep
        self._instance_ok = instance_ok or (lambda url: urlsplit(url).scheme == "https")
        self._token: str | None = None
        self._instance = self._base
        self.api_usage: str | None = None  # the last Sforce-Limit-Info
        self.tokens = 0  # tokens fetched (a renewal after INVALID_SESSION_ID counts)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _assertion(self) -> str:
        """The JWT bearer flow's assertion (RFC 7523 section 2.1; Salesforce: iss = the
        consumer key, sub = the username, aud = the login host, exp within 3 minutes)."""
        now = int(time.time())
        claims = {"iss": self._secret["client_id"], "sub": self._secret["username"],
                  "aud": self._secret.get("audience") or self._base, "exp": now + 180}
        return jwt.encode(claims, self._secret["private_key"], algorithm="RS256")

    def authenticate(self) -> None:
        if self._secret.get("private_key"):
            form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": self._assertion()}
        else:
            form = {"grant_type": "client_credentials",
                    "client_id": self._secret.get("client_id", ""),
                    "client_secret": self._secret.get("client_secret", "")}
        try:
            response = self._http.post(self._base + TOKEN_PATH, data=form)
        except httpx.HTTPError as exc:
            raise SalesforceUnavailable(f"POST {TOKEN_PATH}: {type(exc).__name__}") from None
        if response.status_code >= 400:
            translate(response)  # OAuth errors: {"error", "error_description"}
        body = response.json()
        token, instance = body.get("access_token"), body.get("instance_url") or self._base
        if not token:
            raise SalesforceRefused(f"POST {TOKEN_PATH} answered no access_token", 200, "")
        if not self._instance_ok(str(instance)):
            raise SalesforceRefused(f"the token names instance {instance!r}, which is not "
                                    "https: not used", 200, "")
        self._token, self._instance = str(token), str(instance).rstrip("/")
        self.tokens += 1

    def _url(self, url: str) -> str:
        target = httpx.URL(url)
        if not target.is_absolute_url:
            return self._instance + url
        base = httpx.URL(self._instance)
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            # the bearer token goes with the request: never to another host
            raise SalesforceRefused(f"{target.path}: a link away from {base.host}; not "
                                    "followed", None, "")
        return url

    def get(self, url: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """A GET (idempotent): retried by the policy while Retryable, except the daily
        limit; the token renewed once on 401."""
        if self._token is None:
            self.authenticate()
        attempts, renewed = 0, False
        while True:
            attempts += 1
            try:
                response = self._http.get(
                    self._url(url), params=params,
                    headers={"Authorization": f"Bearer {self._token}",
                             "Sforce-Query-Options": f"batchSize={BATCH_SIZE}"})
                self.api_usage = response.headers.get("Sforce-Limit-Info", self.api_usage)
                if response.status_code == 401 and not renewed:
                    renewed = True
                    self.authenticate()
                    continue
                translate(response)
                return response
            except httpx.HTTPError as exc:
                error: Retryable | Permanent = SalesforceUnavailable(
                    f"GET {httpx.URL(url).path}: {type(exc).__name__}")
            except SalesforceUnavailable as exc:
                if exc.error_code == "REQUEST_LIMIT_EXCEEDED":
                    raise  # a rolling day's limit: waiting seconds here does not help
                error = exc
            decision = self._policy.decide(attempts, error)
            if decision.dead:
                raise error
            self._sleep(decision.delay_seconds)

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        """The records of ``soql``, page by page (``nextRecordsUrl`` until ``done``)."""
        response = self.get(QUERY_PATH, params={"q": soql})
        while True:
            page = response.json()
            if not isinstance(page, dict) or not isinstance(page.get("records"), list):
                raise SalesforceRefused(f"{QUERY_PATH}: not a query answer: "
                                        f"{json.dumps(page)[:120]}", response.status_code, "")
            yield from (r for r in page["records"] if isinstance(r, dict))
            following = page.get("nextRecordsUrl")
            if page.get("done", True) or not following:
                return
            response = self.get(str(following))
