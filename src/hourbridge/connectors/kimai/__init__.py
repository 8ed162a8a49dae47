"""Kimai 2.x (self-hosted): ``Authorization: Bearer``; no documented rate limit. Its ``PATCH
/api/timesheets/{id}/export`` toggles the flag, so it is never retried blindly (``http``)."""

from hourbridge.connectors.http import AuthStyle
from hourbridge.connectors.tracker import Tracker

from .fields import FIELDS
from .streams import TIME_ENTRIES

KIMAI = Tracker(
    name="kimai", base_url="http://localhost", auth=AuthStyle.BEARER,
    time_entries=TIME_ENTRIES, fields=FIELDS,
)

__all__ = ["KIMAI"]
