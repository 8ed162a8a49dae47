"""ERP sinks: the port every ERP adapter implements (``connectors/<erp>/``), the profiles and
documents the use cases read in their unit of work, and the posting record the delivery
keeps per document and attempt."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from hourbridge.domain.erp import (
    ErpCustomer,
    ErpDocument,
    ErpParty,
    ErpPayment,
    ErpProfile,
    ErpProject,
    ErpRecord,
    PaymentState,
)
from hourbridge.domain.erp_identity import IdentityMatch, MapKind


class Sink(Protocol):
    """One ERP, spoken to in its own API. Every push is keyed by the document's external id;
    the caller looks it up (``find``) before pushing again after an unknown outcome.

    Errors: ``errors.Retryable`` (the ERP may take it later), ``errors.Permanent`` (it refuses
    it for good; the message is the ERP's own), ``connectors.http.UnknownOutcome`` (a write
    whose effect is unknown: a timeout or a dropped answer)."""

    def push_customer(self, party: ErpParty, company: str) -> str:
        """The ERP's id of ``party``, created once by its external id."""
        ...

    def push_document(self, doc: ErpDocument) -> ErpRecord:
        """Create and post an invoice, credit note or journal entry; its record."""
        ...

    def find(self, kind: str, external_id: str) -> ErpRecord | None:
        """The document with ``external_id``, if the ERP holds one."""
        ...

    def confirm(self, kind: str, record: ErpRecord) -> ErpRecord:
        """Post a document an earlier attempt created but left a draft."""
        ...

    def payment_state(self, kind: str, erp_id: str) -> PaymentState: ...

    def customers(self, company: str) -> Iterator[ErpCustomer]:
        """Every customer of ``company`` the ERP holds, page by page."""
        ...

    def check(self, profile: ErpProfile) -> list[str]:
        """What the ERP lacks for ``profile`` (company, journals, accounts, tax codes, items,
        currency), one readable line each; ``[]`` when it is ready to post."""
        ...


@runtime_checkable
class HoldsProjects(Protocol):
    """A sink whose ERP keeps projects (NetSuite, Business Central, F&O, Oracle Fusion,
    SAP): ``erp projects pull`` reads them into the identity map."""

    def projects(self, company: str) -> Iterator[ErpProject]:
        """Every project of ``company`` the ERP holds, page by page."""
        ...


@runtime_checkable
class BatchSink(Protocol):
    """A sink whose ERP takes several documents in one request (Odoo's ``create`` takes a
    list of values and ``action_post`` a list of ids, each request one transaction: all or
    nothing). ``pipeline.sinks`` sends a claim's documents through these three steps, so a
    refusal of the whole request tells which step it was: nothing of a refused ``create``
    exists, and the documents are then sent one by one to find the one refused."""

    def find_many(self, kind: str, external_ids: Sequence[str]) -> dict[str, ErpRecord]:
        """The documents of ``kind`` the ERP holds among ``external_ids``, by external id."""
        ...

    def create_many(self, docs: Sequence[ErpDocument]) -> list[ErpRecord]:
        """Create ``docs`` (drafts, customers pushed first) in one request; their records in
        the same order."""
        ...

    def confirm_many(self, kind: str, records: Sequence[ErpRecord]) -> list[ErpRecord]:
        """Post drafts of ``kind`` in one request."""
        ...


class ErpGateway(Protocol):
    """The sinks by destination name (``pipeline.sinks.SinkRegistry``)."""

    def sink(self, destination: str) -> Sink: ...


class ErpRepository(Protocol):
    """What the ERP use cases read and write in their transaction."""

    def profiles(self) -> list[ErpProfile]: ...

    def upsert_profiles(self, profiles: Sequence[ErpProfile], now: datetime) -> int: ...

    def journal_events(self, entity: str | None) -> list[Mapping[str, Any]]:
        """Journal events queued so far (``key``, ``subject``, ``data``), oldest first."""
        ...

    def document(self, entity: str, number: str) -> tuple[Mapping[str, Any], list[
            Mapping[str, Any]]] | None:
        """An issued invoice or credit note (with its snapshot) and its lines."""
        ...

    def documents(self, entity: str, numbers: Sequence[str]) -> dict[str, tuple[
            Mapping[str, Any], list[Mapping[str, Any]]]]:
        """``document`` of each of these numbers that exists, by number."""
        ...

    def postings(self, destination: str | None, external_id: str | None) -> list[
            dict[str, Any]]: ...

    def identity(self, destination: str, kind: MapKind = "customer") -> dict[str, str]:
        """The ``kind`` identity map of ``destination``: our customer id (or project code) ->
        the ERP's id ("" for a project ambiguous at the last pull)."""
        ...

    def identity_rows(self, destination: str | None,
                      kind: MapKind = "customer") -> list[dict[str, Any]]: ...

    def save_identity(self, destination: str, matches: Sequence[IdentityMatch],
                      now: datetime, kind: MapKind = "customer") -> int:
        """Replace ``destination``'s ``kind`` map with ``matches``; writers of one destination
        and kind wait for each other."""
        ...

    def posted_documents(self, destination: str | None) -> list[dict[str, Any]]:
        """Invoices and credit notes an ERP holds (posted or found there): ``destination``,
        ``kind``, ``erp_id``, ``invoice`` (our id), ``status``, ``currency``, ``total``."""
        ...

    def record_payment(self, invoice: int, destination: str, payment: ErpPayment,
                       currency: str, now: datetime) -> bool:
        """Keep ``payment`` once: False when this ERP's payment was recorded before."""
        ...

    def mark_paid(self, invoice: int) -> bool:
        """An issued or posted invoice or credit note becomes ``paid`` (a credit note: applied
        or refunded in full); False if it was not one."""
        ...


class PostingLog(Protocol):
    """One row per document and attempt, written outside the caller's transaction: before
    the call (``begin_many``) and after it (``finish_many``), so a crash in between leaves
    an attempt whose outcome is unknown."""

    def attempts(self, destination: str, external_id: str) -> list[dict[str, Any]]: ...

    def begin_many(self, destination: str, docs: Sequence[tuple[str, str, str]],
                   now: datetime) -> list[tuple[int, list[str]]]:
        """A ``sending`` attempt for each (kind, external id, key), in one transaction: for
        each, the new attempt's id and the statuses of its earlier attempts."""
        ...

    def finish_many(self, outcomes: Sequence[tuple[int, str, str | None, str | None]],
                    now: datetime) -> None:
        """Each (attempt, status, ERP id, error) recorded, in one transaction."""
        ...
