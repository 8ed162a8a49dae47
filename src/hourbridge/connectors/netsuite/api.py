"""NetSuite SuiteTalk REST (record service v1) as one HTTP client: OAuth 2.0 machine-to-machine
auth, the account's concurrency limit, and ``o:errorDetails`` answers translated once.

Auth (NetSuite Help ``section_162755359851``, sample ``auth.oauth2_m2m.*``): a JWT client
assertion (header ``kid`` = the certificate id; claims ``iss`` = the integration's client id,
``scope``, ``aud`` = the token URL, ``iat``, ``exp`` at most 60 minutes later) signed with the
certificate's private key (PS256 unless the connection names another algorithm: Oracle's own
example shows RS256) is exchanged at ``POST /services/rest/auth/oauth2/v1/token``
(``grant_type=client_credentials``) for an access token of ``expires_in`` seconds and no
refresh token; it is kept until a minute before it expires, and fetched again once if a
request answers 401.

Concurrency: NetSuite has no per-minute quota but an account-wide limit on requests in flight
shared by every integration; each client holds at most ``limit`` (the integration's share) at
once, and a refusal of the limit (429, ``CONCURRENCY_LIMIT_EXCEEDED``,
``SSS_REQUEST_LIMIT_EXCEEDED``...) is retried here after ``Retry-After`` or a short back-off.

Errors (Help ``section_156570709583``, samples ``error.*.json``): ``{type, title, status,
o:errorDetails: [{detail, o:errorCode, o:errorPath}]}``; a 4xx is the ERP refusing the request
(its own detail kept), a 5xx or a lost answer to a write leaves its effect unknown.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import jwt

from hourbridge.errors import Permanent, Retryable

from ..erp_http import TokenCache
from ..http import USER_AGENT, UnknownOutcome, retry_after

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
THROTTLED = ("CONCURRENCY_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED",
             "WS_CONCUR_SESSION_DISALLWD", "WS_REQUEST_BLOCKED")
TRIES = 4  # a throttled request is sent at most this often before the worker retries it


class NetSuiteRefused(Permanent):
    """NetSuite refused the request for good; the message is its own ``detail``."""

    code = "erp_refused"

    def __init__(self, message: str, status: int | None = None,
                 codes: tuple[str, ...] = (), location: str | None = None) -> None:
        super().__init__(message)
        self.status, self.codes, self.location = status, codes, location


class NetSuiteUnavailable(Retryable):
    code = "erp_unavailable"


def details(response: httpx.Response) -> tuple[str, tuple[str, ...]]:
    """(the readable details, their error codes) of an error answer."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300], ()
    if not isinstance(body, Mapping):
        return str(body)[:300], ()
    items = body.get("o:errorDetails") or []
    codes = tuple(str(d.get("o:errorCode", "")) for d in items)
    text = "; ".join(
        f"{d.get('o:errorCode', '?')}: {d.get('detail', '')}"
        + (f" ({d['o:errorPath']})" if d.get("o:errorPath") else "") for d in items)
    return text or str(body.get("title") or body.get("error") or "error"), codes


class NetSuiteApi:
    """One NetSuite account as one integration (client id + certificate)."""

    def __init__(self, url: str, client_id: str, certificate_id: str, private_key: str, *,
                 algorithm: str = "PS256", scope: str = "rest_webservices", limit: int = 5,
                 timeout: float = 30.0, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout,
                                  transport=transport, headers={"User-Agent": USER_AGENT})
        self.url = url.rstrip("/")
        self._client_id, self._kid, self._key = client_id, certificate_id, private_key
        self._algorithm, self._scope = algorithm, scope
        self._gate = threading.BoundedSemaphore(limit)
        self._clock, self._sleep = clock, sleep
        self._tokens = TokenCache(self._fetch_token, clock=clock)

    def close(self) -> None:
        self._http.close()

    def token(self, fresh: bool = False) -> str:
        """The access token, fetched when there is none or it is about to expire."""
        return self._tokens.get(fresh)

    def _fetch_token(self) -> tuple[str, float]:
        now = self._clock()
        audience = self.url + TOKEN_PATH
        try:
            assertion = jwt.encode(
                {"iss": self._client_id, "scope": self._scope.split(","), "aud": audience,
                 "iat": int(now), "exp": int(now) + 3600},
                self._key, algorithm=self._algorithm, headers={"kid": self._kid})
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise NetSuiteRefused(f"NetSuite: the certificate's private key cannot sign the "
                                  f"client assertion ({type(exc).__name__})") from exc
        try:
            response = self._http.post(TOKEN_PATH, data={
                "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion})
        except httpx.HTTPError as exc:
            raise NetSuiteUnavailable(f"NetSuite token: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise NetSuiteUnavailable(f"NetSuite token answered {response.status_code}",
                                      retry_after(response))
        if response.status_code >= 400:
            text, _ = details(response)
            raise NetSuiteRefused(f"NetSuite refused the client assertion of {self._client_id}"
                                  f" ({response.status_code}: {text})", response.status_code)
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in") or 3600)

    def request(self, method: str, path: str, *, json: Any = None,
                params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None,
                idempotent: bool = True) -> httpx.Response:
        """One request within the concurrency share. ``idempotent``: safe to send again (a
        read, or an upsert by external id); otherwise a lost answer is ``UnknownOutcome``."""
        where = f"NetSuite {method} {path}"
        fresh = False
        for attempt in range(1, TRIES + 1):
            with self._gate:
                auth = {"Authorization": f"Bearer {self.token(fresh)}"}
                try:
                    response = self._http.request(method, path, json=json, params=params,
                                                  headers={**auth, **(headers or {})})
                except httpx.HTTPError as exc:
                    if not idempotent:
                        raise UnknownOutcome(f"{where}: {type(exc).__name__}; look the record "
                                             "up before sending it again") from exc
                    error: Retryable = NetSuiteUnavailable(f"{where}: {type(exc).__name__}")
                    response = None
            if response is not None:
                status = response.status_code
                if status < 400:
                    return response
                text, codes = details(response)
                if status == 401 and not fresh:  # the token may have been revoked
                    fresh = True
                    continue
                if status == 429 or status == 503 or set(codes) & set(THROTTLED):
                    error = NetSuiteUnavailable(f"{where} answered {status}: {text}",
                                                retry_after(response))
                elif status >= 500:
                    if not idempotent:
                        raise UnknownOutcome(f"{where} answered {status}: {text}")
                    error = NetSuiteUnavailable(f"{where} answered {status}: {text}")
                else:
                    raise NetSuiteRefused(f"{where} answered {status}: {text}", status, codes,
                                          response.headers.get("Location"))
            if attempt == TRIES:
                break
            delay = error.retry_after if error.retry_after is not None else 0.2 * attempt
            self._sleep(min(delay, 5.0))
        raise error


def idempotency_key(external_id: str) -> str:
    """The same key for every attempt at one document: a retried async request is the same
    request (NetSuite answers the first one's job)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hourbridge:{external_id}"))
