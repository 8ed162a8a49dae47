"""Per-day rounding on a real database: a day is billed as its rounded total, and stays right
when entries arrive late, are revised, approved or adjusted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.formats.timefile import TimeFile

from .conftest import csv_payload, load

HEADER = "external_id,employee,project,task,date,minutes,notes,revision"
MIN = 60


def per_day_bundle(bundle: dict[str, Any], mode: str = "up") -> dict[str, Any]:
    version = bundle["contracts"][0]["versions"][0]
    version["rounding"] = {"increment_minutes": 15, "mode": mode, "per": "day"}
    return bundle


def ingest(hb: Hourbridge, rows: list[tuple[Any, ...]], name: str) -> Any:
    rows = [r if len(r) == 8 else (*r, 1) for r in rows]
    payload = TimeFile.from_bytes(name, "text/csv", csv_payload(rows, HEADER))
    return hb.handle(c.IngestTimeEntries("harvest", payload))


def billable(hb: Hourbridge) -> dict[str, int]:
    return {e["external_id"]: e["billable_seconds"] for e in hb.queries.entries(limit=1000)}


def balances(hb: Hourbridge) -> dict[str, Decimal]:
    hb.worker.drain()
    return {r["account"]: Decimal(r["balance"]) for r in hb.queries.trial_balance()}


def test_a_day_bills_its_rounded_total_and_a_late_entry_bills_what_the_day_gained(
        hb: Hourbridge, small_bundle: dict[str, Any]) -> None:
    load(hb, per_day_bundle(small_bundle))
    report = ingest(hb, [("d1", "E1", "P1", "DEV", "2026-08-10", 10, "a"),
                         ("d2", "E1", "P1", "DEV", "2026-08-10", 10, "b"),
                         ("d3", "E1", "P1", "DEV", "2026-08-10", 10, "c"),
                         ("o1", "E1", "P1", "DEV", "2026-08-11", 10, "other day")], "a.csv")
    assert report.as_dict()["days_rerounded"] == 2
    seconds = billable(hb)
    # per entry this would be 3 x 15 minutes; the day of 30 minutes bills 30
    assert seconds["d1"] + seconds["d2"] + seconds["d3"] == 30 * MIN
    assert sorted([seconds["d1"], seconds["d2"], seconds["d3"]]) == [0, 15 * MIN, 15 * MIN]
    assert seconds["o1"] == 15 * MIN

    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    first = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert [i["net"] for i in first.invoices] == ["112.50"]  # 45 minutes at 150
    hb.handle(c.IssueInvoices(all_drafts=True))

    late = ingest(hb, [("d4", "E1", "P1", "DEV", "2026-08-10", 10, "late")], "b.csv")
    assert late.accepted == 1
    after = billable(hb)
    assert {k: after[k] for k in ("d1", "d2", "d3")} == {k: seconds[k] for k in ("d1", "d2", "d3")}
    assert after["d4"] == 15 * MIN  # the day grew from 30 to 40 minutes: 45 billed in all
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    second = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert [i["net"] for i in second.invoices] == ["37.50"]
    hb.handle(c.IssueInvoices(all_drafts=True))
    tb = balances(hb)
    assert tb["1210"] == 0 and sum(tb.values()) == 0


def test_revisions_move_seconds_between_days_and_entries(
        hb: Hourbridge, small_bundle: dict[str, Any]) -> None:
    load(hb, per_day_bundle(small_bundle))
    ingest(hb, [("r1", "E2", "P1", "DEV", "2026-08-12", 20, "x"),
                ("r2", "E2", "P1", "DEV", "2026-08-12", 20, "y")], "a.csv")
    assert sum(billable(hb).values()) == 45 * MIN
    # r2 moves to the next day: both days are recomputed
    revised = ingest(hb, [("r2", "E2", "P1", "DEV", "2026-08-13", 20, "y", 2)], "b.csv")
    assert revised.revised == 1
    assert billable(hb) == {"r1": 30 * MIN, "r2": 30 * MIN}
    # r1 shrinks: its day is recomputed
    ingest(hb, [("r1", "E2", "P1", "DEV", "2026-08-12", 5, "x", 2)], "c.csv")
    assert billable(hb) == {"r1": 15 * MIN, "r2": 30 * MIN}


def test_approved_work_follows_the_day_and_its_wip_is_rebooked(
        hb: Hourbridge, small_bundle: dict[str, Any]) -> None:
    load(hb, per_day_bundle(small_bundle, mode="nearest"))
    ingest(hb, [("h1", "E1", "P1", "DEV", "2026-08-10", 10, "x")], "a.csv")
    approved = hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    assert approved.wip == {"EUR": Decimal("37.50")}  # 10 minutes -> 15 at 150
    # a0 sorts first: the day of 20 minutes rounds (nearest) to 15, and a0 takes them
    ingest(hb, [("a0", "E1", "P1", "DEV", "2026-08-10", 10, "y")], "b.csv")
    assert billable(hb) == {"h1": 0, "a0": 15 * MIN}
    entries = {e["external_id"]: e for e in hb.queries.entries()}
    assert Decimal(entries["h1"]["wip_amount"]) == 0
    assert balances(hb)["1210"] == 0  # the WIP booked for h1 was taken back
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert [i["net"] for i in run.invoices] == ["37.50"]
    hb.handle(c.IssueInvoices(all_drafts=True))
    tb = balances(hb)
    assert tb["1210"] == 0 and tb["4000"] == Decimal("-37.50") and sum(tb.values()) == 0


def test_a_write_up_survives_a_recompute(hb: Hourbridge, small_bundle: dict[str, Any]) -> None:
    load(hb, per_day_bundle(small_bundle))
    ingest(hb, [("w1", "E1", "P1", "DEV", "2026-08-10", 10, "x"),
                ("w2", "E1", "P1", "DEV", "2026-08-10", 10, "y")], "a.csv")
    assert billable(hb) == {"w1": 15 * MIN, "w2": 15 * MIN}
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    w2 = next(e for e in hb.queries.entries() if e["external_id"] == "w2")
    hb.handle(c.AdjustBillable(w2["id"], 45 * MIN, "workshop prep", "pm"))
    ingest(hb, [("w3", "E1", "P1", "DEV", "2026-08-10", 10, "z")], "b.csv")
    after = billable(hb)
    # the day (30 minutes) is spread again; w2 keeps its +30 minutes on top of its share
    shares = {"w1": after["w1"], "w2": after["w2"] - 30 * MIN, "w3": after["w3"]}
    assert sum(shares.values()) == 30 * MIN and min(shares.values()) >= 0
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert [i["net"] for i in run.invoices] == ["150.00"]  # 30 + 30 minutes at 150
    hb.handle(c.IssueInvoices(all_drafts=True))
    assert sum(balances(hb).values()) == 0


@pytest.mark.parametrize("per", ["entry", "day"])
def test_rounding_per_is_loaded_and_shown(hb: Hourbridge, small_bundle: dict[str, Any],
                                          per: str) -> None:
    small_bundle["contracts"][0]["versions"][0]["rounding"]["per"] = per
    load(hb, small_bundle)
    [contract] = hb.queries.masterdata("contracts")
    assert contract["versions"][0]["rounding"]["per"] == per
    again = load(hb, small_bundle)
    assert again["contracts"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_an_entry_taken_on_retry_re_rounds_its_day(hb: Hourbridge,
                                                   small_bundle: dict[str, Any]) -> None:
    bundle = per_day_bundle(small_bundle)
    load(hb, bundle)
    # E3 is not assigned yet: its second entry waits in the exception queue
    ingest(hb, [("t1", "E2", "P1", "DEV", "2026-08-10", 20, "x"),
                ("t2", "E3", "P1", "DEV", "2026-08-10", 20, "y"),
                ("t3", "E2", "P1", "DEV", "2026-08-10", 20, "z")], "a.csv")
    before = billable(hb)
    assert set(before) == {"t1", "t3"} and sum(before.values()) == 45 * MIN  # 40 min -> 45
    bundle["projects"][0]["assignments"].append({"employee": "E3", "valid_from": "2026-07-01"})
    load(hb, bundle)
    [item] = hb.queries.exceptions()
    retried = hb.handle(c.RetryExceptions((item["id"],), "pm"))
    assert retried.resolved == [item["id"]]
    assert billable(hb)["t2"] == 30 * MIN  # E3's own day: 20 minutes -> 30
    # and a retried row of E2's day joins E2's day
    ingest(hb, [("t4", "E2", "P1", "NOPE", "2026-08-10", 10, "w")], "b.csv")
    bundle["projects"][0]["tasks"].append({"code": "NOPE", "name": "Late task"})
    load(hb, bundle)
    [item] = hb.queries.exceptions()
    hb.handle(c.RetryExceptions((item["id"],), "pm"))
    after = billable(hb)
    assert after["t1"] + after["t3"] + after["t4"] == 60 * MIN  # 50 minutes -> 60
