"""Dynamics 365 Business Central (API v2.0) as an ERP sink: the client in ``api``, the
entities in ``sink``."""

from __future__ import annotations

from collections.abc import Mapping

from .api import SCOPE, BcApi, BcRefused, BcUnavailable
from .sink import BusinessCentralSink, bc_external, bc_number


def open_business_central(connection: Mapping[str, str], secret: str) -> BusinessCentralSink:
    """The sink for a profile's ``connection`` (url: the API base up to ``/api/v2.0``;
    tenant or token_url, client_id, scope; local_currency; concurrency, page_size) and the
    application's client secret."""
    token_url = connection.get("token_url") or (
        f"https://login.microsoftonline.com/{connection.get('tenant', '')}/oauth2/v2.0/token")
    api = BcApi(connection["url"], token_url, connection.get("client_id", ""), secret,
                scope=connection.get("scope", SCOPE),
                limit=int(connection.get("concurrency", 5)),
                page_size=int(connection.get("page_size", 500)),
                timeout=float(connection.get("timeout", 30)))
    return BusinessCentralSink(api, connection.get("local_currency"))


__all__ = ["BcApi", "BcRefused", "BcUnavailable", "BusinessCentralSink", "bc_external",
           "bc_number", "open_business_central"]
