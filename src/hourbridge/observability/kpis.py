"""KPIs: ``kpi_report(figures, period, entity, today)``, the one report the CLI (``hourbridge
kpis``), the API (``/v1/kpis``) and the dashboard show.

The figures are bounded aggregates read set-based by ``store.queries.kpis``; this module
only combines them (percentiles of histograms, sums by rate, ratios). Every formula is
written in docs/KPIS.md. Money stays ``Decimal`` and is shown rounded to the currency's
minor unit; ratios have four decimals; a KPI with nothing to measure is zero (counts, sums)
or null (a percentile or ratio of nothing), never an error.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import holidays as public_holidays

from hourbridge.domain.kpis import (
    AGING_BUCKETS,
    Period,
    merge,
    parse_period,
    percentile,
    ratio,
    working_days,
)
from hourbridge.domain.money import hours, round_money

STAGES = ("work_to_approved", "approved_to_invoiced", "work_to_invoiced",
          "invoiced_to_posted", "posted_to_paid", "invoiced_to_paid")


class KpiFigures(Protocol):
    """What the report reads (``store.queries.kpis.KpiQueries``)."""

    def kpi_first_work_date(self) -> date | None: ...
    def kpi_approval_lag(self, first: date, last: date, entity: str | None
                         ) -> list[dict[str, Any]]: ...
    def kpi_invoice_lag(self, first: date, last: date, entity: str | None, *,
                        since: str) -> list[dict[str, Any]]: ...
    def kpi_issued_invoices(self, first: date, last: date, entity: str | None
                            ) -> list[dict[str, Any]]: ...
    def kpi_wip(self, as_of: date, entity: str | None) -> list[dict[str, Any]]: ...
    def kpi_exceptions(self, first: date, last: date) -> list[dict[str, Any]]: ...
    def kpi_entries_taken(self, first: date, last: date) -> dict[str, int]: ...
    def kpi_hours_by_employee(self, first: date, last: date, entity: str | None
                              ) -> list[dict[str, Any]]: ...
    def kpi_billed_time(self, first: date, last: date, entity: str | None
                        ) -> list[dict[str, Any]]: ...
    def kpi_revenue(self, first: date, last: date, entity: str | None
                    ) -> list[dict[str, Any]]: ...
    def kpi_cost(self, first: date, last: date, entity: str | None) -> list[dict[str, Any]]: ...
    def kpi_receivables(self, first: date, last: date, entity: str | None
                        ) -> list[dict[str, Any]]: ...


def resolve_period(figures: KpiFigures, text: str | None, today: date) -> Period:
    """The period asked for, or everything from the first work date through ``today``."""
    if text:
        return parse_period(text)
    first = figures.kpi_first_work_date() or today
    return Period("all", min(first, today), today)


def kpi_report(figures: KpiFigures, period: str | None, entity: str | None,
               today: date) -> dict[str, Any]:
    p = resolve_period(figures, period, today)
    as_of = min(p.last, today)
    return {
        "period": {"label": p.label, "from": p.first.isoformat(), "to": p.last.isoformat(),
                   "days": p.days, "as_of": as_of.isoformat()},
        "entity": entity,
        "time_to_invoice": _time_to_invoice(figures, p, entity),
        "wip": _wip(figures, as_of, entity),
        "exceptions": _exceptions(figures, p),
        "utilization": _utilization(figures, p, entity, as_of),
        "realization": _realization(figures, p, entity),
        "margin": _margin(figures, p, entity),
        "dso": _dso(figures, p, entity),
    }


# --- time to invoice ---------------------------------------------------------------------
def _time_to_invoice(figures: KpiFigures, p: Period, entity: str | None) -> dict[str, Any]:
    invoices = figures.kpi_issued_invoices(p.first, p.last, entity)
    rows = {
        "work_to_approved": figures.kpi_approval_lag(p.first, p.last, entity),
        "approved_to_invoiced": figures.kpi_invoice_lag(p.first, p.last, entity,
                                                        since="approved"),
        "work_to_invoiced": figures.kpi_invoice_lag(p.first, p.last, entity, since="work"),
        "invoiced_to_posted": [
            {"entity": r["entity"], "customer": r["customer"], "count": 1,
             "days": (r["posted_at"].date() - r["issue_date"]).days}
            for r in invoices if r["posted_at"] is not None],
        "posted_to_paid": [
            {"entity": r["entity"], "customer": r["customer"], "count": 1,
             "days": (r["paid_on"] - r["posted_at"].date()).days}
            for r in invoices if r["posted_at"] is not None and r["paid_on"] is not None],
        "invoiced_to_paid": [
            {"entity": r["entity"], "customer": r["customer"], "count": 1,
             "days": (r["paid_on"] - r["issue_date"]).days}
            for r in invoices if r["paid_on"] is not None],
    }
    overall, by_entity, by_customer = [], [], []
    for stage in STAGES:
        ent: dict[str, dict[int, int]] = defaultdict(dict)
        cus: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
        for r in rows[stage]:
            for h in (ent[r["entity"]], cus[(r["entity"], r["customer"])]):
                h[r["days"]] = h.get(r["days"], 0) + r["count"]
        overall.append({"stage": stage, **_spread(merge(ent.values()))})
        by_entity += [{"stage": stage, "entity": e, **_spread(h)} for e, h in sorted(ent.items())]
        by_customer += [{"stage": stage, "entity": e, "customer": c, **_spread(h)}
                        for (e, c), h in sorted(cus.items())]
    return {"unit": "days", "stages": overall, "by_entity": by_entity,
            "by_customer": by_customer}


def _spread(histogram: dict[int, int]) -> dict[str, Any]:
    return {"count": sum(histogram.values()), "p50": percentile(histogram, 50),
            "p90": percentile(histogram, 90)}


# --- WIP ---------------------------------------------------------------------------------
def _wip(figures: KpiFigures, as_of: date, entity: str | None) -> dict[str, Any]:
    cells: dict[tuple[str, str], dict[str, list[Any]]] = defaultdict(
        lambda: {b: [0, 0, Decimal(0)] for b in AGING_BUCKETS})
    for r in figures.kpi_wip(as_of, entity):
        c = cells[(r["entity"], r["currency"])][r["bucket"]]
        c[0] += r["entries"]
        c[1] += r["seconds"]
        c[2] += r["value"]
    out = []
    for (ent, cur), buckets in sorted(cells.items()):
        items = [{"bucket": b, "entries": v[0], "hours": _h(v[1]), "value": _m(v[2], cur)}
                 for b, v in buckets.items()]
        out.append({"entity": ent, "currency": cur, "buckets": items,
                    "hours": _h(sum(v[1] for v in buckets.values())),
                    "value": _m(sum((v[2] for v in buckets.values()), Decimal(0)), cur)})
    return {"as_of": as_of.isoformat(), "buckets": list(AGING_BUCKETS), "by_entity": out}


# --- exceptions --------------------------------------------------------------------------
def _exceptions(figures: KpiFigures, p: Period) -> dict[str, Any]:
    taken = figures.kpi_entries_taken(p.first, p.last)
    raised: dict[str, int] = defaultdict(int)
    reasons: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    resolve: dict[int, int] = {}
    for r in figures.kpi_exceptions(p.first, p.last):
        raised[r["source"]] += r["count"]
        reasons[(r["source"], r["reason"])][r["status"]] += r["count"]
        if r["status"] == "resolved" and r["hours"] is not None:
            resolve[r["hours"]] = resolve.get(r["hours"], 0) + r["count"]
    by_source = []
    for src in sorted(set(raised) | set(taken)):
        n, ok = raised.get(src, 0), taken.get(src, 0)
        by_source.append({"source": src, "exceptions": n, "entries_taken": ok,
                          "rate": _r(ratio(Decimal(n), Decimal(n + ok)))})
    by_reason = [{"source": s, "reason": r, "exceptions": sum(st.values()),
                  "open": st.get("open", 0), "resolved": st.get("resolved", 0),
                  "dismissed": st.get("dismissed", 0)}
                 for (s, r), st in sorted(reasons.items())]
    total = sum(raised.values())
    return {"exceptions": total, "entries_taken": sum(taken.values()),
            "rate": _r(ratio(Decimal(total), Decimal(total + sum(taken.values())))),
            "by_source": by_source, "by_reason": by_reason,
            "time_to_resolve": {"unit": "hours", **_spread(resolve)}}


# --- utilization -------------------------------------------------------------------------
def _utilization(figures: KpiFigures, p: Period, entity: str | None,
                 as_of: date) -> list[dict[str, Any]]:
    """Available hours count the period's working days through ``as_of`` (not days to come)."""
    days: dict[str, int] = {}
    per: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0), 0, 0])
    for r in figures.kpi_hours_by_employee(p.first, p.last, entity):
        if r["country"] not in days:
            days[r["country"]] = working_days(p.first, as_of,
                                              _holidays(r["country"], p.first, as_of))
        e = per[r["entity"]]
        e[0] += 1
        e[1] += days[r["country"]] * r["hours_per_day"]
        e[2] += r["worked_seconds"]
        e[3] += r["billable_seconds"]
    return [{"entity": ent, "employees": v[0], "available_hours": _d(v[1]),
             "worked_hours": _h(v[2]), "billable_hours": _h(v[3]),
             "utilization": _r(ratio(hours(v[3]), v[1]))}
            for ent, v in sorted(per.items())]


