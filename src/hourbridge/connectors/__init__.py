"""Connectors: one folder per external system with the same files (``streams.py``,
``fields.py``, the ``Tracker`` value in ``__init__``); ``http`` holds the one HTTP layer,
``native`` reads any tracker's own payloads as canonical rows, ``stream`` the declarations;
ERP sinks (``odoo``, ``netsuite``, ``business_central``...) in the same shape, one folder
each."""

from .business_central import open_business_central
from .clockify import CLOCKIFY
from .harvest import HARVEST
from .kimai import KIMAI
from .netsuite import open_netsuite
from .odoo import open_odoo
from .toggl import TOGGL
from .tracker import Tracker

TRACKERS: dict[str, Tracker] = {t.name: t for t in (HARVEST, TOGGL, CLOCKIFY, KIMAI)}
# ERP sinks by ``ErpProfile.system``: (connection, secret) -> a ``services.ports.erp.Sink``
SINKS = {"odoo": open_odoo, "netsuite": open_netsuite,
         "business_central": open_business_central}

__all__ = ["SINKS", "TRACKERS", "Tracker"]
