"""What the cloud ERP sinks (``d365_fo``, ``oracle_fusion``, ``sap``) share: one httpx client
per destination that turns a failed answer into ``errors.Retryable`` / ``errors.Permanent`` /
``http.UnknownOutcome`` once, and the short reference a document carries in an ERP whose
reference fields are shorter than our external ids.

The rules (DESIGN section 4, point 3): a request refused at the door (429, 503, a connection
never made) did nothing and may be retried; a *write* whose answer is lost (a timeout, a
dropped connection, a gateway's 502/504) may have committed, so it is never sent again
blindly: the caller looks the document up by its reference first. Each ERP reads its own error
body (``describe``): the message kept is the ERP's own.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from hourbridge.errors import Permanent, Retryable

from .http import USER_AGENT, UnknownOutcome, retry_after

REFERENCE_LENGTH = 16  # SAP's DocumentReferenceID (XBLNR), the shortest reference field


class ErpRefused(Permanent):
    """The ERP refused the document for good; the message is the ERP's own (``status`` and
    ``headers``: the answer's, when it was an HTTP answer)."""

    code = "erp_refused"

    def __init__(self, message: str, status: int | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}


class ErpUnavailable(Retryable):
    code = "erp_unavailable"


def reference(external_id: str, length: int = REFERENCE_LENGTH) -> str:
    """The deterministic reference of ``external_id`` in an ERP field of ``length``
    characters: ``HB`` and a digest (56 bits at 16 characters), upper case because SAP and
    Oracle upper-case references on the screen."""
    return "HB" + hashlib.sha256(external_id.encode()).hexdigest()[:length - 2].upper()


class TokenCache:
    """An OAuth 2.0 access token (client credentials or a JWT client assertion, RFC 6749
    section 4.4 / RFC 7523) kept until ``margin`` seconds before its ``expires_in`` runs
    out, shared by threads: ``fetch`` asks the ERP's token endpoint and returns the token and
    its lifetime in seconds; ``get(fresh=True)`` fetches a new one (after a 401: revoked or
    expired early). NetSuite, Business Central and F&O keep theirs here."""

    def __init__(self, fetch: Callable[[], tuple[str, float]], *,
                 clock: Callable[[], float] = time.monotonic, margin: float = 60.0) -> None:
        self._fetch, self._clock, self._margin = fetch, clock, margin
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()
        self.fetched = 0

    def get(self, fresh: bool = False) -> str:
        with self._lock:
            if fresh or self._token is None or self._clock() >= self._expires:
                token, lifetime = self._fetch()
                self._token, self.fetched = token, self.fetched + 1
                self._expires = self._clock() + lifetime - self._margin
            return self._token


def odata_quote(value: str) -> str:
    """A string literal in an OData ``$filter`` (a quote doubled, OData ABNF)."""
    return "'" + value.replace("'", "''") + "'"


# (response) -> the ERP's own message, and whether the answer means "refused for good" even
# though its status is 5xx (F&O answers 500 to a validation failure)
Describe = Callable[[httpx.Response], tuple[str, bool]]


class ErpHttp:
    """One ERP's HTTP API: ``send`` returns a 2xx/3xx answer or raises the error it means."""

    def __init__(self, name: str, base_url: str, describe: Describe, *,
                 headers: Mapping[str, str] | None = None, auth: httpx.Auth | None = None,
                 timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport,
                                 auth=auth, headers={"User-Agent": USER_AGENT,
                                                     **(headers or {})})
        self._describe = describe

    def close(self) -> None:
        self.http.close()

    def send(self, method: str, url: str, *, write: bool = False,
             headers: Mapping[str, str] | None = None, **kw: Any) -> httpx.Response:
        where = f"{self.name} {method} {httpx.URL(url).path}"
        try:
            response = self.http.request(method, url, headers=headers, **kw)
        except httpx.ConnectError as exc:  # never reached the ERP: nothing was done
            raise ErpUnavailable(f"{where}: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            if write:
                raise UnknownOutcome(f"{where}: {type(exc).__name__}; look the document up "
                                     "before sending it again") from exc
            raise ErpUnavailable(f"{where}: {type(exc).__name__}") from exc
        self.check(response, where, write)
        return response

    def check(self, response: httpx.Response, where: str, write: bool) -> None:
        status = response.status_code
        if status < 400:
            return
        if status in (429, 503):  # refused at the door (throttling): nothing was done
            raise ErpUnavailable(f"{where} answered {status}", retry_after(response))
        message, refused = self._describe(response)
        if status >= 500 and not refused:
            if write:  # a gateway's 502/504 may follow a commit
                raise UnknownOutcome(f"{where} answered {status}: {message}")
            raise ErpUnavailable(f"{where} answered {status}: {message}",
                                 retry_after(response))
        raise ErpRefused(f"{where} answered {status}: {message}", status, response.headers)


def json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
