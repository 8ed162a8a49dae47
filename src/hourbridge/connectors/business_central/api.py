"""Dynamics 365 Business Central API v2.0 as one HTTP client: Entra ID client credentials,
``@odata.nextLink`` paging, 429 with ``Retry-After``, and ``{"error": {"code", "message"}}``
answers translated once.

Auth (sample ``business_central/requests.http``): ``POST {token_url}`` with
``grant_type=client_credentials``, ``client_id``, ``client_secret`` and ``scope``
(``https://api.businesscentral.dynamics.com/.default``); the token is kept until a minute
before ``expires_in`` runs out and fetched again once when a request answers 401.

Limits (``administration/operational-limits-online.md``; the stricter of the two documents):
600 requests a minute and 5 in flight per user, so a client holds at most ``limit`` requests
at once; 429 (body ``TooManyRequests``) is retried after ``Retry-After`` (when present; its
presence is not verified) a few times before the worker's own back-off takes over.

Errors (``dynamics_error_codes.md``, samples ``error.*.json``): ``Application_*`` and
``BadRequest_*`` are BC refusing the request (its message kept, ``CorrelationId`` and all);
``Request_EntityChanged`` (409) may pass on a retry; a 5xx, 408 or a lost answer to a write
leaves its effect unknown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from hourbridge.errors import Permanent, Retryable

from ..erp_http import TokenCache
from ..http import USER_AGENT, UnknownOutcome, retry_after

SCOPE = "https://api.businesscentral.dynamics.com/.default"
TRIES = 4


class BcRefused(Permanent):
    """Business Central refused the request for good; the message is its own."""

    code = "erp_refused"

    def __init__(self, message: str, status: int | None = None, error: str = "") -> None:
        super().__init__(message)
        self.status, self.error = status, error


class BcUnavailable(Retryable):
    code = "erp_unavailable"


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
        err = body.get("error") or {}
        return str(err.get("code") or ""), str(err.get("message") or body)
    except (ValueError, AttributeError):
        return "", response.text[:300]


class BcApi:
    """One Business Central environment as one Entra ID application."""

    def __init__(self, url: str, token_url: str, client_id: str, secret: str, *,
                 scope: str = SCOPE, limit: int = 5, page_size: int = 500,
                 timeout: float = 30.0, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  headers={"User-Agent": USER_AGENT})
        self._token_url, self._client_id, self._secret = token_url, client_id, secret
        self._scope, self.page_size = scope, page_size
        self._gate = threading.BoundedSemaphore(limit)
        self._clock, self._sleep = clock, sleep
        self._tokens = TokenCache(self._fetch_token, clock=clock)

    def close(self) -> None:
        self._http.close()

    def token(self, fresh: bool = False) -> str:
        return self._tokens.get(fresh)

    def _fetch_token(self) -> tuple[str, float]:
        try:
            response = self._http.post(self._token_url, data={
                "grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._secret, "scope": self._scope})
        except httpx.HTTPError as exc:
            raise BcUnavailable(f"Entra ID token: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise BcUnavailable(f"Entra ID token answered {response.status_code}",
                                retry_after(response))
        if response.status_code >= 400:
            raise BcRefused(f"Entra ID refused the client {self._client_id} "
                            f"({response.status_code})", response.status_code)
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in") or 3600)

    def request(self, method: str, path: str, *, json: Any = None,
                params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None,
                idempotent: bool | None = None) -> httpx.Response:
        """One request (``path`` under the API base, or an absolute next link).
        ``idempotent`` defaults to true for GET; a write's lost answer is UnknownOutcome."""
        safe = method == "GET" if idempotent is None else idempotent
        url = path if path.startswith("http") else self.url + path
        if not url.startswith(self.url):
            raise BcRefused(f"Business Central: a next link leaves {self.url}; not followed")
        where = f"Business Central {method} {httpx.URL(url).path}"
        fresh = False
        for attempt in range(1, TRIES + 1):
            response: httpx.Response | None = None
            with self._gate:
                auth = {"Authorization": f"Bearer {self.token(fresh)}"}
                try:
                    response = self._http.request(method, url, json=json, params=params,
                                                  headers={**auth, **(headers or {})})
                except httpx.HTTPError as exc:
                    if not safe:
                        raise UnknownOutcome(f"{where}: {type(exc).__name__}; look the record "
                                             "up before sending it again") from exc
                    error: Retryable = BcUnavailable(f"{where}: {type(exc).__name__}")
            if response is not None:
                status = response.status_code
                if status < 400:
                    return response
                code, message = _error(response)
                if status == 401 and not fresh:
                    fresh = True
                    continue
                if status == 429:  # refused at the door: nothing was done
                    error = BcUnavailable(f"{where} answered 429 {code}: {message}",
                                          retry_after(response))
                elif status == 409 and code == "Request_EntityChanged":
                    error = BcUnavailable(f"{where}: {code}: {message}")
                elif status >= 500 or status == 408:
                    if not safe:
                        raise UnknownOutcome(f"{where} answered {status} {code}: {message}")
                    error = BcUnavailable(f"{where} answered {status} {code}")
                else:
                    raise BcRefused(f"{where} answered {status} {code}: {message}", status,
                                    code)
            if attempt == TRIES:
                break
            delay = error.retry_after if error.retry_after is not None else 0.2 * attempt
            self._sleep(min(delay, 5.0))
        raise error

    def rows(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[
            dict[str, Any]]:
        """Every row of a collection, following ``@odata.nextLink`` verbatim."""
        prefer = {"Prefer": f"odata.maxpagesize={self.page_size}"}
        page = self.request("GET", path, params=params, headers=prefer).json()
        while True:
            yield from page.get("value") or []
            following = page.get("@odata.nextLink")
            if not following:
                return
            page = self.request("GET", following, headers=prefer).json()
