"""Pre-aggregated rows the KPI statements read instead of every time entry (issue 15,
performance: each KPI statement under 1 s at 1,000,000 entries).

``kpi_approval_days`` holds, per (entity, project's customer, work date, UTC approval day),
how many entries are approved: exactly the groups ``KpiQueries.kpi_approval_lag`` histograms,
about 14 times fewer rows than entries. It is kept by database triggers on ``time_entries``
and ``projects`` (migration ``0024_kpi_rollups``) in the very transaction that writes the
entries, with additive upserts, so every write path (approval, rejection, revisions,
corrections, deletes, master data) keeps it exact and two writers never lose an increment.
A row whose count fell to zero stays (readers skip it).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, String, Table

from .base import metadata

kpi_approval_days = Table(
    "kpi_approval_days", metadata,
    Column("entity", String(64), primary_key=True),
    Column("customer", String(64), primary_key=True),
    Column("work_date", Date, primary_key=True),
    Column("approved_on", Date, primary_key=True),
    Column("entries", BigInteger, nullable=False),
)

# Migration ``0026_kpi_rollups_more``, the same pattern (triggers, additive upserts):

# per (invoice, work date, UTC approval day): the billed parts (invoice-entry links with
# positive seconds) of approved entries, the groups of both invoice lags (``kpi_invoice_lag``
# joins the invoice for its kind, status, issue date, entity and customer at read time).
# Kept by triggers on ``invoice_line_entries`` and on the entries' work date / approval.
kpi_billed_days = Table(
    "kpi_billed_days", metadata,
    Column("invoice", BigInteger, primary_key=True),
    Column("work_date", Date, primary_key=True),
    Column("approved_on", Date, primary_key=True),
    Column("parts", BigInteger, nullable=False),
)

# per invoice line: its links, the seconds they bill and the seconds worked on their entries
# (``kpi_billed_time``; the line's rate and kind, the invoice's the rest, read at query time).
kpi_billed_lines = Table(
    "kpi_billed_lines", metadata,
    Column("line", BigInteger, primary_key=True),
    Column("links", BigInteger, nullable=False),
    Column("seconds", BigInteger, nullable=False),
    Column("worked", BigInteger, nullable=False),
)

# per (employee, project, work date): live (not deleted) entries, their worked seconds and
# those of the billable ones (``kpi_cost`` joins the cost-rate segment on the work date,
# ``kpi_hours_by_employee`` sums per employee).
kpi_work_days = Table(
    "kpi_work_days", metadata,
    Column("employee", String(64), primary_key=True),
    Column("project", String(64), primary_key=True),
    Column("work_date", Date, primary_key=True),
    Column("entries", BigInteger, nullable=False),
    Column("worked", BigInteger, nullable=False),
    Column("billable", BigInteger, nullable=False),
)

# Migration ``0027_kpi_bulk_rollups``: a row names a table whose INSERT triggers skip their
# per-row rollup upserts while one of Hourbridge's own bulk inserts runs (SQLite; the writer
# upserts the rollups set-based itself, ``store/kpi_bulk.py``). Empty in every committed state.
kpi_rollup_deferred = Table(
    "kpi_rollup_deferred", metadata,
    Column("source", String(64), primary_key=True),
)
