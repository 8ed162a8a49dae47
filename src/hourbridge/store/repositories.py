"""Repositories on SQLAlchemy Core: batched statements, tuples in and out, no ORM objects."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    Connection,
    Date,
    MetaData,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from hourbridge.domain.credits import CreditableLink
from hourbridge.domain.holds import Hold, HoldScope
from hourbridge.domain.intercompany import IntercompanyCharge
from hourbridge.domain.money import hours, round_money
from hourbridge.errors import Conflict
from hourbridge.services.ports import (
    CreditLine,
    DayKey,
    DayRow,
    DocumentRow,
    EntryRow,
    EntrySelection,
    ExpenseRow,
    ExpenseSelection,
    InvoiceHeader,
    LineState,
    NewEntry,
    NewException,
    NewExpense,
    ReliefRow,
    StoredEntry,
    VoidFacts,
)

from . import tables as t
from .bulk import bulk_insert, note_bulk_write, sqlite_value

IN_CHUNK = 900  # stays under SQLite's bound-parameter limit with room for other filters


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _member(conn: Connection, column: Any, values: Sequence[Any]) -> Iterator[ColumnElement[bool]]:
    """``column IN values`` in statements of bounded size: one array parameter on PostgreSQL
    (``= ANY``), chunks under SQLite's parameter limit elsewhere."""
    unique = list(dict.fromkeys(values))
    if not unique:
        return
    if conn.dialect.name == "postgresql":
        item = BigInteger() if isinstance(unique[0], int) else String()
        yield column == any_(literal(unique, ARRAY(item)))
        return
    for part in _chunks(unique):
        yield column.in_(part)


class SqlInbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, fingerprint: str) -> int | None:
        return self.conn.execute(
            select(t.inbox.c.id).where(t.inbox.c.fingerprint == fingerprint)).scalar()

    def add(self, source: str, fingerprint: str, filename: str, media_type: str,
            size: int, received_at: datetime, kind: str = "time_entries") -> int:
        result = self.conn.execute(insert(t.inbox).values(
            source=source, kind=kind, fingerprint=fingerprint, filename=filename,
            media_type=media_type, received_at=received_at, size_bytes=size, status="received",
        ).returning(t.inbox.c.id))
        return int(result.scalar_one())

    def kinds(self, inbox_ids: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for member in _member(self.conn, t.inbox.c.id, inbox_ids):
            found.update((i, k) for i, k in self.conn.execute(
                select(t.inbox.c.id, t.inbox.c.kind).where(member)))
        return found

    def keep(self, inbox_id: int, chunks: Iterable[bytes]) -> None:
        for seq, data in enumerate(chunks):
            self.conn.execute(insert(t.inbox_chunks).values(inbox_id=inbox_id, seq=seq,
                                                            data=data))

    def payload(self, inbox_id: int) -> Iterator[bytes]:
        """The kept payload, chunk by chunk, exactly as received."""
        ic = t.inbox_chunks
        seqs = list(self.conn.execute(select(ic.c.seq).where(ic.c.inbox_id == inbox_id)
                                      .order_by(ic.c.seq)).scalars())
        for seq in seqs:
            yield self.conn.execute(select(ic.c.data).where(
                ic.c.inbox_id == inbox_id, ic.c.seq == seq)).scalar_one()

    def record_counts(self, inbox_id: int, status: str, total: int, accepted: int,
                      rejected: int, unchanged: int) -> None:
        self.conn.execute(update(t.inbox).where(t.inbox.c.id == inbox_id).values(
            status=status, rows_total=total, rows_accepted=accepted, rows_rejected=rejected,
            rows_unchanged=unchanged))


_INSERT_LINES = insert(t.invoice_lines)

# the session-local table approvals are copied into on PostgreSQL (not part of the schema)
_APPROVING = Table("approving", MetaData(), Column("id"), Column("wip"), Column("cur"),
                   Column("rate"))

_ENTRY_COLS = (
    t.time_entries.c.id, t.time_entries.c.source, t.time_entries.c.external_id,
    t.time_entries.c.employee, t.time_entries.c.project, t.time_entries.c.task,
    t.time_entries.c.entity, t.time_entries.c.contract, t.time_entries.c.work_date,
    t.time_entries.c.worked_seconds, t.time_entries.c.billable_seconds,
    t.time_entries.c.billable, t.time_entries.c.approval, t.time_entries.c.billing,
    t.time_entries.c.wip_amount, t.time_entries.c.billed_seconds,
    t.time_entries.c.written_off_seconds, t.time_entries.c.wip_fx_rate,
)


class SqlEntries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stored(self, source: str, external_ids: Sequence[str]) -> dict[str, StoredEntry]:
        te = t.time_entries
        found: dict[str, StoredEntry] = {}
        for member in _member(self.conn, te.c.external_id, external_ids):
            for r in self.conn.execute(
                select(te.c.id, te.c.external_id, te.c.revision, te.c.content_key,
                       te.c.approval, te.c.billing, te.c.employee, te.c.contract,
                       te.c.work_date, te.c.billed_seconds, te.c.deleted_at)
                .where(member, te.c.source == source)
            ):
                found[r.external_id] = StoredEntry(r.id, r.revision, r.content_key, r.approval,
                                                   r.billing, r.employee, r.contract,
                                                   r.work_date, r.billed_seconds,
                                                   r.deleted_at is not None)
        return found

    def existing_content_keys(self, keys: Sequence[str]) -> set[str]:
        te = t.time_entries
        found: set[str] = set()
        for member in _member(self.conn, te.c.content_key, keys):
            found.update(self.conn.execute(select(te.c.content_key).where(member)).scalars())
        return found

    @staticmethod
    def _row(e: NewEntry, at: datetime) -> dict[str, Any]:
        return {
            "source": e.source, "external_id": e.external_id, "revision": e.revision,
            "inbox_id": e.inbox_id, "employee": e.employee, "project": e.project,
            "task": e.task, "entity": e.entity, "contract": e.contract,
            "work_date": e.work_date, "worked_seconds": e.worked_seconds,
            "billable_seconds": e.billable_seconds, "billable": e.billable, "notes": e.notes,
            "content_key": e.content_key, "approval": e.approval, "billing": e.billing,
            "locked": False, "created_at": at, "updated_at": at,
        }

    _INSERT_COLUMNS = (
        "source", "external_id", "revision", "inbox_id", "employee", "project", "task",
        "entity", "contract", "work_date", "worked_seconds", "billable_seconds", "billable",
        "notes", "content_key", "approval", "billing", "locked", "created_at", "updated_at",
    )

    def insert(self, entries: Sequence[NewEntry], at: datetime) -> None:
        """The ingest hot path: one bulk statement per batch, tuples straight to the driver."""
        if self.conn.dialect.name == "sqlite":
            # already in SQLite's storage form: converting value by value costs more than
            # the insert itself
            stamp = sqlite_value(at)
            rows: list[tuple[Any, ...]] = [
                (e.source, e.external_id, e.revision, e.inbox_id, e.employee, e.project, e.task,
                 e.entity, e.contract, e.work_date.isoformat(), e.worked_seconds,
                 e.billable_seconds, int(e.billable), e.notes, e.content_key, e.approval,
                 e.billing, 0, stamp, stamp)
                for e in entries
            ]
            bulk_insert(self.conn, t.time_entries, self._INSERT_COLUMNS, rows, converted=True)
            return
        bulk_insert(self.conn, t.time_entries, self._INSERT_COLUMNS, [
            (e.source, e.external_id, e.revision, e.inbox_id, e.employee, e.project, e.task,
             e.entity, e.contract, e.work_date, e.worked_seconds, e.billable_seconds,
             e.billable, e.notes, e.content_key, e.approval, e.billing, False, at, at)
            for e in entries
        ])

    def replace(self, entry_id: int, entry: NewEntry, at: datetime) -> None:
        row = self._row(entry, at)
        del row["created_at"]
        self.conn.execute(update(t.time_entries).where(t.time_entries.c.id == entry_id)
                          .values(**row))

    PAGE = 5000

    def _where(self, selection: EntrySelection) -> list[ColumnElement[bool]]:
        te = t.time_entries
        where: list[ColumnElement[bool]] = []
        if selection.contract:
            where.append(te.c.contract == selection.contract)
        if selection.employee:
            where.append(te.c.employee == selection.employee)
        if selection.project:
            where.append(te.c.project == selection.project)
        if selection.date_from:
            where.append(te.c.work_date >= selection.date_from)
        if selection.date_to:
            where.append(te.c.work_date <= selection.date_to)
        if selection.approval:
            where.append(te.c.approval.in_(selection.approval))
        if selection.billing:
            where.append(te.c.billing.in_(selection.billing))
        if selection.billable is not None:
            where.append(te.c.billable == selection.billable)
        if selection.entity:
            where.append(te.c.entity == selection.entity)
        return where

    def select(self, selection: EntrySelection) -> Iterator[EntryRow]:
        """Matching entries by id, fetched a page at a time (keyset: id > last), so memory
        stays bounded and the caller may update rows it has already seen."""
        te = t.time_entries
        where = self._where(selection)
        id_parts: list[Sequence[int] | None] = (
            list(_chunks(list(selection.ids))) if selection.ids else [None])
        for part in id_parts:
            clause = list(where) + ([te.c.id.in_(part)] if part is not None else [])
            last = 0
            while True:
                stmt = (select(*_ENTRY_COLS).where(and_(te.c.id > last, *clause))
                        .order_by(te.c.id).limit(self.PAGE))
                rows = self.conn.execute(stmt).all()
                for r in rows:
                    yield EntryRow(*r)
                if len(rows) < self.PAGE:
                    break
                last = rows[-1][0]

    def contracts(self, selection: EntrySelection) -> list[str]:
        """The contracts that have entries matching ``selection`` (billing goes one by one)."""
        te = t.time_entries
        stmt = (select(te.c.contract).where(and_(te.c.contract.is_not(None),
                                                 *self._where(selection)))
                .group_by(te.c.contract).order_by(te.c.contract))
        return [k for k in self.conn.execute(stmt).scalars() if k is not None]

    def approve(self, approvals: Sequence[tuple[int, Decimal | None, str | None, Decimal | None]],
                at: datetime, by: str) -> None:
        """A hot path at month end: one bulk update per batch (a temporary table filled by
        COPY on PostgreSQL, one driver executemany on SQLite)."""
        if not approvals:
            return
        note_bulk_write(self.conn, "time_entries", len(approvals))
        if self.conn.dialect.name == "postgresql":
            self.conn.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS approving "
                "(id bigint PRIMARY KEY, wip numeric, cur varchar(3), rate numeric) "
                "ON COMMIT DELETE ROWS")
            self.conn.exec_driver_sql("TRUNCATE approving")
            bulk_insert(self.conn, _APPROVING, ("id", "wip", "cur", "rate"), approvals)
            self.conn.execute(text(
                "UPDATE time_entries SET approval = 'approved', approved_at = :at, "
                "approved_by = :by, wip_amount = a.wip, wip_currency = a.cur, "
                "wip_fx_rate = a.rate, updated_at = :at "
                "FROM approving a WHERE time_entries.id = a.id"), {"at": at, "by": by})
            return
        stamp = sqlite_value(at)
        self.conn.exec_driver_sql(
            "UPDATE time_entries SET approval = 'approved', approved_at = ?, approved_by = ?, "
            "wip_amount = ?, wip_currency = ?, wip_fx_rate = ?, updated_at = ? WHERE id = ?",
            [(stamp, by, None if w is None else format(w, "f"), c,
              None if r is None else format(r, "f"), stamp, i)
             for i, w, c, r in approvals])

    def set_billing(self, ids: Sequence[int], state: str, at: datetime) -> None:
        te = t.time_entries
        # Invoiced work is locked: the lock axis says the source may no longer change it.
        locked = state == "invoiced"
        for member in _member(self.conn, te.c.id, ids):
            if not locked:
                self.conn.execute(update(te).where(member)
                                  .values(billing=state, locked=False, updated_at=at))
                continue
            # an entry a credit note released part of while the rest sat on this draft is
            # not invoiced in full: it stays open (credited) for the next run
            whole = te.c.billed_seconds + te.c.written_off_seconds >= te.c.billable_seconds
            self.conn.execute(update(te).where(member, whole)
                              .values(billing=state, locked=True, updated_at=at))
            self.conn.execute(update(te).where(member, ~whole)
                              .values(billing="credited", updated_at=at))

    def reject(self, ids: Sequence[int], at: datetime, by: str, reason: str) -> None:
        """Send entries back: not approved, nothing booked for them any more."""
        te = t.time_entries
        for member in _member(self.conn, te.c.id, ids):
            self.conn.execute(update(te).where(member).values(
                approval="rejected", approved_at=None, approved_by=None, wip_amount=None,
                wip_currency=None, wip_fx_rate=None, rejected_at=at, rejected_by=by,
                rejection_reason=reason, updated_at=at))

    def bill_open(self, ids: Sequence[int], at: datetime) -> None:
        """A billing run put every open second of these entries on a draft."""
        te = t.time_entries
        note_bulk_write(self.conn, "time_entries", len(ids))
        for member in _member(self.conn, te.c.id, ids):
            self.conn.execute(update(te).where(member).values(
                billed_seconds=te.c.billable_seconds - te.c.written_off_seconds,
                billing="on_draft", updated_at=at))

    def wip_rows(self, ids: Sequence[int]) -> list[ReliefRow]:
        te, pr = t.time_entries, t.projects
        out: list[ReliefRow] = []
        for member in _member(self.conn, te.c.id, ids):
            for r in self.conn.execute(
                select(te.c.id, pr.c.customer, te.c.project, te.c.billable_seconds,
                       te.c.wip_amount, te.c.relieved_seconds, te.c.wip_relieved,
                       te.c.wip_fx_rate)
                .join(pr, pr.c.code == te.c.project).where(member)
            ):
                out.append(ReliefRow(r[0], r[1], r[2], r[3], r[4] or Decimal(0), r[5],
                                     r[6] or Decimal(0), r[7] or Decimal(1)))
        return out

    def add_relief(self, changes: Sequence[tuple[int, int, Decimal]], at: datetime) -> None:
        """Add (entry id, seconds, amount) to what invoicing has relieved of each entry's WIP
        (negative when a credit restores it)."""
        if not changes:
            return
        te = t.time_entries
        before = {r.entry_id: r for r in self.wip_rows([c[0] for c in changes])}
        # the common case, an entry invoiced whole for the first time, is one set-based
        # statement; only partial quantities (credits, rebills) go row by row
        whole = [i for i, s, a in changes
                 if before[i].relieved_seconds == 0 and not before[i].wip_relieved
                 and s == before[i].billable_seconds and a == before[i].wip_amount]
        for member in _member(self.conn, te.c.id, whole):
            self.conn.execute(update(te).where(member).values(
                relieved_seconds=te.c.billable_seconds, wip_relieved=te.c.wip_amount,
                updated_at=at))
        done = set(whole)
        changes = [c for c in changes if c[0] not in done]
        if not changes:
            return
        if self.conn.dialect.name == "sqlite":
            # wip_relieved is decimal text on SQLite: add in Python, write the exact sum
            now = before
            stamp = sqlite_value(at)
            self.conn.exec_driver_sql(
                "UPDATE time_entries SET relieved_seconds = ?, wip_relieved = ?, updated_at = ? "
                "WHERE id = ?",
                [(now[i].relieved_seconds + s, format(now[i].wip_relieved + a, "f"), stamp, i)
                 for i, s, a in changes])
            return
        self.conn.execute(text(
            "UPDATE time_entries SET relieved_seconds = relieved_seconds + :s, "
            "wip_relieved = COALESCE(wip_relieved, 0) + :a, updated_at = :at WHERE id = :i"),
            [{"s": s, "a": a, "at": at, "i": i} for i, s, a in changes])

    def adjust(self, entry_id: int, before: int, after: int, wip: Decimal | None,
               wip_delta: Decimal | None, reason: str, actor: str, at: datetime) -> int:
        te = t.time_entries
        values: dict[str, Any] = {"billable_seconds": after, "updated_at": at}
        if wip is not None:
            values["wip_amount"] = wip
        self.conn.execute(update(te).where(te.c.id == entry_id).values(**values))
        return int(self.conn.execute(insert(t.adjustments).values(
            entry=entry_id, before_seconds=before, after_seconds=after, wip_delta=wip_delta,
            reason=reason, actor=actor, at=at).returning(t.adjustments.c.id)).scalar_one())

    def day_rows(self, keys: Sequence[DayKey]) -> list[DayRow]:
        """Live billable entries of the given days (contract, employee, date), with the sum
        of each one's manual adjustments."""
        te, adj = t.time_entries, t.adjustments
        # write-ups minus write-downs of each entry (a correlated lookup on adjustments.entry)
        manual = (select(func.coalesce(func.sum(adj.c.after_seconds - adj.c.before_seconds), 0))
                  .where(adj.c.entry == te.c.id).scalar_subquery())
        cols = (te.c.id, te.c.source, te.c.external_id, te.c.employee, te.c.project, te.c.task,
                te.c.entity, te.c.contract, te.c.work_date, te.c.worked_seconds,
                te.c.billable_seconds, te.c.approval, te.c.billing, te.c.billed_seconds,
                te.c.written_off_seconds, te.c.wip_amount, manual)
        live = (te.c.billable.is_(True), te.c.approval != "rejected")
        found: list[tuple[Any, ...]] = []
        if self.conn.dialect.name == "postgresql":
            # the days as three parallel arrays joined on the (employee, work_date) index: one
            # statement per batch, planned well even before the table has statistics
            k = select(
                func.unnest(literal([e for _, e, _ in keys], ARRAY(String()))).label("e"),
                func.unnest(literal([d for _, _, d in keys], ARRAY(Date()))).label("d"),
                func.unnest(literal([c for c, _, _ in keys], ARRAY(String()))).label("c"),
            ).subquery("k")
            found = [tuple(r) for r in self.conn.execute(
                select(*cols).join_from(te, k, and_(te.c.employee == k.c.e,
                                                    te.c.work_date == k.c.d,
                                                    te.c.contract == k.c.c))
                .where(*live).order_by(te.c.id))]
        else:
            found = self._sqlite_day_rows(keys)
        return [DayRow(*r[:16], manual_delta=int(r[16])) for r in found]

    _DAY_COLUMNS = ("id, source, external_id, employee, project, task, entity, contract, "
                    "work_date, worked_seconds, billable_seconds, approval, billing, "
                    "billed_seconds, written_off_seconds, wip_amount")

    def _sqlite_day_rows(self, keys: Sequence[DayKey]) -> list[tuple[Any, ...]]:
        """The days go into a temporary table joined on the (employee, work_date) index, and
        rows come back as the driver gives them: SQLAlchemy's per-value processing of
        thousands of parameters and rows cost more than the query."""
        self.conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS rounding_days "
            "(employee TEXT, work_date TEXT, contract TEXT)")
        self.conn.exec_driver_sql("DELETE FROM rounding_days")
        self.conn.exec_driver_sql("INSERT INTO rounding_days VALUES (?, ?, ?)",
                                  [(e, d.isoformat(), c) for c, e, d in keys])
        cols = ", ".join(f"te.{c}" for c in self._DAY_COLUMNS.split(", "))
        rows = self.conn.exec_driver_sql(
            f"SELECT {cols}, (SELECT COALESCE(SUM(a.after_seconds - a.before_seconds), 0) "
            "FROM adjustments a WHERE a.entry = te.id) "
            "FROM rounding_days k JOIN time_entries te "
            "ON te.employee = k.employee AND te.work_date = k.work_date "
            "AND te.contract = k.contract "
            "WHERE te.billable = 1 AND te.approval <> 'rejected' ORDER BY te.id").all()
        return [(*r[:8], date.fromisoformat(r[8]), *r[9:15],
                 None if r[15] is None else Decimal(r[15]), r[16]) for r in rows]

    def set_billable(self, changes: Sequence[tuple[int, int, Decimal | None]],
                     at: datetime) -> None:
        """New billable seconds (and, for approved work, the re-priced WIP) of entries."""
        if not changes:
            return
        te = t.time_entries
        if self.conn.dialect.name == "postgresql":
            # one statement from arrays, not a round trip per entry
            self.conn.execute(text(
                "UPDATE time_entries SET billable_seconds = k.s, updated_at = :at FROM "
                "unnest(CAST(:ids AS bigint[]), CAST(:secs AS bigint[])) AS k(id, s) "
                "WHERE time_entries.id = k.id"),
                {"at": at, "ids": [i for i, _, _ in changes],
                 "secs": [s for _, s, _ in changes]})
            priced = [(i, w) for i, _, w in changes if w is not None]
            if priced:
                self.conn.execute(text(
                    "UPDATE time_entries SET wip_amount = k.w FROM "
                    "unnest(CAST(:ids AS bigint[]), CAST(:wips AS numeric[])) AS k(id, w) "
                    "WHERE time_entries.id = k.id"),
                    {"ids": [i for i, _ in priced], "wips": [w for _, w in priced]})
            return
        self.conn.execute(
            update(te).where(te.c.id == bindparam("i")).values(
                billable_seconds=bindparam("s"), updated_at=at),
            [{"i": i, "s": s} for i, s, _ in changes])
        priced = [{"i": i, "w": w} for i, _, w in changes if w is not None]
        if priced:
            self.conn.execute(update(te).where(te.c.id == bindparam("i"))
                              .values(wip_amount=bindparam("w")), priced)

    def credit(self, released: Sequence[tuple[int, int]], mode: str, at: datetime) -> None:
        """Credited seconds leave the billed quantity: to be billed again (rebill), or written
        off for good; the billing state follows what is left."""
        if not released:
            return
        off = 1 if mode == "write_off" else 0
        self.conn.execute(text(
            "UPDATE time_entries SET billed_seconds = billed_seconds - :s, "
            "written_off_seconds = written_off_seconds + :s * :off, updated_at = :at "
            "WHERE id = :i"),
            [{"s": s, "off": off, "at": at, "i": i} for i, s in released])
        te = t.time_entries
        for member in _member(self.conn, te.c.id, [i for i, _ in released]):
            self.conn.execute(update(te).where(member).values(billing=case(
                (te.c.billable_seconds - te.c.billed_seconds - te.c.written_off_seconds > 0,
                 "credited"),
                (te.c.billed_seconds > 0, "invoiced"),
                else_="written_off")))


    def _settle(self, ids: Sequence[int], at: datetime) -> None:
        """The billing state follows the ledger by quantity after a release or a revision:
        open seconds bill again, billed ones stay invoiced (and locked); zero-second work
        bills again at 0 h; what is left of a deleted or non-billable entry bills nothing."""
        te = t.time_entries
        open_seconds = te.c.billable_seconds - te.c.billed_seconds - te.c.written_off_seconds
        for member in _member(self.conn, te.c.id, ids):
            self.conn.execute(update(te).where(member).values(billing=case(
                (te.c.billable.is_(False), "non_billable"),
                (and_(open_seconds > 0, te.c.billing == "credited"), "credited"),
                (and_(open_seconds > 0, te.c.relieved_seconds == 0,
                      te.c.written_off_seconds == 0), "unbilled"),
                (open_seconds > 0, "credited"),
                (te.c.billed_seconds > 0, "invoiced"),
                (te.c.billable_seconds == 0, "unbilled"),
                else_="written_off"), updated_at=at))
            self.conn.execute(update(te).where(member).values(
                locked=te.c.billing == "invoiced"))

    def release(self, links: Sequence[tuple[int, int]], at: datetime) -> None:
        """Seconds an invoice billed leave the billed quantity (a voided draft or invoice):
        they bill again with the next run."""
        if not links:
            return
        self.conn.execute(text(
            "UPDATE time_entries SET billed_seconds = billed_seconds - :s, updated_at = :at "
            "WHERE id = :i"), [{"s": s, "at": at, "i": i} for i, s in links])
        self._settle([i for i, _ in links], at)

    def mark_deleted(self, entry_id: int, revision: int, inbox_id: int, at: datetime) -> None:
        """The source deleted work nobody approved yet: kept, never approved or billed."""
        te = t.time_entries
        self.conn.execute(update(te).where(te.c.id == entry_id).values(
            revision=revision, inbox_id=inbox_id, approval="rejected", billing="non_billable",
            billable=False, billable_seconds=0, deleted_at=at, updated_at=at))

    def revise(self, entry_id: int, entry: NewEntry, billable_seconds: int, billable: bool,
               wip: Decimal, currency: str, pending_adjustment: bool, at: datetime) -> None:
        """Take an applied correction's revision: approval stays, the value is re-booked by
        the caller; a deletion keeps what was worked and only zeroes what bills."""
        te = t.time_entries
        values: dict[str, Any] = {
            "revision": entry.revision, "inbox_id": entry.inbox_id,
            "billable_seconds": billable_seconds, "billable": billable, "wip_amount": wip,
            "wip_currency": currency, "updated_at": at,
            "deleted_at": at if entry.deleted else None}
        if not entry.deleted:
            values.update(employee=entry.employee, project=entry.project, task=entry.task,
                          entity=entry.entity, contract=entry.contract,
                          work_date=entry.work_date, worked_seconds=entry.worked_seconds,
                          notes=entry.notes, content_key=entry.content_key)
        self.conn.execute(update(te).where(te.c.id == entry_id).values(**values))
        if pending_adjustment:  # the next run bills the difference; until then it is invoiced
            self.conn.execute(update(te).where(te.c.id == entry_id).values(
                billing="invoiced", locked=True))
        else:
            self._settle([entry_id], at)

    def state(self, entry_id: int) -> dict[str, Any] | None:
        te = t.time_entries
        r = self.conn.execute(select(te).where(te.c.id == entry_id)).first()
        return dict(r._mapping) if r else None


