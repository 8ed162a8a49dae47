"""ERP sinks' use cases: load profiles (checked, all or none), queue issued documents for the
ERPs (one outbox row per document and destination, keyed so that queueing twice queues
once) when they are published or on ``erp push``, and list what was posted where.

What is queued is the document as its profile maps it when queued (``domain.erp``): the
worker's delivery (``pipeline.sinks``) needs no database read to post it, and a document is
the same on every attempt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from hourbridge.domain.commands import LoadErpProfiles, QueueErpPush, ShowErpPostings
from hourbridge.domain.erp import (
    ErpDocument,
    ErpProfile,
    check_profile,
    document_to_data,
    map_invoice,
    map_journal,
)
from hourbridge.domain.erp_identity import unsettled
from hourbridge.domain.problems import Problem
from hourbridge.errors import InvalidInput

from .deps import Collaborators
from .events import envelope
from .ports.uow import UnitOfWork

ERP_DOCUMENT_READY = "hourbridge.erp.document.ready.v1"
# subjects of journal events whose document an ERP keeps as its own kind of record; any other
# journal event (revenue, adjustments, voids...) posts as a journal entry
DOCUMENT_SUBJECTS = {"invoice": "invoice", "credit-note": "credit_note"}


def load_erp_profiles(cmd: LoadErpProfiles, uow: UnitOfWork, now: datetime,
                      deps: Collaborators) -> int:
    """Store the profiles in one transaction, or raise ``InvalidInput`` naming every field
    that is wrong (its origin in the file, then the field)."""
    with uow:
        entities = {code: e.currency for code, e in uow.masterdata.snapshot().entities.items()}
        problems: list[object] = []
        seen: set[tuple[str, str]] = set()
        for i, p in enumerate(cmd.profiles):
            where = cmd.origins[i] if i < len(cmd.origins) else f"erp_profiles[{i}]"
            problems += check_profile(p, where, entities)
            if (p.destination, p.entity) in seen:
                problems.append(Problem("duplicate_key", f"{p.destination}/{p.entity} twice",
                                        where, "destination"))
            seen.add((p.destination, p.entity))
        if problems:
            raise InvalidInput(f"ERP profiles refused: {len(problems)} problem(s)", problems)
        count = uow.erp.upsert_profiles(list(cmd.profiles), now)
        uow.commit()
    return count


def queue_erp_push(cmd: QueueErpPush, uow: UnitOfWork, now: datetime,
                   deps: Collaborators) -> dict[str, Any]:
    """Queue each journal event's document for each profile of its entity; documents queued
    before are counted, not queued again. A profile that cannot map a document refuses the
    whole push, naming the field to add."""
    with uow:
        profiles = [p for p in uow.erp.profiles()
                    if (cmd.entity is None or p.entity == cmd.entity)
                    and (cmd.destination is None or p.destination == cmd.destination)]
        queued = already = 0
        problems: list[Problem] = []
        for p in profiles:
            for event in uow.erp.journal_events(p.entity):
                added = _queue(p, event, uow, now)
                if isinstance(added, list):
                    problems += added
                    continue
                queued, already = queued + added, already + (not added)
        if problems:
            unique = list({(pr.where, pr.message): pr for pr in problems}.values())
            raise InvalidInput(f"ERP push refused: {len(unique)} problem(s)", list[object](unique))
        uow.commit()
    return {"destinations": sorted({p.destination for p in profiles}), "queued": queued,
            "already_queued": already}


def queue_for_erps(uow: UnitOfWork, event: Mapping[str, Any], now: datetime) -> int:
    """Queue a journal event just published (``journal.publish_journal``) for every ERP its
    entity's profiles name, in the publishing transaction: the worker then delivers it with
    no push. A document a profile cannot map yet is left for ``erp push``, which names what
    the profile lacks: an ERP's configuration never stops an invoice from being issued."""
    entity = event["data"]["entity"]
    queued = 0
    for p in uow.erp.profiles():
        if p.entity == entity:
            added = _queue(p, event, uow, now)
            queued += added is True
    return queued


