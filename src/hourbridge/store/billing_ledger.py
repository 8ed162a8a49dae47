"""Time entries' billing ledger by quantity: billed, relieved, credited and released seconds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, case, select, text, update

from hourbridge.errors import ConcurrentChange
from hourbridge.services.ports.entries import ReliefRow

from . import tables as t
from ._sql import _member
from .bulk import note_bulk_write, sqlite_value

# The entries by primary key, one probe each, as issuing reads them (``issuing_ledger``): the
# ids as one array from a subquery, which only an index scan can serve. Joined to the
# unnested arrays alone, whose length the planner knows, a batch of 56,544 entries of a
# 1M-entry firm was a hash join over a sequential scan of all 1,000,000 (``EXPLAIN
# ANALYZE``, rolled back, two pairs: 1.25-1.29 s; by key 0.86-0.88 s), 16 times in one run.
_BILL_OPEN_PG = text(
    "WITH k AS MATERIALIZED (SELECT * FROM unnest(CAST(:ids AS bigint[]), "
    "CAST(:secs AS bigint[])) AS k(id, s)) "
    "UPDATE time_entries SET billed_seconds = billed_seconds + k.s, "
    "billing = 'on_draft', updated_at = :at FROM k "
    "WHERE time_entries.id = ANY (ARRAY(SELECT id FROM k)) AND time_entries.id = k.id "
    "AND billable_seconds - billed_seconds - written_off_seconds = k.s")


class BillingLedger:
    """The billing-axis half of ``SqlEntries`` (composed in as a mixin)."""

    conn: Connection

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

    def bill_open(self, billed: Sequence[tuple[int, int]], at: datetime) -> None:
        """A billing run put (entry id, seconds) on its drafts: every open second of each
        entry, as the run read it. The update adds them only where exactly that many are
        still open, so work that another writer billed, credited or voided in between fails
        the run (``ConcurrentChange``, nothing committed) instead of billing a second twice;
        the table's check constraint refuses the same even for a writer that skips this."""
        if not billed:
            return
        note_bulk_write(self.conn, "time_entries", len(billed), t.BILLING_COLUMNS)
        if self.conn.dialect.name == "postgresql":
            done = self.conn.execute(_BILL_OPEN_PG, {
                "at": at, "ids": [i for i, _ in billed],
                "secs": [s for _, s in billed]}).rowcount
        else:
            stamp = sqlite_value(at)
            done = self.conn.exec_driver_sql(
                "UPDATE time_entries SET billed_seconds = billed_seconds + ?, "
                "billing = 'on_draft', updated_at = ? WHERE id = ? "
                "AND billable_seconds - billed_seconds - written_off_seconds = ?",
                [(s, stamp, i, s) for i, s in billed]).rowcount
        if done != len(billed):
            raise ConcurrentChange(
                f"{len(billed) - done} of {len(billed)} entries changed while the billing run "
                "read them; nothing was billed, run it again")

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
        # a voided adjustment line gave back negative seconds: the entry is again invoiced
        # above what it now bills, owing its adjustment (the one state the table's check
        # allows that in), set in the same statement; _settle then says what it is
        self.conn.execute(text(
            "UPDATE time_entries SET billed_seconds = billed_seconds - :s, updated_at = :at, "
            "billing = CASE WHEN :s < 0 THEN 'invoiced' ELSE billing END WHERE id = :i"),
            [{"s": s, "at": at, "i": i} for i, s in links])
        self._settle([i for i, _ in links], at)
