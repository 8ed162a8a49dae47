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
