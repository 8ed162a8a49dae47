"""The audit chain: who changed what, when and why, each record hashed onto the one before.

A record's ``hash`` is SHA-256 over the previous record's hash and the record's own fields
(canonical JSON), so editing, deleting, inserting or reordering any record breaks a link that
``verify_chain`` names. The chain head (last sequence number and hash) is kept apart from the
records, which also catches a record cut off the end.

Which commands are audited, and what object each one changes, is the table ``AUDITED``: a
financial state change or an admin action is a row there, not code in its use case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import commands as c

GENESIS = "0" * 64  # the "previous hash" of the first record
UNATTRIBUTED = "unattributed"  # a command that names no actor (yet)


@dataclass(frozen=True, slots=True)
class AuditIntent:
    """What a command is about to do, known before it runs: the audit record's headline."""

    actor: str
    action: str
    object: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    object: str
    reason: str
    before_digest: str | None  # the object's digest as the previous record left it
    after_digest: str  # digest of this change chained onto ``before_digest``
    changes: dict[str, int]  # rows written per table (counts, never values)
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first link that does not hold: at ``seq`` (the record there, or where one is
    missing), and why."""

    seq: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "reason": self.reason}


def _canonical(record_fields: dict[str, Any]) -> bytes:
    return json.dumps(record_fields, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode()


def link_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, object_: str,
              reason: str, before_digest: str | None, after_digest: str,
              changes: dict[str, int]) -> str:
    body = _canonical({"seq": seq, "at": at.isoformat(), "actor": actor, "action": action,
                       "object": object_, "reason": reason, "before": before_digest,
                       "after": after_digest, "changes": changes})
    return hashlib.sha256(prev_hash.encode() + b"\n" + body).hexdigest()


def after_digest(before: str | None, writes_digest: str) -> str:
    """The object's new digest: this transaction's writes chained onto what it was."""
    return hashlib.sha256(f"{before or ''}\n{writes_digest}".encode()).hexdigest()


def record_hash(r: AuditRecord) -> str:
    return link_hash(r.prev_hash, r.seq, r.at, r.actor, r.action, r.object, r.reason,
                     r.before_digest, r.after_digest, r.changes)


def verify_chain(records: Iterable[AuditRecord], head_seq: int,
                 head_hash: str) -> tuple[int, ChainBreak | None]:
    """Walk the records in ``seq`` order; return how many were checked and the first break
    (None: the chain holds and ends at the head)."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for r in records:
        checked += 1
        if r.seq != expected_seq:
            what = "missing" if r.seq > expected_seq else "out of order or duplicated"
            return checked, ChainBreak(expected_seq, f"record {expected_seq} {what} "
                                                     f"(found {r.seq})")
        if r.prev_hash != expected_prev:
            return checked, ChainBreak(r.seq, "previous-hash link broken: a record before "
                                              "it was edited, removed, inserted or moved")
        if record_hash(r) != r.hash:
            return checked, ChainBreak(r.seq, "record edited: its hash does not match "
                                              "its fields")
        expected_prev, expected_seq = r.hash, r.seq + 1
    if head_seq != expected_seq - 1 or head_hash != expected_prev:
        return checked, ChainBreak(expected_seq if head_seq >= expected_seq else head_seq + 1,
                                   f"chain ends at {expected_seq - 1} but its head says "
                                   f"{head_seq}: records cut off the end or appended "
                                   f"past the head")
    return checked, None


def _actor(command: Any) -> str:
    return str(getattr(command, "actor", "") or getattr(command, "by", "")
               or UNATTRIBUTED)


def _ids(kind: str, ids: tuple[int, ...]) -> str:
    return f"{kind}/{','.join(map(str, ids))}" if ids else f"{kind}/*"


def _selection(kind: str, ids: tuple[int, ...], cmd: Any) -> str:
    if ids:
        return _ids(kind, ids)
    parts = [f"{k}={v}" for k, v in (("employee", cmd.employee), ("project", cmd.project),
                                      ("from", cmd.date_from), ("to", cmd.date_to)) if v]
    return f"{kind}/" + (";".join(parts) if parts else "*")


_Intent = Callable[[Any], tuple[str, str, str]]  # command -> (action, object, reason)