def _holidays(country: str, first: date, last: date) -> frozenset[date]:
    try:
        found = public_holidays.country_holidays(country, years=range(first.year,
                                                                      last.year + 1))
    except NotImplementedError:  # a country the package does not know: weekdays only
        return frozenset()
    return frozenset(found.keys())


# --- realization and effective rate ------------------------------------------------------
def _realization(figures: KpiFigures, p: Period, entity: str | None) -> list[dict[str, Any]]:
    sums: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for r in figures.kpi_billed_time(p.first, p.last, entity):
        s = sums[(r["entity"], r["currency"])]
        s[1] += r["rate"] * hours(r["worked_seconds"])  # standard value
        s[2] += r["worked_seconds"]
    for r in figures.kpi_revenue(p.first, p.last, entity):
        if r["kind"] == "time":
            sums[(r["entity"], r["currency"])][0] += r["amount"]  # billed, less credits
    out = []
    for (ent, cur), (billed, standard, worked) in sorted(sums.items()):
        out.append({"entity": ent, "currency": cur, "billed_value": _m(billed, cur),
                    "standard_value": _m(standard, cur), "worked_hours": _h(worked),
                    "realization": _r(ratio(billed, standard)),
                    "effective_rate": _m(billed / hours(worked), cur) if worked else None})
    return out


