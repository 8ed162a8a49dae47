"""Entries' WIP relief and billing state when a batch of invoices is issued, set-based.

Issuing one invoice at a time read, relieved and updated every linked entry from Python
(issue 16: 72 % of issuing). The common case, an entry invoiced whole for the first time, is
decided by SQL here, once per batch (``relieve_whole``): its relief is its whole WIP, summed
per invoice, customer, project and WIP rate by the database, and written by one UPDATE per
batch (on PostgreSQL one statement decides, writes and sums); only the other links (partial
quantities, rebills, entries on two invoices of the batch, foreign-currency invoices whose
relief is translated entry by entry) go through ``wip_rows`` and ``add_relief``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Connection,
    Dialect,
    and_,
    bindparam,
    column,
    exists,
    insert,
    select,
    table,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from hourbridge.services.ports.entries import WholeRelief

from . import tables as t
from .bulk import empty_scratch, note_bulk_write

_le, _li, _te, _pr = t.invoice_line_entries, t.invoice_lines, t.time_entries, t.projects


# The rule, written once for both engines' statements: an entry is relieved whole by a link
# when nothing of it is relieved yet and the link bills all its seconds; relieving it sets
# its WIP relieved in full, and invoices and locks it (the source may no longer change it),
# unless a credit note released part of it while the rest sat on the draft: that one stays
# open (credited) for the next run
_NOTHING_RELIEVED = ("{e}.relieved_seconds = 0 AND {e}.wip_relieved IS NULL "
                     "AND {link}.seconds >= {e}.billable_seconds")
_INVOICED_WHOLE = (
    "relieved_seconds = billable_seconds, wip_relieved = wip_amount, "
    "billing = CASE WHEN billed_seconds + written_off_seconds >= billable_seconds "
    "THEN 'invoiced' ELSE 'credited' END, "
    "locked = CASE WHEN billed_seconds + written_off_seconds >= billable_seconds "
    "THEN true ELSE locked END, updated_at = :at")


def _whole() -> ColumnElement[bool]:
    """A link of one of the ``invoices`` (a parameter) that relieves its entry's whole WIP:
    nothing of the entry relieved yet, the link bills all its seconds, and no other invoice
    of the ``batch`` (a parameter) links it (the rare entry split over two drafts goes entry
    by entry)."""
    other_le, other_li = _le.alias("other_le"), _li.alias("other_li")
    return and_(
        _li.c.invoice.in_(bindparam("invoices", expanding=True)),
        text(_NOTHING_RELIEVED.format(e="time_entries", link="invoice_line_entries")),
        ~exists().where(other_le.c.entry == _le.c.entry, other_le.c.line != _le.c.line,
                        other_li.c.id == other_le.c.line,
                        other_li.c.invoice.in_(bindparam("batch", expanding=True))))


# The whole links of the batch being issued, decided once (``relieve_whole``) and read by the
# statements that follow: the predicate's anti-join over the batch's links cost as much
# as the writes when each statement evaluated it again (issue 16). A temporary table is the
# connection's own: concurrent issuers never see each other's, and it dies with a killed one.
_MARKED = "issue_whole"
_CREATE = f"CREATE TEMPORARY TABLE IF NOT EXISTS {_MARKED} " \
          "(entry BIGINT PRIMARY KEY, invoice BIGINT NOT NULL)"
# PostgreSQL's is emptied by each commit and TRUNCATEd between batches (``bulk.empty_scratch``:
# each DELETE left its rows in the files for the rest of the transaction, and each batch of
# a 39-batch issue read those of all the batches before it). SQLite's DELETE of every row
# drops the table's pages at once, and leaves nothing behind to read
_CREATE_PG = f"{_CREATE} ON COMMIT DELETE ROWS"
_marked = table(_MARKED, column("entry"), column("invoice"))

# The statements of a batch, built once with the batch's ids as parameters: building them,
# their aliases' column collections and cache keys per batch cost more Python than the
# statements' own work for a batch of a few dozen invoices (issue 16)
_MARK_WHOLE = insert(_marked).from_select(
    ["entry", "invoice"],
    select(_le.c.entry, _li.c.invoice)
    .select_from(_le.join(_li, _li.c.id == _le.c.line).join(_te, _te.c.id == _le.c.entry))
    .where(_whole()))
_joined = (_marked.join(_te, _te.c.id == _marked.c.entry)
           .join(_pr, _pr.c.code == _te.c.project))
_KEYS = (_marked.c.invoice, _pr.c.customer, _te.c.project, _te.c.wip_fx_rate)
_WHOLE_ROWS = select(*_KEYS, _te.c.wip_amount).select_from(_joined)
_PARTIAL = (select(_li.c.invoice, _le.c.entry, _le.c.seconds)
            .select_from(_le.join(_li, _li.c.id == _le.c.line))
            .where(_li.c.invoice.in_(bindparam("batch", expanding=True)),
                   ~exists().where(_marked.c.entry == _le.c.entry))
            .order_by(_li.c.invoice, _le.c.entry))


# ``at`` stored as the column stores it (UtcDateTime: the same text on SQLite as every write)
_AT = bindparam("at", type_=_te.c.updated_at.type)
_INVOICE_WHOLE = text(f"UPDATE time_entries SET {_INVOICED_WHOLE} "
                      f"WHERE id IN (SELECT entry FROM {_MARKED})").bindparams(_AT)

_PARTIAL_PG = text(
    f"SELECT l.invoice, le.entry, le.seconds FROM invoice_lines l "
    f"CROSS JOIN LATERAL (SELECT x.entry, x.seconds FROM invoice_line_entries x "
    f"WHERE x.line = l.id OFFSET 0) le "
    f"WHERE l.invoice IN :batch "
    f"AND NOT EXISTS (SELECT 1 FROM {_MARKED} w WHERE w.entry = le.entry) "
    f"ORDER BY l.invoice, le.entry").bindparams(bindparam("batch", expanding=True))


@functools.lru_cache(maxsize=4)
def _whole_rows_sql(dialect: Dialect) -> str:
    """``_WHOLE_ROWS`` as SQLite text, compiled once (it has no parameters)."""
    return str(_WHOLE_ROWS.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


# PostgreSQL decides, relieves and sums in one statement: the links of the batch's invoices
# that no other link of the batch shares (``cand``), their entries updated where the link
# relieves the whole entry (the rest of ``_whole``), the updated rows kept as the marked ones
# and summed from what the UPDATE returns. As three statements (mark, sum, update) it read
# each marked entry three times, by primary key, from a table much larger than memory at
# 1M entries: per batch of 200 invoices (about 23,000 entries) the marking took 330-360 ms,
# 157 ms of it probing the entries, and the sums 130-160 ms more (issue 16).
# The entries are read by their primary key, one probe each, whatever the statistics say:
# joined, the planner hashed the batch's 25,000 entries and read the whole table for each
# batch of 200 invoices (at 1,000,000 entries a sequential scan of about 800 MB, 39 times in
# one issue). The ids as one array (``= ANY (ARRAY(subquery))``) can only be an index scan.
# Measured issuing the 7,778 drafts of a 1M-entry billing run: 201 s -> 153 s with it.
_RELIEVE_WHOLE_PG = text(f"""
WITH cand AS MATERIALIZED (
  SELECT le.entry, li.invoice, le.seconds FROM invoice_line_entries le
  JOIN invoice_lines li ON li.id = le.line
  WHERE li.invoice IN :invoices AND NOT EXISTS (
    SELECT 1 FROM invoice_line_entries other_le JOIN invoice_lines other_li
      ON other_li.id = other_le.line
    WHERE other_le.entry = le.entry AND other_le.line <> le.line
      AND other_li.invoice IN :batch)),
