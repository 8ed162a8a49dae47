"""Clockify: ``X-Api-Key``; paid workspaces 50 requests/s, new free ones 30 per hour.
Webhooks: ``Clockify-Signature`` carries the webhook's own ``authToken`` (given when it is
created), compared as a shared token; a delivery has no id of its own in the samples, so its
body's SHA-256 names it. ``TIME_ENTRY_DELETED`` (``Clockify-Webhook-Event-Type``) carries the
entry as it was: taken as a deletion of that entry."""

from hourbridge.connectors.http import AuthStyle
from hourbridge.connectors.tracker import Tracker
from hourbridge.connectors.webhook import SignatureScheme, Webhook

from .fields import FIELDS
from .publication import PUBLICATION
from .streams import DIRECTORY, TIME_ENTRIES

CLOCKIFY = Tracker(
    name="clockify", base_url="https://reports.api.clockify.me/v1/workspaces/WORKSPACE",
    auth=AuthStyle.API_KEY_HEADER, time_entries=TIME_ENTRIES, fields=FIELDS, rate=(50, 1.0),
    webhook=Webhook(signature_header="Clockify-Signature",
                    scheme=SignatureScheme.SHARED_TOKEN,
                    event_header="Clockify-Webhook-Event-Type",
                    deletion_events=("TIME_ENTRY_DELETED",)),
    directory=DIRECTORY, publication=PUBLICATION,
    # its users, projects and tasks are on the REST host, not the reports host
    api_base=("reports.api.clockify.me/v1/", "api.clockify.me/api/v1/"),
)

__all__ = ["CLOCKIFY"]