def _json_safe(row: dict[str, Any]) -> dict[str, Any]:
    """The raw row as JSON keeps it: JSON numbers (Decimal from the parser) as their text."""
    return json.loads(json.dumps(row, default=str))


class SqlExceptions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, items: Sequence[NewException], at: datetime) -> None:
        if not items:
            return
        self.conn.execute(insert(t.exceptions), [
            {"inbox_id": i.inbox_id, "source": i.source, "external_id": i.external_id,
             "location": i.problem.where, "reason": i.problem.code, "field": i.problem.field,
             "message": i.problem.message, "owner_role": i.problem.owner, "status": "open",
             "row": _json_safe(i.row), "created_at": at}
            for i in items
        ])

    def add_open_once(self, items: Sequence[NewException], at: datetime) -> int:
        """Add the items that have no open twin (same source, reason and location): a
        condition found again by every run is one exception, not one per run."""
        ex = t.exceptions
        fresh = [i for i in items if self.conn.execute(
            select(ex.c.id).where(ex.c.status == "open", ex.c.source == i.source,
                                  ex.c.reason == i.problem.code,
                                  ex.c.location == i.problem.where)).first() is None]
        self.add(fresh, at)
        return len(fresh)

    def resolve(self, source: str, location: str, at: datetime, by: str) -> None:
        ex = t.exceptions
        self.conn.execute(update(ex).where(ex.c.status == "open", ex.c.source == source,
                                           ex.c.location == location)
                          .values(status="resolved", closed_at=at, closed_by=by,
                                  note="the condition no longer holds"))

    def resolve_all(self, source: str, locations: Sequence[str], at: datetime,
                    by: str) -> None:
        """``resolve`` for many locations, a bounded statement per chunk."""
        ex = t.exceptions
        for member in _member(self.conn, ex.c.location, locations):
            self.conn.execute(update(ex).where(ex.c.status == "open", ex.c.source == source,
                                               member)
                              .values(status="resolved", closed_at=at, closed_by=by,
                                      note="the condition no longer holds"))

    def open_items(self, ids: Sequence[int]) -> list[tuple[int, int | None, str, dict[str, Any]]]:
        ex = t.exceptions
        stmt = select(ex.c.id, ex.c.inbox_id, ex.c.source, ex.c.row).where(ex.c.status == "open")
        if ids:
            out: list[tuple[int, int | None, str, dict[str, Any]]] = []
            for part in _chunks(list(ids)):
                out += [tuple(r) for r in self.conn.execute(stmt.where(ex.c.id.in_(part)))]  # type: ignore[misc]
            return out
        return [tuple(r) for r in self.conn.execute(stmt.order_by(ex.c.id))]  # type: ignore[misc]

    def close(self, ids: Sequence[int], status: str, at: datetime, by: str, note: str) -> None:
        ex = t.exceptions
        for part in _chunks(list(ids)):
            self.conn.execute(update(ex).where(ex.c.id.in_(part), ex.c.status == "open")
                              .values(status=status, closed_at=at, closed_by=by, note=note))