done AS (
  UPDATE time_entries SET {_INVOICED_WHOLE}
  FROM cand c
  WHERE time_entries.id = ANY (ARRAY(SELECT entry FROM cand))
    AND time_entries.id = c.entry AND {_NOTHING_RELIEVED.format(e="time_entries", link="c")}
  RETURNING time_entries.id, c.invoice, time_entries.project, time_entries.wip_fx_rate,
    time_entries.wip_amount),
kept AS (INSERT INTO {_MARKED} (entry, invoice) SELECT id, invoice FROM done)
SELECT d.invoice, p.customer, d.project, d.wip_fx_rate, sum(coalesce(d.wip_amount, 0)),
  count(*)
FROM done d JOIN projects p ON p.code = d.project
GROUP BY d.invoice, p.customer, d.project, d.wip_fx_rate""").bindparams(
    bindparam("invoices", expanding=True), bindparam("batch", expanding=True), _AT)


class IssuingLedger:
    """The issuing half of ``SqlEntries`` (composed in as a mixin)."""

    conn: Connection

    def relieve_whole(self, invoice_ids: Sequence[int], batch: Sequence[int],
                      at: datetime) -> list[WholeRelief]:
        """The links of ``invoice_ids`` that relieve their entry whole (``_whole``): their
        entries' WIP relieved in full, and invoiced and locked (the source may no longer
        change them), unless a credit note released part of one while the rest sat on the
        draft: that one stays open (credited) for the next run. Returns the relieved WIP
        summed per invoice, customer, project and WIP rate; the entries stay marked for
        ``partial_links`` of this ``batch``."""
        postgres = self.conn.dialect.name == "postgresql"
        if postgres:
            empty_scratch(self.conn, _MARKED, _CREATE_PG)
        else:
            self.conn.exec_driver_sql(_CREATE)
            self.conn.exec_driver_sql(f"DELETE FROM {_MARKED}")
        if not invoice_ids:
            return []
        sums: dict[tuple[int, str, str, Decimal], Decimal] = {}
        if postgres:
            done = 0
            for invoice, customer, project, rate, amount, n in self.conn.execute(
                    _RELIEVE_WHOLE_PG,
                    {"invoices": list(invoice_ids), "batch": list(batch), "at": at}):
                key = (invoice, customer, project, Decimal(1) if rate is None else rate)
                sums[key] = sums.get(key, Decimal(0)) + amount
                done += n
            # a fresh temporary table has no statistics: without them the planner guesses
            # a few rows and joins the entries by a nested loop over thousands
            self.conn.exec_driver_sql(f"ANALYZE {_MARKED}")
        else:
            self.conn.execute(_MARK_WHOLE, {"invoices": list(invoice_ids),
                                            "batch": list(batch)})
            # decimal text: summed here, exactly (SQLite's SUM would add binary floats);
            # the driver's raw rows, without a result row object for each of tens of
            # thousands
            result = self.conn.exec_driver_sql(_whole_rows_sql(self.conn.dialect))
            rows = result.cursor.fetchall() if result.cursor is not None else []
            result.close()
            for invoice, customer, project, rate, amount in rows:
                key = (invoice, customer, project,
                       Decimal(1) if rate is None else Decimal(rate))
                sums[key] = sums.get(key, Decimal(0)) + (
                    Decimal(0) if amount is None else Decimal(amount))
            done = self.conn.execute(_INVOICE_WHOLE, {"at": at}).rowcount
        # a large issue moves most entries out of the open work: PostgreSQL's statistics
        # still saying "on_draft" would make the open index look as large as the table, and
        # the next billing run's contract_counts would scan the table (migration
        # 0028_entry_indexes)
        note_bulk_write(self.conn, "time_entries", done, t.ISSUING_COLUMNS)
        return [WholeRelief(i, c, p, r, a) for (i, c, p, r), a in sorted(sums.items())]

    def partial_links(self, batch: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        """(entry, seconds) of each invoice of ``batch`` not marked whole: an entry marked
        has no other link in the batch, so its entry alone tells its link."""
        out: dict[int, list[tuple[int, int]]] = {}
        statement = _PARTIAL_PG if self.conn.dialect.name == "postgresql" else _PARTIAL
        rows = self.conn.execute(statement, {"batch": list(batch)}).all()
        for invoice, entry, seconds in rows:
            out.setdefault(invoice, []).append((entry, seconds))
        return out
