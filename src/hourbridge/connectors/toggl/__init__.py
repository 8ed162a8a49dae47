"""Toggl Track v9: Basic auth with ``<api token>:api_token``; a leaky bucket (about 1 request
a second is safe) and an hourly plan quota answered with 402 (support.toggl.com). Webhooks
(Webhooks API v1, ``toggl/toggl_api_docs`` ``webhooks.md``): ``X-Webhook-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body>`` keyed with the subscription's secret; the PING
event validates a subscription by its ``validation_code`` echoed in the reply."""

from datetime import timedelta

from hourbridge.connectors.http import AuthStyle
from hourbridge.connectors.tracker import Tracker
from hourbridge.connectors.webhook import SignatureScheme, Webhook

from .fields import FIELDS
from .publication import PUBLICATION
from .streams import DIRECTORY, TIME_ENTRIES

TOGGL = Tracker(
    name="toggl", base_url="https://api.track.toggl.com", auth=AuthStyle.BASIC_API_TOKEN,
    time_entries=TIME_ENTRIES, fields=FIELDS, rate=(1, 1.0),
    webhook=Webhook(
        signature_header="X-Webhook-Signature-256", scheme=SignatureScheme.HMAC_SHA256_HEX,
        prefix="sha256=", delivery_id="event_id", sent_at="timestamp",
        # Toggl's retry schedule is not in the samples: a day keeps its retries; a replay
        # inside the day is caught by its event id
        window=timedelta(days=1), ping=("payload", "ping"), handshake="validation_code"),
    directory=DIRECTORY, publication=PUBLICATION,
    # the workspace its lists live in: the secret's ``workspace_id``, else the user's default
    workspace=("/api/v9/me", "default_workspace_id"),
)

__all__ = ["TOGGL"]
