"""Dynamics 365 Finance & Operations' OData service (``/data/``): an Entra ID client-credentials
token kept until shortly before it expires, F&O's error body read once, server-driven paging
by ``@odata.nextLink``, and ``$batch`` with one atomic changeset (``multipart/mixed``).

Sources (``/work/shared/samples/d365_finance_ops/``, CONNECTORS.md section 2a): the token
request and ``$batch`` in ``requests.http``; the error envelope ``{"error": {"code",
"message", "innererror": {"message", "type", "stacktrace"}}}`` in ``error.500.write_failed.json``
(F&O answers **500 even to a validation failure**: "An error has occurred." outside, the
Infolog inside; in ``$batch`` the outer answer is 200 and the failed changeset carries it);
429 with ``Retry-After`` in ``error.429.throttled.json``; ``cross-company=true`` and paging in
``collection.ledgerJournalLines.page.json``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx

from ..erp_http import ErpHttp, ErpRefused, ErpUnavailable, TokenCache, json_body
from ..http import USER_AGENT, UnknownOutcome, retry_after

WRITE_FAILED = "AxODataWriteException"
EXPIRY_MARGIN = 60.0  # seconds before expiry a token is renewed: a request takes time


def describe(response: httpx.Response) -> tuple[str, bool]:
    """F&O's own message, and whether a 5xx is really a refusal (a write that failed
    validation: ``AxODataWriteException``, "Write failed for table row ... Infolog: ...")."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return response.text[:300] or response.reason_phrase, False
    inner = error.get("innererror") or {}
    inner_message = str(inner.get("message") or "")
    refused = WRITE_FAILED in str(inner.get("type") or "") or inner_message.startswith(
        "Write failed")
    return inner_message or str(error.get("message") or ""), refused


