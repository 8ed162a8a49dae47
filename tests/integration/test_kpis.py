"""KPIs (docs/KPIS.md) on a firm small enough to compute every figure by hand, on SQLite and
PostgreSQL: percentiles of time to invoice, WIP aging, exception rate, utilization with
public holidays, realization, effective rate, margin and DSO; an empty period is zeros; the
API and the CLI show the same report and refuse a bad period."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.domain.kpis import parse_period, percentile, working_days
from hourbridge.errors import InvalidInput
from hourbridge.observability.kpis import kpi_report
from support.api import api_client
from support.firm import small_firm_bundle

NOW = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)
ENTRIES = [  # id, employee, task, date, hours
    ("a1", "E1", "DEV", "2026-08-03", "2"),
    ("a2", "E1", "DEV", "2026-08-20", "1"),
    ("a3", "E2", "DEV", "2026-09-01", "3"),
    ("a4", "E2", "TRAVEL", "2026-09-02", "1"),
    ("a5", "E1", "DEV", "2026-09-30", "2"),
]


@pytest.fixture
def firm(database_url: str) -> Iterator[tuple[Hourbridge, TestClient]]:
    hb = bootstrap(Settings(database_url=database_url), clock=lambda: NOW)
    bundle = small_firm_bundle()
    bundle["employees"][0]["cost_rates"] = [
        {"valid_from": "2026-01-01", "rate": "80.00", "currency": "EUR"},
        {"valid_from": "2026-08-16", "rate": "100.00", "currency": "EUR"}]
    bundle["employees"][1]["cost_rates"] = [
        {"valid_from": "2026-01-01", "rate": "50.00", "currency": "EUR"}]
    with api_client(hb) as client:
        assert client.post("/v1/master-data", json=bundle).status_code == 200
        rows = [{"external_id": i, "employee": e, "project": "P1", "task": t, "work_date": d,
                 "hours": h} for i, e, t, d, h in ENTRIES]
        rows.append({"external_id": "bad", "employee": "E1", "project": "NOPE", "task": "DEV",
                     "work_date": "2026-09-03", "hours": "1"})
        assert client.post("/v1/time-entries",
                           json={"source": "t", "time_entries": rows}).status_code == 201
        hb.handle(c.ApproveEntries(actor="pm", project="P1"))
        hb.handle(c.RunBilling(through=date(2026, 8, 31)))
        hb.handle(c.IssueInvoices(all_drafts=True))
        yield hb, client


def test_every_kpi_by_hand(firm: tuple[Hourbridge, TestClient]) -> None:
    hb, client = firm
    r = kpi_report(hb.queries, None, None, NOW.date())
    assert r["period"] == {"label": "all", "from": "2026-08-03", "to": "2026-10-05",
                           "days": 64, "as_of": "2026-10-05"}
    stages = {s["stage"]: s for s in r["time_to_invoice"]["stages"]}
    # approved 2026-10-05: 63, 46, 34, 33 and 5 days after the work
    assert stages["work_to_approved"] == {"stage": "work_to_approved", "count": 5,
                                          "p50": 34, "p90": 63}
    assert (stages["work_to_invoiced"]["count"], stages["work_to_invoiced"]["p50"],
            stages["work_to_invoiced"]["p90"]) == (2, 46, 63)
    assert stages["approved_to_invoiced"]["p90"] == 0
    assert stages["invoiced_to_posted"]["count"] == 0  # no ERP posting yet
    [acme] = [x for x in r["time_to_invoice"]["by_customer"]
              if x["stage"] == "work_to_invoiced"]
    assert (acme["entity"], acme["customer"], acme["count"]) == ("DE", "ACME", 2)

    [wip] = r["wip"]["by_entity"]
    buckets = {b["bucket"]: (b["entries"], b["hours"], b["value"]) for b in wip["buckets"]}
    assert buckets == {"0-30": (1, "2.00", "330.00"), "31-60": (1, "3.00", "270.00"),
                       "61-90": (0, "0.00", "0.00"), "90+": (0, "0.00", "0.00")}
    assert (wip["currency"], wip["hours"], wip["value"]) == ("EUR", "5.00", "600.00")

    [src] = r["exceptions"]["by_source"]
    assert (src["source"], src["exceptions"], src["entries_taken"], src["rate"]) == (
        "t", 1, 5, "0.1667")
    assert r["exceptions"]["by_reason"][0]["open"] == 1

    [real] = r["realization"]
    # August: 2 h at 150 and 1 h at 165, billed exactly as worked
    assert real == {"entity": "DE", "currency": "EUR", "billed_value": "465.00",
                    "standard_value": "465.00", "worked_hours": "3.00",
                    "realization": "1.0000", "effective_rate": "155.00"}
    [p1] = [m for m in r["margin"]["project"] if m["project"] == "P1"]
    # cost: 2x80 + 1x100 + 3x50 + 1x50 + 2x100 (the cost rate in force on each work date)
    assert (p1["revenue"], p1["cost"], p1["margin"]) == ("465.00", "660.00", "-195.00")
    [dso] = r["dso"]
    assert (dso["receivable"], dso["billed"], dso["dso"]) == ("553.35", "553.35", "64.0")

    # the API shows the same report
    assert client.get("/v1/kpis").json() == json.loads(json.dumps(r))

    # utilization counts public holidays: May 2026 in Germany has 21 weekdays less May 1,
    # Ascension (14) and Whit Monday (25)
    [u] = kpi_report(hb.queries, "2026-05", None, NOW.date())["utilization"]
    assert (u["employees"], u["available_hours"], u["billable_hours"], u["utilization"]) == (
        3, "432.00", "0.00", "0.0000")
    # September: 22 weekdays, 5 billable hours worked (TRAVEL is not billable)
    [u] = kpi_report(hb.queries, "2026-09", "DE", NOW.date())["utilization"]
    assert (u["available_hours"], u["billable_hours"], u["worked_hours"],
            u["utilization"]) == ("528.00", "5.00", "6.00", "0.0095")


def test_reconciliation_and_periods(firm: tuple[Hourbridge, TestClient], database_url: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _, client = firm
    # August: everything taken and invoiced; the invoice is not in any ERP yet
    [aug] = client.get("/v1/reconciliation", params={"period": "2026-08"}).json()["sources"]
    assert aug["hours"] == {"tracker": "3.00", "hourbridge": "3.00", "billable": "3.00",
                            "invoiced": "3.00", "posted": "0.00"}
    [inv] = aug["differences"]["invoiced_vs_posted"]["invoices"]
    assert (inv["number"], inv["hours"]) == ("DE-000001", "3.00")
    # September: the row for an unknown project is in the tracker, not in Hourbridge; the
    # approved work is not invoiced yet
    [sep] = client.get("/v1/reconciliation", params={"period": "2026-09"}).json()["sources"]
    assert (sep["hours"]["tracker"], sep["hours"]["hourbridge"], sep["hours"]["invoiced"]) == (
        "7.00", "6.00", "0.00")
    [bad] = sep["differences"]["tracker_vs_hourbridge"]["entries"]
    assert (bad["external_id"], bad["reason"], bad["hours"]) == ("bad", "unknown_project",
                                                                 "1.00")
    causes = {e["ref"]: e["cause"] for e in sep["differences"]["billable_vs_invoiced"]["entries"]}
    assert causes["t:a3"] == causes["t:a5"] == "approved_unbilled"
    assert client.get("/v1/reconciliation", params={"period": "2026-9"}).status_code == 422

    # an empty period is zeros (and nulls for percentiles and ratios), not an error
    r = client.get("/v1/kpis", params={"period": "2025-Q1"}).json()
    assert r["period"]["label"] == "2025-Q1" and r["period"]["to"] == "2025-03-31"
    assert all(s["count"] == 0 and s["p50"] is None for s in r["time_to_invoice"]["stages"])
    assert r["exceptions"]["exceptions"] == 0 and r["exceptions"]["rate"] is None
    assert r["realization"] == [] and r["margin"]["project"] == []
    # DSO reads receivables as of the period's end: nothing was issued by then, no row
    assert r["dso"] == []
    assert r["utilization"][0]["billable_hours"] == "0.00"
    assert r["wip"]["by_entity"] == []  # nothing worked by 2025-03-31

    # a bad period is refused plainly: a 422 problem, one CLI line and exit 2
    r = client.get("/v1/kpis", params={"period": "2026-13"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(
        "application/problem+json")
    assert "YYYY-MM, YYYY-Qn or YYYY" in r.json()["detail"]
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", database_url)
    out = CliRunner().invoke(app, ["kpis", "--period", "Q3"])
    assert out.exit_code == 2 and "give YYYY-MM, YYYY-Qn or YYYY" in out.output
    shown = CliRunner().invoke(app, ["kpis", "--period", "2026-08", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["period"]["from"] == "2026-08-01"


def test_periods_percentiles_and_working_days() -> None:
    assert (parse_period("2026-Q4").first, parse_period("2026-Q4").last) == (
        date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("2024-02").days == 29 and parse_period("2026").days == 365
    for bad in ("2026-Q5", "26-01", "2026-00", "x"):
        with pytest.raises(InvalidInput):
            parse_period(bad)
    assert percentile({}, 50) is None
    assert percentile({1: 1, 2: 1, 3: 1, 4: 1}, 50) == 2  # nearest rank: ceil(0.5 * 4)
    assert percentile({0: 9, 100: 1}, 90) == 0 and percentile({0: 9, 100: 1}, 91) == 100
    assert working_days(date(2026, 9, 1), date(2026, 9, 30), frozenset()) == 22
    assert working_days(date(2026, 9, 7), date(2026, 9, 6), frozenset()) == 0
    # a holiday on a Saturday takes no working day
    assert working_days(date(2026, 10, 1), date(2026, 10, 31),
                        frozenset({date(2026, 10, 3)})) == 22


