"""Harvest v2: Bearer token + ``Harvest-Account-Id``; 100 requests per 15 s (DOC, Harvest
"General" rate limits); no webhooks, so it is polled with ``updated_since``."""

from hourbridge.connectors.http import AuthStyle
from hourbridge.connectors.tracker import Tracker

from .fields import FIELDS
from .publication import PUBLICATION
from .streams import DIRECTORY, TIME_ENTRIES

HARVEST = Tracker(
    name="harvest", base_url="https://api.harvestapp.com", auth=AuthStyle.BEARER_WITH_ACCOUNT,
    time_entries=TIME_ENTRIES, fields=FIELDS, rate=(100, 15.0),
    secret_parts=("token", "account_id"), directory=DIRECTORY,
    publication=PUBLICATION,
)

__all__ = ["HARVEST"]
