"""Odoo's external API over JSON-RPC: ``POST /jsonrpc`` with ``{"jsonrpc": "2.0", "method":
"call", "params": {"service", "method", "args"}}``; ``common.authenticate`` gives the user id,
``object.execute_kw(db, uid, password_or_api_key, model, method, args, kwargs)`` runs an ORM
method (Odoo 17 external API, https://www.odoo.com/documentation/17.0/developer/reference/
external_api.html; the JSON-RPC transport is ``odoo/http.py`` ``JsonRPCDispatcher``).

Never XML-RPC: a method that returns nothing (``action_post``) commits and then fails to
marshal ``None`` over XML-RPC, so a posted invoice would read as an error.

An Odoo error answers HTTP 200 with ``{"error": {"code": 200, "message": "Odoo Server Error",
"data": {"name": "odoo.exceptions.ValidationError", "message": ..., "debug": ...}}}``
(``odoo.http.serialize_exception``); the request's transaction was rolled back, so its effect
is known: none. A serialization failure (two writers) may pass on a retry; any other error is
the ERP refusing the document, kept with its own message.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from hourbridge.errors import Permanent, Retryable

from ..http import USER_AGENT, UnknownOutcome, retry_after

# Odoo error names a second try may get past (PostgreSQL serialization/lock failures)
TRANSIENT = ("SerializationFailure", "TransactionRollbackError", "LockNotAvailable",
             "OperationalError")


class ErpRefused(Permanent):
    """The ERP refused the document for good; the message is the ERP's own."""

    code = "erp_refused"


class ErpUnavailable(Retryable):
    code = "erp_unavailable"


class OdooRpc:
    """One Odoo database as one user (an API key in place of the password)."""

    def __init__(self, url: str, database: str, login: str, secret: str, *,
                 timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=url, timeout=timeout, transport=transport,
                                  headers={"User-Agent": USER_AGENT})
        self.database, self.login, self._secret = database, login, secret
        self._uid: int | None = None
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def call(self, service: str, method: str, *args: Any, write: bool = False) -> Any:
        """One JSON-RPC call. ``write``: its effect is unknown when the answer is lost."""
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                "params": {"service": service, "method": method, "args": list(args)}}
        where = f"{service}.{method}" if service != "object" else f"{args[3]}.{args[4]}"
        try:
            response = self._http.post("/jsonrpc", json=body)
        except httpx.HTTPError as exc:
            if write:
                raise UnknownOutcome(f"Odoo {where}: {type(exc).__name__}; look the "
                                     "document up before sending it again") from exc
            raise ErpUnavailable(f"Odoo {where}: {type(exc).__name__}") from exc
        status = response.status_code
        if status == 429 or status == 503:  # refused at the door: nothing was done
            raise ErpUnavailable(f"Odoo {where} answered {status}", retry_after(response))
        if status >= 500:
            if write:  # a gateway's 502/504 may follow a commit
                raise UnknownOutcome(f"Odoo {where} answered {status}")
            raise ErpUnavailable(f"Odoo {where} answered {status}", retry_after(response))
        if status >= 400:
            raise ErpRefused(f"Odoo {where} answered {status}")
        payload = response.json()
        error = payload.get("error")
        if error:
            data = error.get("data") or {}
            name = str(data.get("name") or error.get("message") or "error")
            message = str(data.get("message") or error.get("message") or name)
            if any(t in name for t in TRANSIENT):
                raise ErpUnavailable(f"Odoo {where}: {name}: {message}")
            raise ErpRefused(f"Odoo {where}: {name.rsplit('.', 1)[-1]}: {message}")
        return payload.get("result")

    def uid(self) -> int:
        if self._uid is None:
            uid = self.call("common", "authenticate", self.database, self.login, self._secret,
                            {})
            if not uid:  # Odoo answers false for a wrong login or key
                raise ErpRefused(f"Odoo refused the login {self.login!r} on "
                                 f"{self.database!r}")
            self._uid = int(uid)
        return self._uid

    def execute(self, model: str, method: str, args: list[Any],
                kwargs: dict[str, Any] | None = None, *, write: bool = False) -> Any:
        return self.call("object", "execute_kw", self.database, self.uid(), self._secret,
                         model, method, args, kwargs or {}, write=write)
