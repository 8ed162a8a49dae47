"""Toggl Track v9: Basic auth with ``<api token>:api_token``; a leaky bucket (about 1 request
a second is safe) and an hourly plan quota answered with 402 (support.toggl.com)."""

from hourbridge.connectors.http import AuthStyle
from hourbridge.connectors.tracker import Tracker

from .fields import FIELDS
from .streams import TIME_ENTRIES

TOGGL = Tracker(
    name="toggl", base_url="https://api.track.toggl.com", auth=AuthStyle.BASIC_API_TOKEN,
    time_entries=TIME_ENTRIES, fields=FIELDS, rate=(1, 1.0),
)

__all__ = ["TOGGL"]
