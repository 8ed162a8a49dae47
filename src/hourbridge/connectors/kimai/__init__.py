"""Kimai 2.x (self-hosted): ``Authorization: Bearer``; no documented rate limit. Its ``PATCH
/api/timesheets/{id}/export`` toggles the flag, so it is never used: an invoiced entry is marked
with ``PATCH /api/timesheets/{id}`` ``{"exported": true}``, which sets it."""

from hourbridge.connectors.http import AuthStyle
from hourbridge.connectors.tracker import ExportMark, Tracker

from .fields import FIELDS
from .publication import PUBLICATION
from .streams import DIRECTORY, TIME_ENTRIES

KIMAI = Tracker(
    name="kimai", base_url="http://localhost", auth=AuthStyle.BEARER,
    time_entries=TIME_ENTRIES, fields=FIELDS, directory=DIRECTORY, publication=PUBLICATION,
    # sets the flag (never the toggling ``PATCH .../export``): the same request again is
    # harmless, so it is retried like a read
    export_mark=ExportMark("PATCH", "/api/timesheets/{id}", (("exported", True),)),
)

__all__ = ["KIMAI"]
