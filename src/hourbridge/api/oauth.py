"""OAuth2 client-credentials bearer tokens: JWTs of the configured issuer, verified against
its keys (JWKS from a file or an https URL), with ``iss``, ``aud`` and ``exp`` required and
checked; the scopes come from the ``scope`` claim, the legal entities (if limited) from
``hourbridge_entities``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt

from hourbridge.domain.access import SCOPES, Principal

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
LEEWAY_SECONDS = 30


class TokenVerifier:
    def __init__(self, issuer: str, audience: str, jwks: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self._client: jwt.PyJWKClient | None = None
        self._keys: jwt.PyJWKSet | None = None
        if jwks.startswith(("https://", "http://")):
            self._client = jwt.PyJWKClient(jwks, cache_keys=True, lifespan=300)
        else:
            self._keys = jwt.PyJWKSet.from_dict(json.loads(Path(jwks).read_text()))

    def _key(self, token: str) -> Any:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        assert self._keys is not None
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._keys.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise jwt.InvalidKeyError("no key for the token's kid")

    def principal(self, token: str) -> Principal | None:
        """The token's principal, or None for any token that does not verify."""
        try:
            claims = jwt.decode(token, self._key(token), algorithms=ALGORITHMS,
                                audience=self.audience, issuer=self.issuer,
                                leeway=LEEWAY_SECONDS,
                                options={"require": ["exp", "iss", "aud"]})
        except (jwt.PyJWTError, ValueError, KeyError):
            return None
        name = str(claims.get("client_id") or claims.get("azp") or claims.get("sub") or "")
        if not name:
            return None
        scopes = frozenset(str(claims.get("scope", "")).split()) & frozenset(SCOPES)
        entities = claims.get("hourbridge_entities")
        return Principal(name=name, kind="jwt", scopes=scopes,
                         entities=frozenset(map(str, entities))
                         if isinstance(entities, list) else None,
                         employee=claims.get("hourbridge_employee") or None)
