"""Request and response models of the ``api/v1/audit.py`` router."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .common import Out


class AuditRecord(Out):
    seq: int = Field(description="position in the chain, from 1")
    at: str
    actor: str
    action: str = Field(examples=["invoice.void"])
    object: str = Field(examples=["invoices/12"])
    reason: str
    before_digest: str | None = Field(description="the object's digest as the previous "
                                      "record of it left it (null: its first record)")
    after_digest: str = Field(description="SHA-256 of this change's writes chained onto "
                              "before_digest")
    changes: dict[str, int] = Field(description="rows written per table (counts only)")
    prev_hash: str
    hash: str = Field(description="SHA-256 over prev_hash and this record's fields")


class ChainBreak(BaseModel):
    seq: int
    reason: str


class AuditVerification(BaseModel):
    ok: bool
    records: int = Field(description="records checked")
    head: int = Field(description="the chain head's sequence number")
    first_broken: ChainBreak | None
