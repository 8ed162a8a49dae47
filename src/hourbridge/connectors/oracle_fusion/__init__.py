"""Oracle Fusion Cloud Financials as an ERP sink: REST (``rest``), journals through the
file-based import (``journal``), documents mapped in ``sink``."""

from __future__ import annotations

from collections.abc import Mapping

from .rest import FusionRest
from .sink import OracleSink


def open_oracle(connection: Mapping[str, str], secret: str) -> OracleSink:
    """The sink for a profile's ``connection`` (``url``, ``login``; ``auth: bearer`` for an
    IAM token in place of the password; the sources, ledger and data access set) and its
    password or token."""
    rest = FusionRest(connection["url"], connection.get("login", ""), secret,
                      bearer=connection.get("auth") == "bearer",
                      version=connection.get("version", "11.13.18.05"),
                      timeout=float(connection.get("timeout", 30)))
    return OracleSink(rest, connection)


__all__ = ["FusionRest", "OracleSink", "open_oracle"]