class SqlInvoices:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_run(self, through: date, entity: str | None, at: datetime,
                dry_run: bool = False) -> int:
        return int(self.conn.execute(insert(t.billing_runs).values(
            through=through, entity=entity, started_at=at, invoices_created=0,
            entries_billed=0, dry_run=dry_run).returning(t.billing_runs.c.id)).scalar_one())

    def finish_run(self, run_id: int, invoices: int, entries: int,
                   proposals: dict[str, dict[str, str]]) -> None:
        self.conn.execute(update(t.billing_runs).where(t.billing_runs.c.id == run_id)
                          .values(invoices_created=invoices, entries_billed=entries,
                                  proposals=proposals))

    def last_proposals(self, entity: str | None) -> dict[str, dict[str, str]] | None:
        """What the latest run over the same scope (one entity, or all) proposed."""
        br = t.billing_runs
        scope = br.c.entity.is_(None) if entity is None else br.c.entity == entity
        found = self.conn.execute(select(br.c.proposals).where(scope, br.c.proposals.is_not(None))
                                  .order_by(br.c.id.desc()).limit(1)).scalar()
        return dict(found) if found is not None else None

    def add_draft(self, run_id: int, draft: Any, tax: Any, at: datetime) -> int:
        net = draft.net
        invoice_id = int(self.conn.execute(insert(t.invoices).values(
            billing_run=run_id, entity=draft.entity, contract=draft.contract,
            customer=draft.customer, currency=draft.currency, period=draft.period,
            status="draft", net=net, tax_code=tax.code, tax_category=tax.category,
            tax_exemption_code=tax.exemption_code, tax_rate=tax.rate, tax=tax.amount,
            total=net + tax.amount, tax_note=tax.note, created_at=at,
        ).returning(t.invoices.c.id)).scalar_one())
        rows = [
            {"invoice": invoice_id, "line_no": n, "description": line.describe(),
             "project": line.project, "task": line.task, "role": line.role,
             "seconds": line.seconds,
             "quantity_hours": line.quantity_hours.quantize(Decimal("0.000001")),
             "rate": line.decision.rate, "amount": line.amount,
             "rate_card": line.decision.card, "rate_row": line.decision.row,
             "rate_rule": line.decision.rule, "rate_scope": line.decision.scope,
             "contract_version": line.decision.contract_version,
             "kind": line.kind, "charge_ref": line.charge_ref}
            for n, line in enumerate(draft.lines, start=1)
        ]
        first_charge = len(rows) + 1
        rows += [
            {"invoice": invoice_id, "line_no": n, "description": c.description,
             "project": c.project, "task": "", "role": "", "seconds": 0,
             "quantity_hours": Decimal(0), "rate": abs(c.amount), "amount": c.amount,
             "rate_card": "", "rate_row": c.ref, "rate_rule": c.kind, "rate_scope": "contract",
             "contract_version": c.contract_version, "kind": c.kind, "charge_ref": c.ref}
            for n, c in enumerate(draft.charges, start=first_charge)
        ]
        # one statement for all lines; ids come back in the order of the rows given
        line_ids = self.conn.execute(
            _INSERT_LINES.returning(t.invoice_lines.c.id, sort_by_parameter_order=True),
            rows).scalars().all()
        links = [(line_id, k.entry_id, k.seconds)
                 for line_id, line in zip(line_ids, draft.lines, strict=False)
                 for k in line.links]
        bulk_insert(self.conn, t.invoice_line_entries, ("line", "entry", "seconds"), links)
        charge_ids = line_ids[first_charge - 1:]
        once = [{"contract": draft.contract, "kind": c.kind, "ref": c.ref, "invoice_line": i,
                 "amount": c.amount, "state": "billed", "at": at}
                for i, c in zip(charge_ids, draft.charges, strict=True) if c.bills_once]
        if once:
            self.conn.execute(insert(t.contract_charges), once)
        return invoice_id

    def drafts(self, ids: Sequence[int], entity: str | None) -> list[InvoiceHeader]:
        inv = t.invoices
        stmt = select(inv.c.id, inv.c.entity, inv.c.contract, inv.c.customer, inv.c.currency,
                      inv.c.period, inv.c.status, inv.c.number, inv.c.issue_date, inv.c.net,
                      inv.c.tax, inv.c.total).where(inv.c.status == "draft")
        if entity:
            stmt = stmt.where(inv.c.entity == entity)
        out: list[InvoiceHeader] = []
        parts: list[Sequence[int] | None] = list(_chunks(list(ids))) if ids else [None]
        for part in parts:
            s = stmt.where(inv.c.id.in_(part)) if part is not None else stmt
            out += [InvoiceHeader(*r) for r in self.conn.execute(s.order_by(inv.c.id))]
        return out

    def statuses(self, ids: Sequence[int]) -> dict[int, str]:
        inv = t.invoices
        out: dict[int, str] = {}
        for part in _chunks(list(ids)):
            out.update({i: s for i, s in self.conn.execute(
                select(inv.c.id, inv.c.status).where(inv.c.id.in_(part)))})
        return out

    def entry_seconds_for(self, invoice_ids: Sequence[int]
                          ) -> dict[int, list[tuple[int, int]]]:
        """(entry, seconds) billed by each invoice: what issuing relieves and locks."""
        le, li = t.invoice_line_entries, t.invoice_lines
        out: dict[int, list[tuple[int, int]]] = {i: [] for i in invoice_ids}
        for member in _member(self.conn, li.c.invoice, invoice_ids):
            for invoice, entry, seconds in self.conn.execute(
                select(li.c.invoice, le.c.entry, le.c.seconds)
                .join(li, li.c.id == le.c.line).where(member)
                .order_by(li.c.invoice, le.c.entry)
            ):
                out[invoice].append((entry, seconds))
        return out

    def charge_line_ids(self, invoice_id: int) -> dict[tuple[str, str, str], int]:
        """(kind, charge ref, project) -> line id of the invoice's charge lines."""
        li = t.invoice_lines
        return {(k, r or "", p): i for i, k, r, p in self.conn.execute(
            select(li.c.id, li.c.kind, li.c.charge_ref, li.c.project)
            .where(li.c.invoice == invoice_id, li.c.kind != "time"))}

    def kind_totals(self, invoice_ids: Sequence[int]) -> dict[int, dict[str, Decimal]]:
        """Line amounts per kind of each invoice: what issuing books where."""
        li = t.invoice_lines
        out: dict[int, dict[str, Decimal]] = {i: {} for i in invoice_ids}
        # summed here, not by SQL: SQLite would add the decimal text as floats
        for member in _member(self.conn, li.c.invoice, invoice_ids):
            for invoice, kind, amount in self.conn.execute(
                    select(li.c.invoice, li.c.kind, li.c.amount).where(member)):
                totals = out[invoice]
                totals[kind] = totals.get(kind, Decimal(0)) + amount
        return out

    def document(self, invoice_id: int) -> DocumentRow | None:
        inv = t.invoices
        r = self.conn.execute(select(
            inv.c.id, inv.c.kind, inv.c.status, inv.c.entity, inv.c.contract, inv.c.customer,
            inv.c.currency, inv.c.period, inv.c.number, inv.c.net, inv.c.tax, inv.c.tax_rate,
            inv.c.tax_code, inv.c.tax_category, inv.c.tax_exemption_code, inv.c.tax_note,
            inv.c.fx_rate,
        ).where(inv.c.id == invoice_id)).first()
        return DocumentRow(*r) if r else None

    def credit_state(self, invoice_id: int) -> tuple[list[LineState], Decimal]:
        """The invoice's lines, each with its links and what credit notes took from them."""
        inv, li, le = t.invoices, t.invoice_lines, t.invoice_line_entries
        credit_line = li.alias("credit_line")
        lines = self.conn.execute(select(li).where(li.c.invoice == invoice_id)
                                  .order_by(li.c.line_no)).all()
        ids = [ln.id for ln in lines]
        links: dict[int, dict[int, int]] = {i: {} for i in ids}
        credited: dict[int, dict[int, int]] = {i: {} for i in ids}
        credited_lines: dict[int, tuple[int, Decimal]] = {}
        if ids:
            for line, entry, seconds in self.conn.execute(
                    select(le.c.line, le.c.entry, le.c.seconds).where(le.c.line.in_(ids))):
                links[line][entry] = seconds
            for original, entry, seconds in self.conn.execute(
                select(credit_line.c.credits_line, le.c.entry, le.c.seconds)
                .join(le, le.c.line == credit_line.c.id)
                .where(credit_line.c.credits_line.in_(ids))
            ):
                bucket = credited[original]
                bucket[entry] = bucket.get(entry, 0) - seconds  # credit links are negative
            for original, seconds, amount in self.conn.execute(
                select(credit_line.c.credits_line, credit_line.c.seconds,
                       credit_line.c.amount).where(credit_line.c.credits_line.in_(ids))
            ):
                s0, a0 = credited_lines.get(original, (0, Decimal(0)))
                credited_lines[original] = (s0 + seconds, a0 + amount)
        credited_tax = sum((tax for (tax,) in self.conn.execute(
            select(inv.c.tax).where(inv.c.credits == invoice_id))), Decimal(0))
        # never more than an entry has billed: a correction billed on a later invoice (a
        # negative adjustment line) already took some of these seconds back
        te = t.time_entries
        entry_ids = sorted({e for by_entry in links.values() for e in by_entry})
        billed: dict[int, int] = {}
        for member in _member(self.conn, te.c.id, entry_ids):
            billed.update(self.conn.execute(
                select(te.c.id, te.c.billed_seconds).where(member)).all())
        states = [
            LineState(
                ln.id, ln.line_no, ln.description, ln.project, ln.task, ln.role, ln.seconds,
                ln.rate, ln.amount, ln.rate_card, ln.rate_row, ln.rate_rule, ln.rate_scope,
                ln.contract_version, credited_lines.get(ln.id, (0, Decimal(0)))[0],
                credited_lines.get(ln.id, (0, Decimal(0)))[1],
                tuple(CreditableLink(ln.id, e, s, max(credited[ln.id].get(e, 0),
                                                      s - billed.get(e, 0)))
                      for e, s in sorted(links[ln.id].items())), ln.kind)
            for ln in lines
        ]
        return states, credited_tax

    def add_credit_note(self, invoice: DocumentRow, number: str, sequence: int,
                        issue_date: date, net: Decimal, tax: Decimal,
                        lines: Sequence[CreditLine], mode: str, reason: str, at: datetime,
                        by: str) -> int:
        note_id = int(self.conn.execute(insert(t.invoices).values(
            kind="credit_note", credits=invoice.id, credit_mode=mode, reason=reason,
            entity=invoice.entity, contract=invoice.contract, customer=invoice.customer,
            currency=invoice.currency, period=invoice.period, status="issued", number=number,
            sequence=sequence, issue_date=issue_date, due_date=issue_date, net=net,
            tax_code=invoice.tax_code, tax_category=invoice.tax_category,
            tax_exemption_code=invoice.tax_exemption_code, tax_rate=invoice.tax_rate, tax=tax,
            total=net + tax, tax_note=invoice.tax_note, fx_rate=invoice.fx_rate,
            created_at=at, issued_at=at,
            issued_by=by).returning(t.invoices.c.id)).scalar_one())
        rows = [
            {"invoice": note_id, "line_no": n, "credits_line": c.original.id,
             "description": c.original.description, "project": c.original.project,
             "task": c.original.task, "role": c.original.role, "seconds": c.seconds,
             "quantity_hours": hours(c.seconds).quantize(Decimal("0.000001")),
             "rate": c.original.rate, "amount": c.amount, "rate_card": c.original.rate_card,
             "rate_row": c.original.rate_row, "rate_rule": c.original.rate_rule,
             "rate_scope": c.original.rate_scope,
             "contract_version": c.original.contract_version, "kind": c.original.kind,
             "charge_ref": c.original.rate_row if not c.original.hourly else None}
            for n, c in enumerate(lines, start=1)
        ]
        line_ids = self.conn.execute(
            _INSERT_LINES.returning(t.invoice_lines.c.id, sort_by_parameter_order=True),
            rows).scalars().all()
        bulk_insert(self.conn, t.invoice_line_entries, ("line", "entry", "seconds"), [
            (line_id, entry, -seconds)
            for line_id, c in zip(line_ids, lines, strict=True)
            for entry, seconds in c.allocations])
        return note_id

    def next_number(self, entity: str) -> int:
        en = t.entities
        # The UPDATE takes the row lock on PostgreSQL, serialising concurrent issuers.
        return int(self.conn.execute(
            update(en).where(en.c.code == entity)
            .values(last_invoice_number=en.c.last_invoice_number + 1)
            .returning(en.c.last_invoice_number)).scalar_one())

    def mark_issued(self, invoice_id: int, number: str, sequence: int, issue_date: date,
                    due_date: date, at: datetime, by: str,
                    fx_rate: Decimal | None = None) -> None:
        inv = t.invoices
        done = self.conn.execute(update(inv).where(inv.c.id == invoice_id,
                                                   inv.c.status == "draft").values(
            status="issued", number=number, sequence=sequence, issue_date=issue_date,
            due_date=due_date, issued_at=at, issued_by=by, fx_rate=fx_rate))
        if done.rowcount != 1:
            from hourbridge.errors import Conflict

            raise Conflict(f"invoice {invoice_id} is no longer a draft")


    def void_facts(self, invoice_id: int) -> VoidFacts:
        inv = t.invoices
        issue_date = self.conn.execute(select(inv.c.issue_date)
                                       .where(inv.c.id == invoice_id)).scalar()
        notes = tuple(n for n in self.conn.execute(
            select(inv.c.number).where(inv.c.credits == invoice_id).order_by(inv.c.id))
            .scalars())
        corr, li = t.corrections, t.invoice_lines
        adjustments = self.conn.execute(
            select(func.count()).select_from(corr.join(li, li.c.id == corr.c.adjustment_line))
            .where(li.c.invoice == invoice_id)).scalar_one()
        return VoidFacts(issue_date, notes, int(adjustments))

    def mark_void(self, invoice_id: int, void_date: date | None, at: datetime, by: str,
                  reason: str) -> None:
        inv = t.invoices
        done = self.conn.execute(update(inv).where(
            inv.c.id == invoice_id, inv.c.status.in_(("draft", "issued"))).values(
            status="void", void_date=void_date, voided_at=at, voided_by=by, void_reason=reason))
        if done.rowcount != 1:
            from hourbridge.errors import Conflict

            raise Conflict(f"invoice {invoice_id} changed while it was being voided")

    def line_id(self, invoice_id: int, line_no: int) -> int:
        li = t.invoice_lines
        return int(self.conn.execute(select(li.c.id).where(
            li.c.invoice == invoice_id, li.c.line_no == line_no)).scalar_one())


