"""Master data: the snapshot the services read and the bundle upsert."""

from __future__ import annotations

from typing import Protocol

from hourbridge.domain.bundle import Bundle
from hourbridge.domain.masterdata import MasterData


class MasterDataRepository(Protocol):
    def snapshot(self) -> MasterData: ...
    def upsert(self, bundle: Bundle) -> dict[str, dict[str, int]]: ...
    def put_alias(self, source: str, kind: str, external_id: str, code: str) -> str | None:
        """Store one id alias (a new master data revision); the code it named before."""
        ...
