"""Connectors: one folder per external system with the same files (``streams.py``,
``fields.py``, the ``Tracker`` value in ``__init__``); ``http`` holds the one HTTP layer,
``native`` reads any tracker's own payloads as canonical rows, ``stream`` the declarations;
ERP sinks in the same shape, one folder each (``odoo``, ``tryton``, ``netsuite``,
``business_central``, ``d365_fo``, ``oracle_fusion``, ``sap``); ``erp_http`` is what the
cloud ERP sinks share (errors, references)."""

from .business_central import open_business_central
from .clockify import CLOCKIFY
from .d365_fo import open_d365
from .harvest import HARVEST
from .kimai import KIMAI
from .netsuite import open_netsuite
from .odoo import open_odoo
from .oracle_fusion import open_oracle
from .sap import open_sap
from .toggl import TOGGL
from .tracker import Tracker
from .tryton import open_tryton

TRACKERS: dict[str, Tracker] = {t.name: t for t in (HARVEST, TOGGL, CLOCKIFY, KIMAI)}
# ERP sinks by ``ErpProfile.system``: (connection, secret) -> a ``services.ports.erp.Sink``
SINKS = {"odoo": open_odoo, "tryton": open_tryton, "netsuite": open_netsuite,
         "business_central": open_business_central, "d365_fo": open_d365,
         "oracle_fusion": open_oracle, "sap": open_sap}

__all__ = ["SINKS", "TRACKERS", "Tracker"]
