"""Time entries: intake, selection, approval, adjustments and revisions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    Connection,
    Date,
    Select,
    String,
    and_,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    update,
)

from hourbridge.services.ports.entries import (
    DayKey,
    DayRow,
    EntryRow,
    EntrySelection,
    NewEntry,
    OpenEntry,
    StoredEntry,
    StoredPrice,
)

from . import tables as t
from ._sql import _chunks
from .approval_ledger import NO_PRICE, PRICE_COLS, ApprovalLedger, entry_row
from .billing_ledger import BillingLedger
from .bulk import sqlite_value
from .entry_selection import asks_open_work, sqlite_open_counts, where_of
from .intake_rows import StagedBatch, stored_rows
from .issuing_ledger import IssuingLedger
from .open_work import open_work

_ENTRY_COLS = (
    t.time_entries.c.id, t.time_entries.c.source, t.time_entries.c.external_id,
    t.time_entries.c.employee, t.time_entries.c.project, t.time_entries.c.task,
    t.time_entries.c.entity, t.time_entries.c.contract, t.time_entries.c.work_date,
    t.time_entries.c.worked_seconds, t.time_entries.c.billable_seconds,
    t.time_entries.c.billable, t.time_entries.c.approval, t.time_entries.c.billing,
    t.time_entries.c.wip_amount, t.time_entries.c.billed_seconds,
    t.time_entries.c.written_off_seconds, t.time_entries.c.wip_fx_rate,
    t.time_entries.c.notes,
)
def _dec(text: str | None) -> Decimal | None:
    """An ``ExactDecimal`` as SQLite stores it (exact text) back to a decimal."""
    return None if text is None else Decimal(text)


def _stored_entry(*r: Any, entity: str = "") -> StoredEntry:
    # the last: deleted_at, a tombstone
    return StoredEntry(*r[:-1], r[-1] is not None, entity)


class SqlEntries(ApprovalLedger, BillingLedger, IssuingLedger):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # the batch ``stage`` holds for ``move_staged``
        self._batch = StagedBatch(conn, t.time_entries, self._INSERT_COLUMNS)

    def stored(self, source: str, external_ids: Sequence[str]) -> dict[str, StoredEntry]:
        return stored_rows(self.conn, t.time_entries, source, external_ids,
                           ("employee", "contract", "work_date", "billed_seconds",
                            "deleted_at"), _stored_entry)

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
        "intake_key",
    )

    def stage(self, entries: Sequence[NewEntry], at: datetime
              ) -> tuple[dict[str, StoredEntry], set[str]]:
        """The ingest hot path: a batch staged (``intake_rows.StagedBatch``), tuples straight
        to the driver; the stored entries of its ids and the contents already taken."""
        if not entries:
            return {}, set()
        sqlite = self.conn.dialect.name == "sqlite"
        if sqlite:
            # already in SQLite's storage form: converting value by value costs more than
            # the insert itself
            stamp: Any = sqlite_value(at)
            rows: list[tuple[Any, ...]] = [
                (e.source, e.external_id, e.revision, e.inbox_id, e.employee, e.project, e.task,
                 e.entity, e.contract, e.work_date.isoformat(), e.worked_seconds,
                 e.billable_seconds, int(e.billable), e.notes, e.content_key, e.approval,
                 e.billing, 0, stamp, stamp, e.content_key)
                for e in entries
            ]
        else:
            rows = [
                (e.source, e.external_id, e.revision, e.inbox_id, e.employee, e.project, e.task,
                 e.entity, e.contract, e.work_date, e.worked_seconds, e.billable_seconds,
                 e.billable, e.notes, e.content_key, e.approval, e.billing, False, at, at,
                 e.content_key)
                for e in entries
            ]
        ids, taken = self._batch.load(rows, converted=sqlite)
        return self.stored(entries[0].source, ids), taken

    def move_staged(self, skip: Sequence[int]) -> int:
        return self._batch.move(skip)

    def replace(self, entry_id: int, entry: NewEntry, at: datetime,
                claim_content: bool = False) -> None:
        """A new revision; ``claim_content``: its content is taken by no other row, so it
        becomes this row's intake key (see tables.time_entries.intake_key)."""
        row = self._row(entry, at)
        del row["created_at"]
        row["intake_key"] = entry.content_key if claim_content else None
        row.update(NO_PRICE)  # a revision is priced again when it is approved or billed
        self.conn.execute(update(t.time_entries).where(t.time_entries.c.id == entry_id)
                          .values(**row))

    PAGE = 5000

    def select(self, selection: EntrySelection) -> Iterator[EntryRow]:
        """Matching entries by id, fetched a page at a time (keyset: id > last), so memory
        stays bounded and the caller may update rows it has already seen."""
        te = t.time_entries
        where = where_of(selection)
        id_parts: list[Sequence[int] | None] = (
            list(_chunks(list(selection.ids))) if selection.ids else [None])
        for part in id_parts:
            clause = list(where) + ([te.c.id.in_(part)] if part is not None else [])
            last = 0
            prices: dict[tuple[Any, ...], StoredPrice] = {}
            while True:
                stmt = (select(*_ENTRY_COLS, *PRICE_COLS).where(and_(te.c.id > last, *clause))
                        .order_by(te.c.id).limit(self.PAGE))
                rows = (self._sqlite_rows(stmt) if self.conn.dialect.name == "sqlite"
                        else self.conn.execute(stmt).all())
                for r in rows:
                    yield entry_row(r, prices)
                if len(rows) < self.PAGE:
                    break
                last = rows[-1][0]

    def open_work(self, selection: EntrySelection) -> Iterator[OpenEntry]:
        """What a billing run reads of the matching entries, by id (``store.open_work``)."""
        return open_work(self.conn, selection, self.PAGE)

    def _sqlite_rows(self, stmt: Select[Any]) -> list[tuple[Any, ...]]:
        """``select``'s rows as the driver gives them, converted here (a billing run reads
        every open entry: SQLAlchemy's per-value processing cost as much as the query);
        the statement's values are plain dates, strings and numbers, rendered inline."""
        compiled = stmt.compile(self.conn, compile_kwargs={"literal_binds": True})
        days: dict[str, date] = {}
        out: list[tuple[Any, ...]] = []
        for r in self.conn.exec_driver_sql(str(compiled)).all():
            day = days.get(r[8])
            if day is None:
                day = days[r[8]] = date.fromisoformat(r[8])
            out.append((*r[:8], day, r[9], r[10], bool(r[11]), r[12], r[13], _dec(r[14]),
                        *r[15:17], _dec(r[17]), r[18], _dec(r[19]), *r[20:]))
        return out

    def contracts(self, selection: EntrySelection) -> list[str]:
        """The contracts that have entries matching ``selection`` (billing goes one by one)."""
        te = t.time_entries
        stmt = (select(te.c.contract).where(and_(te.c.contract.is_not(None),
                                                 *where_of(selection)))
                .group_by(te.c.contract).order_by(te.c.contract))
        return [k for k in self.conn.execute(stmt).scalars() if k is not None]

    def contract_counts(self, selection: EntrySelection) -> dict[str, int]:
        """How many entries match ``selection`` per contract (a billing run reads contracts
        in groups of about a page of entries)."""
        if self.conn.dialect.name == "sqlite" and asks_open_work(selection):
            sql = sqlite_open_counts(self.conn.dialect, selection)  # the open index pinned
            return {k: int(n) for k, n in self.conn.exec_driver_sql(sql).all() if k is not None}
        te = t.time_entries
        stmt = (select(te.c.contract, func.count()).where(and_(te.c.contract.is_not(None),
                                                               *where_of(selection)))
                .group_by(te.c.contract))
        return {k: int(n) for k, n in self.conn.execute(stmt) if k is not None}

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
            values.update(NO_PRICE)  # the work may have moved: billing prices it again
            values.update(employee=entry.employee, project=entry.project, task=entry.task,
                          entity=entry.entity, contract=entry.contract,
                          work_date=entry.work_date, worked_seconds=entry.worked_seconds,
                          notes=entry.notes, content_key=entry.content_key,
                          intake_key=None)
        if pending_adjustment:
            # the next run bills the difference; until then it is invoiced (in the same
            # statement: billed may now exceed billable, which only an invoiced entry may)
            values.update(billing="invoiced", locked=True)
        self.conn.execute(update(te).where(te.c.id == entry_id).values(**values))
        if not pending_adjustment:
            self._settle([entry_id], at)

    def state(self, entry_id: int) -> dict[str, Any] | None:
        te = t.time_entries
        r = self.conn.execute(select(te).where(te.c.id == entry_id)).first()
        return dict(r._mapping) if r else None