class EntraToken(httpx.Auth):
    """``Authorization: Bearer`` from Entra ID's client-credentials grant, fetched once and
    kept until ``EXPIRY_MARGIN`` before ``expires_in`` runs out (shared by threads)."""

    def __init__(self, token_url: str, client_id: str, secret: str, scope: str, *,
                 timeout: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.token_url, self.client_id, self.scope = token_url, client_id, scope
        self._secret, self._timeout = secret, timeout
        self._tokens = TokenCache(self._fetch, clock=clock, margin=EXPIRY_MARGIN)

    @property
    def fetched(self) -> int:
        return self._tokens.fetched

    def token(self, fresh: bool = False) -> str:
        return self._tokens.get(fresh)

    def _fetch(self) -> tuple[str, float]:
        try:
            response = httpx.post(self.token_url, timeout=self._timeout, data={
                "grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self._secret, "scope": self.scope},
                headers={"User-Agent": USER_AGENT})
        except httpx.HTTPError as exc:
            raise ErpUnavailable(f"Entra ID token: {type(exc).__name__}") from exc
        if response.status_code in (429, 503) or response.status_code >= 500:
            raise ErpUnavailable(f"Entra ID token answered {response.status_code}",
                                 retry_after(response))
        body = json_body(response) or {}
        if response.status_code >= 400 or "access_token" not in body:
            # AADSTS codes say why (a wrong secret, an unknown client); never the secret
            raise ErpRefused(f"Entra ID refused the client {self.client_id!r}: "
                             f"{body.get('error_description') or body.get('error') or ''}"
                             .strip())
        return str(body["access_token"]), float(body.get("expires_in", 3599))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response,
                                                               None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:  # revoked or expired early: one fresh token
            request.headers["Authorization"] = f"Bearer {self.token(fresh=True)}"
            yield request


@dataclass(frozen=True, slots=True)
class Change:
    """One request of a changeset; ``url`` may start with ``$<n>``: the entity created by the
    n-th request of the same changeset (OData 4.0 Part 1, 11.7.3.1)."""

    method: str
    url: str
    body: Mapping[str, Any]


def batch_body(changes: list[Change], boundary: str) -> bytes:
    """A ``$batch`` request with one changeset holding ``changes`` (all or nothing)."""
    import json

    changeset = f"changeset_{boundary}"
    out = [f"--batch_{boundary}",
           f"Content-Type: multipart/mixed; boundary={changeset}", ""]
    for n, ch in enumerate(changes, 1):
        out += [f"--{changeset}", "Content-Type: application/http",
                "Content-Transfer-Encoding: binary", f"Content-ID: {n}", "",
                f"{ch.method} {ch.url} HTTP/1.1", "Content-Type: application/json",
                "Accept: application/json", "", json.dumps(ch.body)]
    out += [f"--{changeset}--", f"--batch_{boundary}--", ""]
    return "\r\n".join(out).encode()


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: Any


def batch_answers(response: httpx.Response) -> list[Answer]:
    """Every inner answer of a ``$batch`` response, in order (changesets flattened)."""
    head = f"Content-Type: {response.headers.get('Content-Type', '')}\r\n\r\n".encode()
    message = message_from_bytes(head + response.content)
    return list(_answers(message))


def _answers(part: Message) -> Iterator[Answer]:
    import json

    if part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _answers(sub)
        return
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes) or not raw.strip():
        return
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    status_line, *header_lines = head.decode().split("\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (h.partition(":") for h in header_lines if ":" in h)}
    try:
        data = json.loads(body) if body.strip() else None
    except ValueError:
        data = body.decode(errors="replace")
    yield Answer(int(status_line.split()[1]), headers, data)


class FnoOData:
    """One F&O environment: ``/data/`` entities read across companies, ``$batch`` writes."""

    def __init__(self, url: str, auth: EntraToken, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.api = ErpHttp("D365 F&O", url.rstrip("/") + "/data/", describe, auth=auth,
                           timeout=timeout, transport=transport,
                           headers={"Accept": "application/json", "OData-Version": "4.0"})
        self._boundary = 0
        self._lock = threading.Lock()

    def rows(self, entity: str, filter_: str, select: str | None = None,
             top: int | None = None) -> Iterator[dict[str, Any]]:
        """Every row of ``entity`` matching ``filter_`` in every company it names, page by
        page (``@odata.nextLink`` followed verbatim, on this host only)."""
        params: dict[str, Any] | None = {"cross-company": "true", "$filter": filter_}
        assert params is not None
        if select:
            params["$select"] = select
        if top:
            params["$top"] = top
        url: str | None = entity
        while url is not None:
            body = json_body(self.api.send("GET", url, params=params)) or {}
            yield from body.get("value", [])
            url, params = body.get("@odata.nextLink"), None
            if url and httpx.URL(url).host not in ("", self.api.http.base_url.host):
                raise ErpRefused(f"D365 F&O paging link leaves {self.api.http.base_url.host}")

    def batch(self, changes: list[Change]) -> list[Answer]:
        """Send ``changes`` as one atomic changeset; the created entities, in order. A
        failed changeset changed nothing: its error is the ERP's refusal (or retryable)."""
        with self._lock:
            self._boundary += 1
            boundary = f"hb{id(self):x}{self._boundary}"
        response = self.api.send(
            "POST", "$batch", write=True, content=batch_body(changes, boundary),
            headers={"Content-Type": f"multipart/mixed; boundary=batch_{boundary}"})
        answers = batch_answers(response)
        for answer in answers:
            if answer.status >= 400:
                message, refused = describe(httpx.Response(answer.status, json=answer.body))
                if answer.status in (429, 503) or (answer.status >= 500 and not refused):
                    raise ErpUnavailable(f"D365 F&O $batch changeset answered "
                                         f"{answer.status}: {message}")
                raise ErpRefused(f"D365 F&O $batch changeset answered {answer.status}: "
                                 f"{message}")
        if len(answers) != len(changes):
            raise UnknownOutcome(f"D365 F&O $batch answered {len(answers)} of "
                                 f"{len(changes)} changes")
        return answers