def erp_rows(uow: UnitOfWork, events: Sequence[Mapping[str, Any]], now: datetime
             ) -> list[tuple[str, str, str, dict[str, Any]]]:
    """``queue_for_erps`` for a batch of events just published: the profiles and each
    destination's identity map read once, the outbox rows (key, type, subject, payload)
    returned for one bulk add, in event order. A document a profile cannot map yet is left
    for ``erp push``, as one by one."""
    by_entity: dict[str, list[ErpProfile]] = defaultdict(list)
    for p in uow.erp.profiles():
        by_entity[p.entity].append(p)
    if not by_entity:
        return []
    numbers: dict[str, list[str]] = defaultdict(list)
    for event in events:
        head, _, rest = str(event["subject"]).partition("/")
        if event["data"]["entity"] in by_entity and head in DOCUMENT_SUBJECTS \
                and "/" not in rest:
            numbers[event["data"]["entity"]].append(rest)
    documents = {(entity, number): found for entity, wanted in numbers.items()
                 for number, found in uow.erp.documents(entity, wanted).items()}
    identities: dict[str, dict[str, str]] = {}
    rows: list[tuple[str, str, str, dict[str, Any]]] = []
    for event in events:
        for p in by_entity.get(event["data"]["entity"], ()):
            doc = _document(p, event, uow, identities, documents)
            if isinstance(doc, list):
                continue
            key = f"erp:{p.destination}:{event['key']}"
            data = {"destination": p.destination, "document": document_to_data(doc)}
            rows.append((key, ERP_DOCUMENT_READY, f"erp/{p.destination}/{event['subject']}",
                         envelope(key, ERP_DOCUMENT_READY, event["subject"], data, now)))
    return rows


def _queue(p: ErpProfile, event: Mapping[str, Any], uow: UnitOfWork,
           now: datetime) -> bool | list[Problem]:
    """Add the event's document for ``p`` to the outbox: True, False if queued before, or the
    problems that keep ``p`` from mapping it."""
    doc = _document(p, event, uow)
    if isinstance(doc, list):
        return doc
    key = f"erp:{p.destination}:{event['key']}"
    data = {"destination": p.destination, "document": document_to_data(doc)}
    return uow.outbox.add(key, ERP_DOCUMENT_READY, f"erp/{p.destination}/{event['subject']}",
                          envelope(key, ERP_DOCUMENT_READY, event["subject"], data, now), now)


def _cached(identities: dict[str, dict[str, str]] | None, key: str,
            read: Callable[[], dict[str, str]]) -> dict[str, str]:
    """One identity map (customers by destination, projects by ``projects:`` + destination),
    read once per batch when ``identities`` carries the batch's reads, else read now."""
    if identities is None:
        return read()
    if key not in identities:
        identities[key] = read()
    return identities[key]


def _document(p: ErpProfile, event: Mapping[str, Any], uow: UnitOfWork,
              identities: dict[str, dict[str, str]] | None = None,
              documents: Mapping[tuple[str, str], tuple[Mapping[str, Any], list[
                  Mapping[str, Any]]]] | None = None) -> ErpDocument | list[Problem]:
    """The document ``p`` maps ``event`` to; ``identities`` and ``documents`` (by entity and
    number) are what a batch read ahead, else each is read here."""
    head, _, rest = str(event["subject"]).partition("/")
    kind = DOCUMENT_SUBJECTS.get(head)
    if kind is not None and "/" not in rest:
        found = (uow.erp.document(p.entity, rest) if documents is None
                 else documents.get((p.entity, rest)))
        if found is not None:
            invoice, lines = found
            # an ambiguous project ("" in the map) names none: its exception waits for a
            # person, the invoice does not
            doc = map_invoice(p, event["key"], invoice, list(lines),
                              _cached(identities, f"projects:{p.destination}",
                                      lambda: uow.erp.identity(p.destination, "project")))
            erp_id = _cached(identities, p.destination,
                             lambda: uow.erp.identity(p.destination)).get(invoice["customer"])
            if erp_id == "":  # ambiguous at the last pull: never a guess, never a third one
                return [unsettled(p.destination, invoice["customer"],
                                  "link it in the ERP, then pull the customers again")]
            if isinstance(doc, ErpDocument) and doc.partner is not None and erp_id:
                # the ERP's own customer, as the last pull matched it: never a second one
                return replace(doc, partner=replace(doc.partner, erp_id=erp_id))
            return doc
    return map_journal(p, event["key"], event["data"])


def erp_postings(cmd: ShowErpPostings, uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        return uow.erp.postings(cmd.destination, cmd.external_id)
