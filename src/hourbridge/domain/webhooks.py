"""What a webhook subscription may be: its name, the event types it asks for, the form of its
secret. Pure checks; the secret is made and sealed by the connector."""

from __future__ import annotations

import base64
import binascii
import re

SECRET_PREFIX = "whsec_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# CloudEvents types here are reverse-DNS with a version: hourbridge.journal.entry.ready.v1
_TYPE = re.compile(r"^(\*|[a-z0-9]+(\.[a-z0-9_]+)+)$")


def refused_subscription(name: str, event_types: tuple[str, ...], secret: str | None
                         ) -> str | None:
    """Why a subscription cannot be added, or None."""
    if not _NAME.match(name):
        return (f"webhook name {name!r}: lower-case letters, digits, - and _, at most 64 "
                "characters")
    if not event_types:
        return "name at least one event type (or * for all)"
    bad = [t for t in event_types if not _TYPE.match(t)]
    if bad:
        return f"not an event type: {', '.join(bad)}"
    if secret is not None:
        if not secret.startswith(SECRET_PREFIX):
            return "a webhook secret starts with whsec_"
        try:
            raw = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            return "a webhook secret is whsec_ followed by base64"
        if not 24 <= len(raw) <= 64:  # Standard Webhooks: between 24 and 64 bytes
            return "a webhook secret holds 24 to 64 bytes"
    return None
