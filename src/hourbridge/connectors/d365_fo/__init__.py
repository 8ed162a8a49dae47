"""Dynamics 365 Finance & Operations as an ERP sink, over OData (``odata``), documents
mapped in ``sink``."""

from __future__ import annotations

from collections.abc import Mapping

from .odata import EntraToken, FnoOData
from .sink import D365Sink


def open_d365(connection: Mapping[str, str], secret: str) -> D365Sink:
    """The sink for a profile's ``connection`` (``url`` of the environment, ``tenant``,
    ``client_id``; ``token_url`` and ``scope`` when not Entra ID's defaults;
    ``customer_group``, ``tax_item_group``, ``projects_entity``) and the app's client secret."""
    url = connection["url"].rstrip("/")
    timeout = float(connection.get("timeout", 30))
    token_url = connection.get("token_url") or (
        f"https://login.microsoftonline.com/{connection.get('tenant', '')}/oauth2/v2.0/token")
    auth = EntraToken(token_url, connection.get("client_id", ""), secret,
                      connection.get("scope") or f"{url}/.default", timeout=timeout)
    return D365Sink(FnoOData(url, auth, timeout=timeout),
                    connection.get("customer_group", "HB"),
                    connection.get("tax_item_group", "ALL"),
                    connection.get("projects_entity", "Projects"))


__all__ = ["D365Sink", "EntraToken", "FnoOData", "open_d365"]