# --- margin ------------------------------------------------------------------------------
def _margin(figures: KpiFigures, p: Period, entity: str | None) -> dict[str, Any]:
    levels: dict[str, dict[tuple[str, str], list[Decimal]]] = {
        k: defaultdict(lambda: [Decimal(0), Decimal(0)]) for k in ("entity", "customer",
                                                                  "project")}

    def add(row: dict[str, Any], currency: str, i: int, value: Decimal) -> None:
        for level in levels:
            levels[level][(row[level], currency)][i] += value

    for r in figures.kpi_revenue(p.first, p.last, entity):
        add(r, r["currency"], 0, r["amount"])
    for r in figures.kpi_cost(p.first, p.last, entity):
        add(r, r["currency"], 1, r["rate"] * hours(r["seconds"]))
    return {level: [{level: key, "currency": cur, "revenue": _m(rev, cur),
                     "cost": _m(cost, cur), "margin": _m(rev - cost, cur),
                     "margin_ratio": _r(ratio(rev - cost, rev))}
                    for (key, cur), (rev, cost) in sorted(rows.items())]
            for level, rows in levels.items()}


# --- DSO ---------------------------------------------------------------------------------
def _dso(figures: KpiFigures, p: Period, entity: str | None) -> list[dict[str, Any]]:
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for r in figures.kpi_receivables(p.first, p.last, entity):
        s = sums[(r["entity"], r["currency"])]
        s[0] += r["receivable"]
        s[1] += r["billed"]
    out = []
    for (ent, cur), (owed, billed) in sorted(sums.items()):
        days = ratio(owed * p.days, billed) if billed > 0 else None
        out.append({"entity": ent, "currency": cur, "receivable": _m(owed, cur),
                    "billed": _m(billed, cur), "days_in_period": p.days,
                    "dso": None if days is None else str(days.quantize(Decimal("0.1")))})
    return out


# --- shown values ------------------------------------------------------------------------
def _m(value: Decimal, currency: str) -> str:
    return str(round_money(value, currency)) if currency else str(value)


def _h(seconds: int) -> str:
    return _d(hours(seconds))


def _d(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _r(value: Decimal | None) -> str | None:
    return None if value is None else str(value)

