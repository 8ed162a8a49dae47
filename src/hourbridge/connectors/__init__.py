"""Connectors: one folder per external system with the same files (``streams.py``,
``fields.py``, the ``Tracker`` value in ``__init__``); ``http`` holds the one HTTP layer,
``native`` reads any tracker's own payloads as canonical rows, ``stream`` the declarations;
ERP sinks in the same shape, one folder each (``odoo``, ``d365_fo``, ``oracle_fusion``,
``sap``); ``erp_http`` is what the cloud ERP sinks share (errors, references)."""

from .clockify import CLOCKIFY
from .d365_fo import open_d365
from .harvest import HARVEST
from .kimai import KIMAI
from .odoo import open_odoo
from .oracle_fusion import open_oracle
from .sap import open_sap
from .toggl import TOGGL
from .tracker import Tracker

TRACKERS: dict[str, Tracker] = {t.name: t for t in (HARVEST, TOGGL, CLOCKIFY, KIMAI)}
# ERP sinks by ``ErpProfile.system``: (connection, secret) -> a ``services.ports.erp.Sink``
SINKS = {"odoo": open_odoo, "d365_fo": open_d365,
         "oracle_fusion": open_oracle, "sap": open_sap}

__all__ = ["SINKS", "TRACKERS", "Tracker"]
