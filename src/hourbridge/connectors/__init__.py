"""Connectors: one folder per external system with the same files (``streams.py``,
``fields.py``, the ``Tracker`` value in ``__init__``); ``http`` holds the one HTTP layer,
``native`` reads any tracker's own payloads as canonical rows, ``stream`` the declarations;
ERP sinks (``odoo``, ``tryton``...) in the same shape, one folder each."""

from .clockify import CLOCKIFY
from .harvest import HARVEST
from .kimai import KIMAI
from .odoo import open_odoo
from .toggl import TOGGL
from .tracker import Tracker
from .tryton import open_tryton

TRACKERS: dict[str, Tracker] = {t.name: t for t in (HARVEST, TOGGL, CLOCKIFY, KIMAI)}
# ERP sinks by ``ErpProfile.system``: (connection, secret) -> a ``services.ports.erp.Sink``
SINKS = {"odoo": open_odoo, "tryton": open_tryton}

__all__ = ["SINKS", "TRACKERS", "Tracker"]
