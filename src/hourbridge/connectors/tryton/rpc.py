"""Tryton 7.0's JSON-RPC: ``POST /<database>/`` with ``{"id", "method", "params"}``;
``common.db.login(login, {"password": ...}, language)`` gives ``[user id, session]``, sent
back as ``Authorization: Session base64(login:user id:session)``; ``model.<name>.<method>``
takes its positional arguments and the context last (``trytond/protocols/jsonrpc.py``,
``trytond/protocols/dispatcher.py``).

Values travel in Tryton's JSON: a decimal as ``{"__class__": "Decimal", "decimal": "1.10"}``,
a date as ``{"__class__": "date", "year", "month", "day"}``; never a float, so amounts arrive
to the cent.

An error answers HTTP 200 with ``{"error": [name, args]}`` (``UserError``, ``UserWarning``,
``ConcurrencyException``, ``AccessError``...; the transaction rolled back: nothing was done)
or ``[message, traceback]`` for a crash; 401 an expired session (logged in again once); 429 /
503 the door closed (nothing done); other 5xx may follow a commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import httpx

from hourbridge.errors import Permanent, Retryable

from ..http import USER_AGENT, UnknownOutcome, retry_after


class ErpRefused(Permanent):
    """The ERP refused the document for good; the message is the ERP's own."""

    code = "erp_refused"


class ErpUnavailable(Retryable):
    code = "erp_unavailable"


class TrytonWarning(Permanent):
    """A ``UserWarning``: Tryton asks a person to confirm (its ``name`` is the key)."""

    code = "erp_refused"

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def encode(value: Any) -> Any:
    """``value`` in Tryton's JSON (decimals and dates as tagged objects)."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dt.datetime):
        raise TypeError("datetimes are not sent to Tryton")
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month,
                "day": value.day}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        tag = value.get("__class__")
        if tag == "Decimal":
            return Decimal(value["decimal"])
        if tag == "date":
            return dt.date(value["year"], value["month"], value["day"])
        if tag == "datetime":
            return dt.datetime(value["year"], value["month"], value["day"], value["hour"],
                               value["minute"], value["second"], value.get("microsecond", 0))
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


class TrytonRpc:
    """One Tryton database as one user (login and password)."""

    def __init__(self, url: str, database: str, login: str, password: str, *,
                 timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/") + f"/{database}/", timeout=timeout,
                                  transport=transport, headers={"User-Agent": USER_AGENT})
        self.database, self.login, self._password = database, login, password
        self._auth: str | None = None
        self.user: int | None = None
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def _login(self) -> str:
        result = self._post("common.db.login", [self.login, {"password": self._password},
                                                "en"], auth=None, write=False)
        if not result:
            raise ErpRefused(f"Tryton refused the login {self.login!r} on {self.database!r}")
        self.user, session = int(result[0]), str(result[1])
        token = base64.b64encode(f"{self.login}:{self.user}:{session}".encode()).decode()
        self._auth = f"Session {token}"
        return self._auth

    def call(self, method: str, *args: Any, write: bool = False) -> Any:
        """``method`` (``model.account.invoice.create``...) with ``args`` (the context last).
        ``write``: its effect is unknown when the answer is lost."""
        auth = self._auth or self._login()
        try:
            return self._post(method, list(args), auth=auth, write=write)
        except _Expired:
            self._auth = None
            return self._post(method, list(args), auth=self._login(), write=write)

    def _post(self, method: str, params: list[Any], *, auth: str | None, write: bool) -> Any:
        body = {"id": next(self._ids), "method": method, "params": encode(params)}
        headers = {"Authorization": auth} if auth else {}
        try:
            response = self._http.post("", json=body, headers=headers)
        except httpx.HTTPError as exc:
            if write:
                raise UnknownOutcome(f"Tryton {method}: {type(exc).__name__}; look the "
                                     "document up before sending it again") from exc
            raise ErpUnavailable(f"Tryton {method}: {type(exc).__name__}") from exc
        status = response.status_code
        if status == 401 and auth is not None:
            raise _Expired()
        if status in (429, 503):  # refused at the door: nothing was done
            raise ErpUnavailable(f"Tryton {method} answered {status}", retry_after(response))
        if status >= 500:
            if write:
                raise UnknownOutcome(f"Tryton {method} answered {status}")
            raise ErpUnavailable(f"Tryton {method} answered {status}", retry_after(response))
        if status >= 400:
            raise ErpRefused(f"Tryton {method} answered {status}")
        payload = response.json()
        error = payload.get("error")
        if error:
            raise _error(method, error)
        return decode(payload.get("result"))


class _Expired(Exception):
    """401: the session expired or was never valid; log in again."""


def _error(method: str, error: Any) -> Exception:
    name = str(error[0]) if isinstance(error, list) and error else "error"
    args = error[1] if isinstance(error, list) and len(error) > 1 else []
    if name == "UserWarning" and isinstance(args, list) and len(args) >= 2:
        return TrytonWarning(str(args[0]), f"Tryton {method}: UserWarning: {args[1]}")
    if name == "ConcurrencyException":  # another writer: a second try may pass
        return ErpUnavailable(f"Tryton {method}: {name}: {args}")
    if isinstance(args, list) and args and name in ("UserError", "AccessError",
                                                      "LoginException", "RateLimitException"):
        message = str(args[0]) + (f" {args[1]}" if len(args) > 1 and args[1] else "")
        return ErpRefused(f"Tryton {method}: {name}: {message}")
    if isinstance(args, str):  # an unexpected crash: (message, traceback)
        return ErpRefused(f"Tryton {method}: {name}")
    return ErpRefused(f"Tryton {method}: {name}: {args}")
