"""NetSuite (SuiteTalk REST record service v1) as an ERP sink: the client in ``api``, the
records in ``sink``."""

from __future__ import annotations

from collections.abc import Mapping

from .api import NetSuiteApi, NetSuiteRefused, NetSuiteUnavailable
from .sink import NetSuiteSink, ns_external_id


def open_netsuite(connection: Mapping[str, str], secret: str) -> NetSuiteSink:
    """The sink for a profile's ``connection`` (url, client_id, certificate_id; algorithm,
    scope, concurrency: the integration's share of the account's limit; async: kinds posted
    asynchronously) and the certificate's private key (PEM) as its secret."""
    api = NetSuiteApi(connection["url"], connection.get("client_id", ""),
                      connection.get("certificate_id", ""), secret,
                      algorithm=connection.get("algorithm", "PS256"),
                      scope=connection.get("scope", "rest_webservices"),
                      limit=int(connection.get("concurrency", 5)),
                      timeout=float(connection.get("timeout", 30)))
    kinds = frozenset(k.strip() for k in connection.get("async", "").split(",") if k.strip())
    return NetSuiteSink(api, async_kinds=kinds,
                        poll_seconds=float(connection.get("poll_seconds", 0.5)))


__all__ = ["NetSuiteApi", "NetSuiteRefused", "NetSuiteSink", "NetSuiteUnavailable",
           "ns_external_id", "open_netsuite"]
