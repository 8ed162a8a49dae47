"""Clockify: ``X-Api-Key``; paid workspaces 50 requests/s, new free ones 30 per hour."""

from hourbridge.connectors.http import AuthStyle
from hourbridge.connectors.tracker import Tracker

from .fields import FIELDS
from .streams import TIME_ENTRIES

CLOCKIFY = Tracker(
    name="clockify", base_url="https://reports.api.clockify.me/v1/workspaces/WORKSPACE",
    auth=AuthStyle.API_KEY_HEADER, time_entries=TIME_ENTRIES, fields=FIELDS, rate=(50, 1.0),
)

__all__ = ["CLOCKIFY"]
