"""Secrets sealed at rest: every connection's (trackers, the CRM) and every webhook
subscription's secret is encrypted with Fernet (``cryptography``: AES-128-CBC + HMAC-SHA256,
a timestamped token) under ``HOURBRIDGE_SECRET_KEY``, which is never stored. One sealer for
all of them, so a key that is missing, malformed or changed is refused the same way."""

from __future__ import annotations

import json
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken

from hourbridge.errors import SetupRefused

KEY_HINT = ("set HOURBRIDGE_SECRET_KEY to a Fernet key (python -c 'from cryptography.fernet "
            "import Fernet; print(Fernet.generate_key().decode())')")


class Sealer:
    """Seals and opens text under the configured key. The key is checked when first used,
    not at construction: a firm without connections needs no key."""

    def __init__(self, key: str | None) -> None:
        self._key = key

    def _fernet(self) -> Fernet:
        if not self._key:
            raise SetupRefused(KEY_HINT)
        try:
            return Fernet(self._key.encode())
        except ValueError:
            raise SetupRefused("HOURBRIDGE_SECRET_KEY is not a Fernet key; " + KEY_HINT
                               ) from None

    def seal_text(self, secret: str) -> str:
        return self._fernet().encrypt(secret.encode()).decode()

    def open_text(self, sealed: str, owner: str) -> str:
        """``owner`` names what the secret belongs to (``connection NAME``) in the refusal."""
        try:
            return self._fernet().decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SetupRefused(f"{owner}: its secret does not open with this "
                               "HOURBRIDGE_SECRET_KEY (was the key changed?)") from None

    def seal_parts(self, parts: Mapping[str, str]) -> str:
        return self.seal_text(json.dumps(dict(parts)))

    def open_parts(self, sealed: str, owner: str) -> dict[str, str]:
        opened: dict[str, str] = json.loads(self.open_text(sealed, owner))
        return opened
