"""Salesforce as the deals use cases see it (``services.ports.deals.CrmGateway``): secrets
sealed like every connection's (Fernet, ``HOURBRIDGE_SECRET_KEY``), won opportunities read
with their line items and accounts (one query of each per page of opportunities), and
pushed events verified and read (``events``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import httpx

from hourbridge.connectors.sealing import Sealer
from hourbridge.domain.deals import Account, DealLine, WonDeal
from hourbridge.errors import InvalidInput
from hourbridge.services.ports.connections import WEBHOOK_SECRET_PART, Connection
from hourbridge.services.ports.deals import CrmEvent, DealPull

from .api import SalesforceClient, SalesforceRefused
from .events import open_event
from .fields import ACCOUNT_COUNTRY, ACCOUNT_VAT, ID_PATTERN
from .streams import ACCOUNTS, IDS_PER_QUERY, LINE_ITEMS, OPPORTUNITIES, Soql

NAME = "salesforce"
# a connection's secret: an OAuth client (client credentials) or, with ``private_key`` and
# ``username``, the JWT bearer flow; ``organization_id`` checks outbound messages
SECRET_PARTS = ("client_id",)
_ID = re.compile(ID_PATTERN)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def cursor_of(modstamp: str) -> str:
    """A SystemModstamp (``2025-03-14T16:02:11.000+0000``) as a SOQL dateTime literal cut to
    the second (``2025-03-14T16:02:11Z``)."""
    text = modstamp.strip()
    if re.fullmatch(r".*[+-]\d{4}", text):
        text = f"{text[:-2]}:{text[-2:]}"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quoted(ids: list[str]) -> str:
    # only record ids (letters and digits) are ever put into a statement
    return ", ".join(f"'{i}'" for i in ids if _ID.match(i))


def deal_of(opp: dict[str, Any], account: dict[str, Any] | None,
            lines: list[dict[str, Any]]) -> WonDeal:
    acc = account or {}
    country = next((str(acc[f]) for f in ACCOUNT_COUNTRY if acc.get(f)), None)
    return WonDeal(
        opportunity_id=str(opp["Id"]), name=str(opp.get("Name") or opp["Id"]),
        account=Account(str(opp.get("AccountId") or ""), str(acc.get("Name") or
                                                              opp.get("AccountId") or ""),
                        country if country and len(country) == 2 else None,
                        next((str(acc[f]) for f in ACCOUNT_VAT if acc.get(f)), None)),
        close_date=_day(opp.get("CloseDate")) or date.today(),
        currency=opp.get("CurrencyIsoCode") or None, amount=_dec(opp.get("Amount")),
        lines=tuple(DealLine(
            id=str(ln["Id"]), name=str(ln.get("Name") or ln.get("ProductCode") or ln["Id"]),
            quantity=_dec(ln.get("Quantity")) or Decimal(1),
            unit_price=_dec(ln.get("UnitPrice")) or Decimal(0),
            product_code=str(ln.get("ProductCode") or ""),
            description=str(ln.get("Description") or ""),
            discount_percent=_dec(ln.get("Discount")), service_date=_day(ln.get("ServiceDate")),
            total=_dec(ln.get("TotalPrice"))) for ln in lines),
        modstamp=str(opp.get("SystemModstamp") or ""))


class Salesforce:
    """``CrmGateway`` over Salesforce orgs. ``transport`` and ``sleep`` are test seams."""

    def __init__(self, key: str | None, *, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None,
                 allow_loopback_http: bool = True) -> None:
        self._sealer = Sealer(key)
        self._transport = transport
        self._sleep = sleep or time.sleep
        self._loopback_http = allow_loopback_http

    def crms(self) -> list[str]:
        return [NAME]

    def required_parts(self, crm: str) -> tuple[str, ...]:
        return SECRET_PARTS

    def seal(self, secret: Mapping[str, str]) -> str:
        return self._sealer.seal_parts(secret)

    def _open(self, connection: Connection) -> dict[str, str]:
        return self._sealer.open_parts(connection.sealed_secret, f"connection {connection.name}")

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme == "https" or (parts.scheme == "http" and self._loopback_http
                                           and parts.hostname in _LOOPBACK)

    def _client(self, connection: Connection) -> SalesforceClient:
        if not self._allowed(connection.base_url):
            raise InvalidInput(f"connection {connection.name}: base URL must be https "
                               "(plain http only on loopback)")
        client = SalesforceClient(connection.base_url, self._open(connection),
                                  transport=self._transport, sleep=self._sleep,
                                  instance_ok=self._allowed)
        return client

    @staticmethod
    def _records(client: SalesforceClient, soql: Soql, where: str) -> Iterator[dict[str, Any]]:
        """The query's records; an optional field the org lacks is dropped (once each)."""
        dropped: frozenset[str] = frozenset()
        while True:
            try:
                yield from client.query(soql.statement(where, dropped))
                return
            except SalesforceRefused as exc:
                lacking = {f for f in soql.optional if f not in dropped and f in str(exc)}
                if exc.error_code != "INVALID_FIELD" or not lacking:
                    raise
                dropped |= lacking

    def _complete(self, client: SalesforceClient, opps: list[dict[str, Any]]
                  ) -> list[WonDeal]:
        ids = [str(o.get("Id")) for o in opps]
        accounts = sorted({str(o.get("AccountId")) for o in opps if o.get("AccountId")})
        lines: dict[str, list[dict[str, Any]]] = {}
        if _quoted(ids):
            for ln in self._records(client, LINE_ITEMS, f"OpportunityId IN ({_quoted(ids)})"):
                lines.setdefault(str(ln.get("OpportunityId")), []).append(ln)
        found: dict[str, dict[str, Any]] = {}
        if _quoted(accounts):
            found = {str(a["Id"]): a for a in self._records(
                client, ACCOUNTS, f"Id IN ({_quoted(accounts)})") if a.get("Id")}
        return [deal_of(o, found.get(str(o.get("AccountId"))), lines.get(str(o["Id"]), []))
                for o in opps if o.get("Id")]

    def pull(self, connection: Connection, cursor: str | None) -> DealPull:
        after: list[str] = []
        usage: list[str] = []
        return DealPull(self._pull(connection, cursor, after, usage), after, usage)

    def _pull(self, connection: Connection, cursor: str | None, after: list[str],
              usage: list[str]) -> Iterator[WonDeal]:
        where = "IsWon = true" + (f" AND SystemModstamp > {cursor_of(cursor)}" if cursor
                                  else "")
        with self._client(connection) as client:
            batch: list[dict[str, Any]] = []
            for opp in self._records(client, OPPORTUNITIES, where):
                batch.append(opp)
                if len(batch) >= IDS_PER_QUERY:
                    yield from self._taken(client, batch, after)
                    batch = []
            if batch:
                yield from self._taken(client, batch, after)
            if client.api_usage:
                usage.append(client.api_usage)

    def _taken(self, client: SalesforceClient, batch: list[dict[str, Any]],
               after: list[str]) -> Iterator[WonDeal]:
        for deal in self._complete(client, batch):
            yield deal
            if deal.modstamp:
                stamp = cursor_of(deal.modstamp)
                if not after or stamp > after[-1]:
                    after.append(stamp)

    def fetch(self, connection: Connection, opportunity_ids: list[str]) -> list[WonDeal]:
        ids = sorted({i for i in opportunity_ids if _ID.match(i)})
        if not ids:
            return []
        with self._client(connection) as client:
            out: list[WonDeal] = []
            for start in range(0, len(ids), IDS_PER_QUERY):
                chunk = _quoted(ids[start:start + IDS_PER_QUERY])
                opps = list(self._records(client, OPPORTUNITIES,
                                          f"IsWon = true AND Id IN ({chunk})"))
                out += self._complete(client, opps)
            return out

    def open_event(self, connection: Connection, headers: Mapping[str, str], body: bytes,
                   token: str) -> CrmEvent:
        secret = self._open(connection)
        return open_event(secret.get(WEBHOOK_SECRET_PART, ""), secret.get("organization_id"),
                          headers, body, token)