class SqlHolds:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def active(self) -> list[Hold]:
        h = t.holds
        return [Hold(r.id, HoldScope(r.scope), r.ref, r.reason, r.owner_role, r.placed_at,
                     r.placed_by, r.note)
                for r in self.conn.execute(select(h).where(h.c.released_at.is_(None))
                                           .order_by(h.c.id))]

    def place(self, scope: str, ref: str, reason: str, owner_role: str, note: str,
              at: datetime, by: str) -> int:
        return int(self.conn.execute(insert(t.holds).values(
            scope=scope, ref=ref, reason=reason, owner_role=owner_role, note=note,
            placed_at=at, placed_by=by).returning(t.holds.c.id)).scalar_one())

    def release(self, hold_id: int, at: datetime, by: str, note: str) -> bool:
        h = t.holds
        done = self.conn.execute(update(h).where(h.c.id == hold_id, h.c.released_at.is_(None))
                                 .values(released_at=at, released_by=by, release_note=note))
        return done.rowcount == 1

    def entry_exists(self, entry_id: int) -> bool:
        te = t.time_entries
        return self.conn.execute(select(te.c.id).where(te.c.id == entry_id)).first() is not None


class SqlIntercompany:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def charged(self, entry_ids: Sequence[int]) -> set[int]:
        ic = t.intercompany_charges
        out: set[int] = set()
        for member in _member(self.conn, ic.c.entry, entry_ids):
            out |= set(self.conn.execute(select(ic.c.entry).where(member)).scalars())
        return out

    def add(self, charges: Sequence[tuple[IntercompanyCharge, str | None, str | None]],
            at: datetime) -> None:
        """Record charges with the journal keys that booked them (seller's, buyer's or none)."""
        if not charges:
            return
        self.conn.execute(insert(t.intercompany_charges), [
            {"entry": c.entry_id, "seller": c.seller, "buyer": c.buyer, "employee": c.employee,
             "project": c.project, "work_date": c.work_date, "seconds": c.seconds,
             "cost_rate": c.cost_rate, "markup_percent": c.markup_percent,
             "transfer_price": c.transfer_price, "amount": c.amount, "currency": c.currency,
             "buyer_currency": c.buyer_currency, "status": c.status,
             "seller_journal_key": seller_key, "buyer_journal_key": buyer_key,
             "created_at": at}
            for c, seller_key, buyer_key in charges])


class SqlOutbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, key: str, type_: str, subject: str, payload: dict[str, Any],
            at: datetime) -> bool:
        """Record an event to deliver; a key already recorded is kept as it was."""
        exists = self.conn.execute(select(func.count()).select_from(t.outbox)
                                   .where(t.outbox.c.key == key)).scalar_one()
        if exists:
            return False
        self.conn.execute(insert(t.outbox).values(
            key=key, type=type_, subject=subject, payload=payload, status="pending",
            attempts=0, available_at=at, created_at=at))
        return True


_EXPENSE_COLS = (
    t.expenses.c.id, t.expenses.c.contract, t.expenses.c.project, t.expenses.c.entity,
    t.expenses.c.spent_on, t.expenses.c.category, t.expenses.c.description,
    t.expenses.c.amount, t.expenses.c.currency, t.expenses.c.employee, t.expenses.c.task,
    t.expenses.c.billable, t.expenses.c.approval, t.expenses.c.billing,
)
def _expense_row(r: Any) -> ExpenseRow:
    # NUMERIC(24, 8) reads back 120.50000000: give the amount in its currency's minor units
    # (exact: intake stored no more decimals than that)
    return ExpenseRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], round_money(r[7], r[8]),
                      *r[8:])


# pairs per billing statement: two parameters each (CASE) plus one (IN), under SQLite's limit
_PAIRS_CHUNK = 300


