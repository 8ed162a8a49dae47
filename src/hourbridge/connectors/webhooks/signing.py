"""Standard Webhooks signatures, scheme ``v1`` (HMAC-SHA256).

Per the spec (standard-webhooks ``spec/standard-webhooks.md``, "Signature scheme"): the signed
content is ``{webhook-id}.{webhook-timestamp}.{raw body}``; the key is the base64 decoding of
the secret after its ``whsec_`` prefix; the header value is ``v1,`` + base64 of the MAC, and a
header may carry several space-separated signatures (a receiver accepts any that matches, which
is how secrets rotate). The body is signed as the exact bytes sent: re-serialising JSON on
either side breaks the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from hourbridge.errors import InvalidInput

PREFIX = "whsec_"


def _key(secret: str) -> bytes:
    raw = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        raise InvalidInput("a webhook secret is whsec_ followed by base64") from None


def new_secret() -> str:
    """A fresh secret of 24 random bytes (the spec asks for 24 to 64)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value (one ``v1`` signature) of ``body``."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """True when one of the space-separated ``v1`` signatures in ``header`` matches (constant
    time), as a receiver checks it."""
    expected = sign(secret, msg_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate)
               for candidate in header.split(" ") if candidate.startswith("v1,"))
