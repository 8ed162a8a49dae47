"""Odoo 17+ as an ERP sink, over JSON-RPC (``rpc``), documents mapped in ``sink``."""

from __future__ import annotations

from collections.abc import Mapping

from .rpc import ErpRefused, ErpUnavailable, OdooRpc
from .sink import OdooSink


def open_odoo(connection: Mapping[str, str], secret: str) -> OdooSink:
    """The sink for a profile's ``connection`` (url, database, login) and its API key."""
    return OdooSink(OdooRpc(connection["url"], connection.get("database", ""),
                            connection.get("login", ""), secret,
                            timeout=float(connection.get("timeout", 30))))


__all__ = ["ErpRefused", "ErpUnavailable", "OdooRpc", "OdooSink", "open_odoo"]
