"""Connectors: one folder per external system with the same files (``streams.py``,
``fields.py``, the ``Tracker`` value in ``__init__``); ``http`` holds the one HTTP layer,
``native`` reads any tracker's own payloads as canonical rows, ``stream`` the declarations."""

from .clockify import CLOCKIFY
from .harvest import HARVEST
from .kimai import KIMAI
from .toggl import TOGGL
from .tracker import Tracker

TRACKERS: dict[str, Tracker] = {t.name: t for t in (HARVEST, TOGGL, CLOCKIFY, KIMAI)}

__all__ = ["TRACKERS", "Tracker"]
