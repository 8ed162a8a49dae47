"""Response model of the ``api/v1/kpis.py`` router (the shape of ``observability.kpis``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .common import Out


class KpiPeriod(Out):
    label: str = Field(description="as asked: YYYY-MM, YYYY-Qn, YYYY, or `all`")
    from_: str = Field(alias="from", description="first day (ISO date)")
    to: str = Field(description="last day (ISO date)")
    days: int
    as_of: str = Field(description="the day WIP is aged from: the period's end or today")


class Kpis(Out):
    """Every KPI of docs/KPIS.md. Money and ratios are decimal strings; a percentile or ratio
    of nothing is null, a count or sum of nothing is zero."""

    period: KpiPeriod
    entity: str | None
    time_to_invoice: dict[str, Any] = Field(
        description="p50/p90 days per stage (work_to_approved, approved_to_invoiced, "
        "work_to_invoiced, invoiced_to_posted), overall, by entity and by customer")
    wip: dict[str, Any] = Field(description="unbilled approved hours and WIP value per "
                                "entity and currency in aging buckets")
    exceptions: dict[str, Any] = Field(description="exception rate per source and reason, "
                                       "time to resolve")
    utilization: list[dict[str, Any]] = Field(description="billable / available hours per "
                                              "entity")
    realization: list[dict[str, Any]] = Field(description="billed / standard value and "
                                              "effective rate per entity and currency")
    margin: dict[str, list[dict[str, Any]]] = Field(description="revenue - cost by entity, "
                                                    "customer and project")
    dso: list[dict[str, Any]] = Field(description="days sales outstanding per entity and "
                                      "currency")