class SqlExpenses:
    """Expenses: intake (stored / insert / replace), approval, and the billing axis a billing
    run moves (``billable`` → ``mark_billed``; a credit note ``release``s)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stored(self, source: str, external_ids: Sequence[str]) -> dict[str, StoredEntry]:
        ex = t.expenses
        found: dict[str, StoredEntry] = {}
        for member in _member(self.conn, ex.c.external_id, external_ids):
            for r in self.conn.execute(
                select(ex.c.id, ex.c.external_id, ex.c.revision, ex.c.content_key,
                       ex.c.approval, ex.c.billing).where(member, ex.c.source == source)
            ):
                found[r.external_id] = StoredEntry(r.id, r.revision, r.content_key, r.approval,
                                                   r.billing)
        return found

    def existing_content_keys(self, keys: Sequence[str]) -> set[str]:
        ex = t.expenses
        found: set[str] = set()
        for member in _member(self.conn, ex.c.content_key, keys):
            found.update(self.conn.execute(select(ex.c.content_key).where(member)).scalars())
        return found

    _INSERT_COLUMNS = (
        "source", "external_id", "revision", "inbox_id", "employee", "project", "task",
        "entity", "contract", "spent_on", "category", "description", "amount", "currency",
        "billable", "receipt_ref", "content_key", "approval", "billing", "created_at",
        "updated_at",
    )

    def insert(self, expenses: Sequence[NewExpense], at: datetime) -> None:
        """One bulk statement per batch, tuples straight to the driver."""
        if self.conn.dialect.name == "sqlite":
            # already in SQLite's storage form (see SqlEntries.insert): the generic conversion
            # value by value costs more than the insert itself
            stamp = sqlite_value(at)
            bulk_insert(self.conn, t.expenses, self._INSERT_COLUMNS, [
                (e.source, e.external_id, e.revision, e.inbox_id, e.employee, e.project, e.task,
                 e.entity, e.contract, e.spent_on.isoformat(), e.category, e.description,
                 format(e.amount, "f"), e.currency, int(e.billable), e.receipt_ref,
                 e.content_key, "submitted", e.billing, stamp, stamp)
                for e in expenses], converted=True)
            return
        bulk_insert(self.conn, t.expenses, self._INSERT_COLUMNS, [
            (*e[:-1], "submitted", e.billing, at, at) for e in expenses])

    def replace(self, expense_id: int, expense: NewExpense, at: datetime) -> None:
        """A new revision: its content replaces the stored one and waits for approval again
        (an approval was of the old amount)."""
        values = dict(zip(self._INSERT_COLUMNS[:-2],
                          (*expense[:-1], "submitted", expense.billing), strict=True))
        self.conn.execute(update(t.expenses).where(t.expenses.c.id == expense_id).values(
            **values, approved_at=None, approved_by=None, updated_at=at))

    PAGE = 5000

    def select(self, selection: ExpenseSelection) -> Iterator[ExpenseRow]:
        """Matching expenses by id, a page at a time (keyset), so memory stays bounded."""
        ex = t.expenses
        where: list[ColumnElement[bool]] = []
        for column, value in ((ex.c.employee, selection.employee),
                              (ex.c.project, selection.project)):
            if value:
                where.append(column == value)
        if selection.date_from:
            where.append(ex.c.spent_on >= selection.date_from)
        if selection.date_to:
            where.append(ex.c.spent_on <= selection.date_to)
        if selection.approval:
            where.append(ex.c.approval.in_(selection.approval))
        id_parts: list[Sequence[int] | None] = (
            list(_chunks(list(selection.ids))) if selection.ids else [None])
        for part in id_parts:
            clause = where + ([ex.c.id.in_(part)] if part is not None else [])
            last = 0
            while True:
                rows = self.conn.execute(
                    select(*_EXPENSE_COLS).where(ex.c.id > last, *clause)
                    .order_by(ex.c.id).limit(self.PAGE)).all()
                for r in rows:
                    yield _expense_row(r)
                if len(rows) < self.PAGE:
                    break
                last = rows[-1][0]

    def approve(self, ids: Sequence[int], at: datetime, by: str) -> None:
        ex = t.expenses
        for member in _member(self.conn, ex.c.id, ids):
            self.conn.execute(update(ex).where(member, ex.c.approval == "submitted").values(
                approval="approved", approved_at=at, approved_by=by, updated_at=at))

    def _billable_where(self, through: date) -> list[ColumnElement[bool]]:
        ex = t.expenses
        return [ex.c.approval == "approved", ex.c.billing == "unbilled",
                ex.c.billable.is_(True), ex.c.spent_on <= through]

    def billable(self, contract: str, through: date) -> list[ExpenseRow]:
        ex = t.expenses
        stmt = (select(*_EXPENSE_COLS)
                .where(ex.c.contract == contract, *self._billable_where(through))
                .order_by(ex.c.spent_on, ex.c.id))
        return [_expense_row(r) for r in self.conn.execute(stmt)]

    def contracts_with_billable(self, through: date, entity: str | None) -> list[str]:
        ex = t.expenses
        where = [ex.c.contract.is_not(None), *self._billable_where(through)]
        if entity:
            where.append(ex.c.entity == entity)
        stmt = select(ex.c.contract).where(*where).group_by(ex.c.contract).order_by(
            ex.c.contract)
        return [k for k in self.conn.execute(stmt).scalars() if k is not None]

    def _move(self, pairs: Sequence[tuple[int, int | None]], state_before: str,
              state_after: str, line: str, at: datetime) -> None:
        """Move expenses from one billing state to another, all or none: every one must be in
        ``state_before`` (checked before anything changes), and each statement's row count
        proves it still was (a concurrent writer in between makes this one fail; the caller's
        transaction then rolls back)."""
        ex = t.expenses
        ids = [i for i, _ in pairs]
        if len(set(ids)) != len(ids):
            raise Conflict("an expense appears twice in one billing change")
        ready = 0
        for member in _member(self.conn, ex.c.id, ids):
            ready += self.conn.execute(select(func.count()).select_from(ex).where(
                member, ex.c.billing == state_before)).scalar_one()
        if ready != len(ids):
            raise Conflict(f"{len(ids) - ready} of {len(ids)} expenses are not {state_before}; "
                           "nothing was changed")
        for part in _chunks(list(pairs), _PAIRS_CHUNK):
            values: dict[str, Any] = {"billing": state_after, "updated_at": at}
            if line == "set":
                values["invoice_line"] = case({i: ln for i, ln in part}, value=ex.c.id)
            elif line == "clear":
                values["invoice_line"] = None
            done = self.conn.execute(update(ex).where(
                ex.c.id.in_([i for i, _ in part]), ex.c.billing == state_before).values(
                **values)).rowcount
            if done != len(part):
                raise Conflict(f"{len(part) - done} of {len(part)} expenses changed "
                               f"concurrently and are no longer {state_before}")

    def mark_billed(self, pairs: Sequence[tuple[int, int]], at: datetime) -> None:
        self._move(pairs, "unbilled", "billed", line="set", at=at)

    def mark_not_billable(self, ids: Sequence[int], at: datetime) -> None:
        """The contract does not pass expenses on: they leave the unbilled queue."""
        self._move([(i, None) for i in ids], "unbilled", "non_billable", line="keep", at=at)

    def on_lines(self, line_ids: Sequence[int]) -> list[int]:
        ex = t.expenses
        out: list[int] = []
        for member in _member(self.conn, ex.c.invoice_line, line_ids):
            out += [i for (i,) in self.conn.execute(select(ex.c.id).where(member))]
        return sorted(out)

    def release(self, ids: Sequence[int], mode: str, at: datetime) -> None:
        if mode == "rebill":
            # billable again; the credit note's line keeps the history of the old billing
            self._move([(i, None) for i in ids], "billed", "unbilled", line="clear", at=at)
        elif mode == "write_off":
            # the link to the credited line stays: it says which invoice wrote it off
            self._move([(i, None) for i in ids], "billed", "written_off", line="keep",
                       at=at)
        else:
            raise ValueError(f"release mode {mode!r} is not rebill or write_off")