# every financial state change and admin action: the command, what it is called in the
# log, the object it changes and the reason it gives
AUDITED: dict[type, _Intent] = {
    c.ApproveEntries: lambda x: ("entries.approve", _selection("entries", x.entry_ids, x), ""),
    c.RejectEntries: lambda x: ("entries.reject", _ids("entries", x.entry_ids), x.reason),
    c.ApproveExpenses: lambda x: ("expenses.approve", _selection("expenses", x.expense_ids, x), ""),
    c.AdjustBillable: lambda x: ("entries.adjust", f"entries/{x.entry_id}", x.reason),
    c.RunBilling: lambda x: ("billing.run", f"billing/{x.entity or '*'}/{x.through}", ""),
    c.IssueInvoices: lambda x: ("invoices.issue", _ids("invoices", x.invoice_ids)
                                if x.invoice_ids else f"invoices/drafts:{x.entity or '*'}",
                                ""),
    c.VoidInvoice: lambda x: ("invoice.void", f"invoices/{x.invoice_id}", x.reason),
    c.IssueCreditNote: lambda x: ("invoice.credit", f"invoices/{x.invoice_id}", x.reason),
    c.ApplyCorrection: lambda x: ("correction.apply", f"corrections/{x.correction_id}",
                                  x.note),
    c.RejectCorrection: lambda x: ("correction.reject", f"corrections/{x.correction_id}",
                                   x.note),
    c.PlaceHold: lambda x: ("hold.place", f"holds/{x.scope}:{x.ref}", x.reason),
    c.ReleaseHold: lambda x: ("hold.release", f"holds/{x.hold_id}", x.note),
    c.AchieveMilestone: lambda x: ("milestone.achieve",
                                   f"contracts/{x.contract}/{x.milestone}", x.note),
    c.RunRevenue: lambda x: ("revenue.run", f"revenue/{x.entity or '*'}/{x.period}", ""),
    c.DismissExceptions: lambda x: ("exceptions.dismiss", _ids("exceptions", x.exception_ids),
                                    x.note),
    c.LoadMasterData: lambda x: ("masterdata.load", "masterdata/bundle", ""),
    c.LoadErpProfiles: lambda x: ("erp_profiles.load", "erp_profiles/*", ""),
    c.QueueErpPush: lambda x: ("erp.queue", f"erp/{x.destination or '*'}/{x.entity or '*'}",
                               ""),
    c.AddConnection: lambda x: ("connection.add", f"connections/{x.name}", ""),
    c.RemoveConnection: lambda x: ("connection.remove", f"connections/{x.name}", ""),
    c.SetWebhookSecret: lambda x: ("connection.webhook_secret", f"connections/{x.name}", ""),
    c.AddWebhook: lambda x: ("webhook.add", f"webhooks/{x.name}", ""),
    c.RemoveWebhook: lambda x: ("webhook.remove", f"webhooks/{x.name}", ""),
    c.ReplayDeadLetters: lambda x: ("deadletters.replay",
                                    _ids("dead-letters", x.ids) if x.ids
                                    else f"dead-letters/{x.reason or '*'}", x.note),
    # payments read back from an ERP: recorded (and invoices marked paid) only when new
    c.PullErpPayments: lambda x: ("payments.record", f"payments/{x.destination or '*'}", ""),
    c.AddAlias: lambda x: ("alias.add", f"aliases/{x.source}/{x.kind}/{x.external_id}",
                           f"-> {x.code}"),
    c.PullErpCustomers: lambda x: ("erp.identity", f"erp_identity/{x.destination}", ""),
    # master data written to a tracker: it changes what consultants may book there
    c.PublishMasterData: lambda x: ("connection.publish", f"connections/{x.name}",
                                    "dry run" if x.dry_run else ""),
    c.PullErpProjects: lambda x: ("erp.projects", f"erp_projects/{x.destination}", ""),
    c.AddCrmConnection: lambda x: ("connection.add", f"connections/{x.name}", ""),
    c.ConfirmDeal: lambda x: ("deal.confirm", f"deals/{x.opportunity_id}", x.note),
    c.RejectDeal: lambda x: ("deal.reject", f"deals/{x.opportunity_id}", x.note),
}


def intent_of(command: Any) -> AuditIntent | None:
    """The audit headline of ``command``; None for a command the log does not cover
    (intake, reads, syncs: they change no financial state by an actor's decision)."""
    describe = AUDITED.get(type(command))
    if describe is None:
        return None
    action, object_, reason = describe(command)
    return AuditIntent(_actor(command), action, object_, reason or "")
