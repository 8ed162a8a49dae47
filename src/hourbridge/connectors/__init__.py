"""Connectors: one folder per external system with the same files (``streams.py``,
``fields.py``, the ``Tracker`` value in ``__init__``); ``http`` holds the one HTTP layer,
``native`` reads any tracker's own payloads as canonical rows, ``stream`` the declarations;
ERP sinks in the same shape, one folder each (``odoo``, ``tryton``, ``netsuite``,
``business_central``, ``d365_fo``, ``oracle_fusion``, ``sap``); ``erp_http`` is what the
cloud ERP sinks share (errors, references)."""

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

from .clockify import CLOCKIFY
from .harvest import HARVEST
from .kimai import KIMAI
from .toggl import TOGGL
from .tracker import Tracker

TRACKERS: dict[str, Tracker] = {t.name: t for t in (HARVEST, TOGGL, CLOCKIFY, KIMAI)}


def _opened_by(module: str, opener: str) -> Callable[[Mapping[str, str], str], Any]:
    """The ERP's ``opener`` (connection, secret) -> sink, its folder imported on the first
    call: every process bootstraps the sink registry, few open an ERP, and the seven
    folders (JWT, crypto, XML-RPC clients) would be a fifth of every command's start-up."""

    def open_sink(connection: Mapping[str, str], secret: str) -> Any:
        return getattr(import_module(module, __name__), opener)(connection, secret)

    return open_sink


# ERP sinks by ``ErpProfile.system``: (connection, secret) -> a ``services.ports.erp.Sink``
SINKS = {"odoo": _opened_by(".odoo", "open_odoo"),
         "tryton": _opened_by(".tryton", "open_tryton"),
         "netsuite": _opened_by(".netsuite", "open_netsuite"),
         "business_central": _opened_by(".business_central", "open_business_central"),
         "d365_fo": _opened_by(".d365_fo", "open_d365"),
         "oracle_fusion": _opened_by(".oracle_fusion", "open_oracle"),
         "sap": _opened_by(".sap", "open_sap")}

__all__ = ["SINKS", "TRACKERS", "Tracker"]
