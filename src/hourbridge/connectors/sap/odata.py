"""SAP S/4HANA Cloud's OData services (V2 ``/sap/opu/odata/sap/<SERVICE>/`` and V4
``/sap/opu/odata4/sap/<service>/srvd_a2x/sap/<name>/0001/``) as one communication user
(Basic auth, per communication arrangement), with SAP's CSRF protection: a modifying request
carries a token fetched by a safe request (``x-csrf-token: Fetch``) in the same session (its
cookies); a 403 "CSRF token validation failed" (``x-csrf-token: Required``) fetches a new one
and sends the request once more (``csrf.fetch_and_post.http``).

Errors: V2 ``{error{code, message{lang, value}, innererror{errordetails[]}}}``
(``error.odata_v2.json``), V4 ``{error{code, message, target, details[]}}``
(``error.odata_v4.json``; INF), both read into one message; paging by V2 ``d.__next`` and V4
``@odata.nextLink`` (``collection.odata_v4.page.json``). Sources:
``/work/shared/samples/sap_s4hana/`` and CONNECTORS.md section 4.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ..erp_http import ErpHttp, ErpRefused, json_body

CSRF = "x-csrf-token"


def describe(response: httpx.Response) -> tuple[str, bool]:
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return _soap_fault(response.text) or response.text.strip()[:300] or \
            response.reason_phrase, _soap_fault(response.text) is not None
    message = error.get("message")
    if isinstance(message, dict):  # V2
        message = message.get("value")
    details = error.get("details") or (error.get("innererror") or {}).get("errordetails") or []
    texts = [str(message or "")] + [str(d.get("message")) for d in details
                                    if d.get("message") and d.get("message") != message]
    code = error.get("code")
    return (f"{code}: " if code else "") + "; ".join(t for t in texts if t), False


def _soap_fault(text: str) -> str | None:
    """A SOAP Fault's ``faultstring``: the SOAP runtime refused the message as it is."""
    if "Fault" not in text:
        return None
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    found = root.find(".//faultstring")
    return (found.text or "SOAP Fault").strip() if found is not None else None


class SapOData:
    """The OData half of one S/4HANA Cloud tenant, CSRF tokens kept per service root."""

    def __init__(self, api: ErpHttp) -> None:
        self.api = api
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self.fetched = 0

    def _token(self, root: str, fresh: bool = False) -> str:
        with self._lock:
            if fresh or root not in self._tokens:
                response = self.api.send("GET", root, headers={CSRF: "Fetch",
                                                               "Accept": "application/json"})
                token = response.headers.get(CSRF, "")
                if not token or token.lower() == "required":
                    raise ErpRefused(f"SAP gave no CSRF token for {root}")
                self._tokens[root] = token
                self.fetched += 1
            return self._tokens[root]

    def post(self, root: str, path: str, body: Mapping[str, Any]) -> Any:
        """A modifying request with the CSRF token (fetched again once when refused)."""
        for attempt in (0, 1):
            token = self._token(root, fresh=attempt == 1)
            try:
                answer = self.api.send("POST", root + path, write=True, json=dict(body),
                                       headers={CSRF: token, "Accept": "application/json"})
            except ErpRefused as exc:
                if attempt == 0 and exc.status == 403 and exc.headers.get(
                        CSRF, "").lower() == "required":
                    continue  # the token expired with the session: one fresh token
                raise
            return json_body(answer)
        raise AssertionError("unreachable")

    def rows(self, root: str, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every row of a V2 or V4 collection, following ``d.__next`` / ``@odata.nextLink``
        (relative to the service root, or absolute on this host only)."""
        url: str | None = root + path
        query: dict[str, Any] | None = {**params, "$format": "json"} if "/odata/" in root \
            else dict(params)
        while url is not None:
            body = json_body(self.api.send("GET", url, params=query,
                                           headers={"Accept": "application/json"})) or {}
            if "d" in body:  # V2
                data = body["d"]
                yield from data.get("results", []) if isinstance(data, dict) else data
                following = data.get("__next") if isinstance(data, dict) else None
            else:
                yield from body.get("value", [])
                following = body.get("@odata.nextLink")
            query = None
            if following is None:
                url = None
            elif following.startswith(("http://", "https://")):
                if httpx.URL(following).host != self.api.http.base_url.host:
                    raise ErpRefused("SAP paging link leaves the tenant; not followed")
                url = following
            else:
                url = root + following
