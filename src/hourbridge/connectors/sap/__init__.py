"""SAP S/4HANA Cloud as an ERP sink: OData with CSRF (``odata``), journal entries over SOAP
(``soap``), documents mapped in ``sink``."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ..erp_http import ErpHttp
from .odata import SapOData, describe
from .sink import SapSink


def open_sap(connection: Mapping[str, str], secret: str) -> SapSink:
    """The sink for a profile's ``connection`` (``url`` of the tenant's API host, ``login``
    of the communication user; ``billing_type``, ``credit_billing_type``,
    ``request_category``, ``chart_of_accounts``) and its password."""
    login = connection.get("login", "")
    api = ErpHttp("SAP", connection["url"].rstrip("/"), describe,
                  auth=httpx.BasicAuth(login, secret),
                  timeout=float(connection.get("timeout", 30)))
    return SapSink(api, login, connection)


__all__ = ["SapOData", "SapSink", "open_sap"]
