"""Tryton 7.0 LTS as an ERP sink, over JSON-RPC (``rpc``), documents mapped in ``sink``."""

from __future__ import annotations

from collections.abc import Mapping

from .rpc import ErpRefused, ErpUnavailable, TrytonRpc
from .sink import TrytonSink


def open_tryton(connection: Mapping[str, str], secret: str) -> TrytonSink:
    """The sink for a profile's ``connection`` (url, database, login) and its password."""
    return TrytonSink(TrytonRpc(connection["url"], connection.get("database", ""),
                                connection.get("login", "admin"), secret,
                                timeout=float(connection.get("timeout", 30))))


__all__ = ["ErpRefused", "ErpUnavailable", "TrytonRpc", "TrytonSink", "open_tryton"]
