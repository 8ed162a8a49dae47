"""Oracle Fusion Cloud's REST API (ADF REST framework): Basic auth (or an IAM bearer),
``REST-Framework-Version: 4`` on every request so that an error is JSON ``{title, status,
o:errorDetails[{detail, o:errorCode, o:errorPath}]}`` (``error.400.framework_v4.json``); an
answer without it is text/plain (``error.400.default_text.txt``), read too. Collections page
by ``limit``/``offset`` until ``hasMore`` is false (``receivablesInvoices.collection.page.json``).
Sources: ``/work/shared/samples/oracle_fusion/`` and CONNECTORS.md section 3.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ..erp_http import ErpHttp, json_body

ITEM_TYPE = "application/vnd.oracle.adf.resourceitem+json"
PAGE = 100  # rows per page; 500 is the documented-elsewhere maximum (DOC-3P)


def describe(response: httpx.Response) -> tuple[str, bool]:
    body = json_body(response)
    if isinstance(body, dict) and isinstance(body.get("o:errorDetails"), list):
        details = [f"{d.get('detail', '')}" + (f" [{d['o:errorPath']}]"
                                               if d.get("o:errorPath") else "")
                   for d in body["o:errorDetails"]]
        return "; ".join(details) or str(body.get("title") or ""), False
    if isinstance(body, dict) and body.get("title"):
        return str(body.get("detail") or body["title"]), False
    return response.text.strip()[:500] or response.reason_phrase, False


def quote(value: str) -> str:
    """A value in a ``q`` query-by-example: single quotes, doubled inside."""
    return "'" + value.replace("'", "''") + "'"


class FusionRest:
    def __init__(self, url: str, login: str, secret: str, *, bearer: bool = False,
                 version: str = "11.13.18.05", timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"REST-Framework-Version": "4", "Accept": "application/json"}
        auth: httpx.Auth | None = httpx.BasicAuth(login, secret)
        if bearer:
            headers["Authorization"], auth = f"Bearer {secret}", None
        self.api = ErpHttp("Oracle Fusion", url.rstrip("/"), describe, headers=headers,
                           auth=auth, timeout=timeout, transport=transport)
        self.fscm = f"/fscmRestApi/resources/{version}/"
        self.crm = f"/crmRestApi/resources/{version}/"

    def get(self, path: str, **params: Any) -> Any:
        return json_body(self.api.send("GET", path, params=params))

    def create(self, path: str, item: Mapping[str, Any]) -> Any:
        return json_body(self.api.send("POST", path, write=True, json=dict(item),
                                       headers={"Content-Type": ITEM_TYPE}))

    def items(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a collection, ``limit``/``offset`` until ``hasMore`` is false."""
        offset = 0
        while True:
            page = self.get(path, limit=PAGE, offset=offset, onlyData="true", **params) or {}
            rows = page.get("items", [])
            yield from rows
            if not page.get("hasMore") or not rows:
                return
            offset += len(rows)
