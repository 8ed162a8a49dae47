"""Expense intake on a real database (SQLite and PostgreSQL): kept payloads, every reason code,
resends, revisions, approval, and the repository methods the billing run calls."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import Conflict, InvalidInput
from hourbridge.formats.timefile import TimeFile
from hourbridge.services.ports import ExpenseSelection
from support.firm import small_firm_bundle

from .conftest import NOW, csv_payload, load

HEADER = "external_id,employee,project,task,date,amount,currency,category,description,billable"
ROWS = [
    ("x1", "E1", "P1", "DEV", "2026-08-10", "120.50", "EUR", "travel", "train", ""),
    ("x2", "E2", "P1", "", "2026-08-11", "89.00", "EUR", "hotel", "", "true"),
    ("x3", "E1", "P1", "DEV", "2026-08-12", "15", "EUR", "meals", "lunch", "false"),
    ("x4", "E1", "P1", "TRAVEL", "2026-08-12", "40", "EUR", "travel", "taxi", ""),
    ("x5", "E1", "INT", "", "2026-08-13", "30.00", "USD", "software", "licence", ""),
]


def ingest(hb: Hourbridge, rows: list[tuple[Any, ...]], name: str = "x.csv",
           source: str = "expensify", header: str = HEADER) -> Any:
    payload = TimeFile.from_bytes(name, "text/csv", csv_payload(rows, header),
                                  list_key="expenses")
    return hb.handle(c.IngestExpenses(source, payload))


def ingest_json(hb: Hourbridge, doc: Any, source: str = "expensify") -> Any:
    payload = TimeFile.from_bytes("x.json", "application/json", json.dumps(doc).encode(),
                                  list_key="expenses")
    return hb.handle(c.IngestExpenses(source, payload))


def stored(hb: Hourbridge) -> dict[str, dict[str, Any]]:
    return {e["external_id"]: e for e in hb.queries.expenses(limit=1000)}


def reasons_of(hb: Hourbridge) -> dict[str, str]:
    """external id -> reason of its open exception."""
    return {e["external_id"]: e["reason"] for e in hb.queries.exceptions(limit=1000)}


def test_csv_intake_stores_billable_and_non_billable(loaded: Hourbridge) -> None:
    hb = loaded
    report = ingest(hb, ROWS)
    assert (report.rows, report.accepted, report.rejected) == (5, 5, 0)
    got = stored(hb)
    assert got["x1"]["amount"] == "120.50" and got["x1"]["currency"] == "EUR"
    assert (got["x1"]["contract"], got["x1"]["entity"], got["x1"]["billing"]) == (
        "K1", "DE", "unbilled")
    assert got["x2"]["task"] is None  # no task given: stored as none, not as ""
    assert got["x3"]["billing"] == "non_billable"  # the source said so
    assert got["x4"]["billing"] == "non_billable"  # a non-billable task
    # a project without contract: non-billable, so its currency needs no conversion
    assert (got["x5"]["contract"], got["x5"]["billing"]) == (None, "non_billable")
    assert {e["approval"] for e in got.values()} == {"submitted"}
    assert hb.queries.inbox()["payloads"] == 1


def test_json_intake_list_or_object(loaded: Hourbridge) -> None:
    hb = loaded
    rows = [{"external_id": "j1", "employee": "E1", "project": "P1", "date": "2026-08-10",
             "amount": 12.5, "currency": "EUR", "category": "meals", "receipt_ref": "R-1"},
            {"external_id": 2, "employee": "E2", "project": "P1", "date": "2026-08-10",
             "amount": "7", "currency": "EUR", "category": "meals", "billable": False}]
    report = ingest_json(hb, {"expenses": rows})
    assert (report.rows, report.accepted) == (2, 2)
    got = stored(hb)
    # a JSON number is its decimal text, never a binary float
    assert got["j1"]["amount"] == "12.50" and got["j1"]["receipt_ref"] == "R-1"
    assert got["2"]["billing"] == "non_billable"
    again = ingest_json(hb, [{**rows[0], "external_id": "j3", "receipt_ref": "R-3"}])
    assert (again.rows, again.accepted) == (1, 1)
    wrong = ingest_json(hb, {"time_entries": rows})
    assert (wrong.rejected, wrong.reasons) == (1, {"invalid_format": 1})


def test_every_reason_code(loaded: Hourbridge) -> None:
    hb = loaded
    bundle = {"projects": [{"code": "OLD", "name": "Closed", "customer": "ACME",
                            "entity": "DE", "contract": "K1", "status": "closed",
                            "assignments": [{"employee": "E1", "valid_from": "2026-01-01"}]}],
              # K1 passes expenses on: one in another currency needs a rate
              "contracts": [{**small_firm_bundle()["contracts"][0],
                             "expenses": {"billing": "at_cost"}}]}
    load(hb, bundle)
    bad = [
        ("b1", "E1", "NOPE", "", "2026-08-10", "10", "EUR", "meals", "", ""),
        ("b2", "E1", "OLD", "", "2026-08-10", "10", "EUR", "meals", "", ""),
        ("b3", "E9", "P1", "", "2026-08-10", "10", "EUR", "meals", "", ""),
        ("b4", "E3", "P1", "", "2026-08-10", "10", "EUR", "meals", "", ""),
        ("b5", "E1", "P1", "", "2027-01-05", "10", "EUR", "meals", "", ""),
        ("b6", "E1", "INT", "", "2026-06-15", "10", "EUR", "meals", "", ""),
        ("b7", "E1", "P1", "", "2026-08-10", "0", "EUR", "meals", "", ""),
        ("b8", "E1", "P1", "", "2026-08-10", "-5", "EUR", "meals", "", ""),
        ("b9", "E1", "P1", "", "2026-08-10", "abc", "EUR", "meals", "", ""),
        ("b10", "E1", "P1", "", "2026-08-10", "12.345", "EUR", "meals", "", ""),
        ("b11", "E1", "INT", "", "2026-08-10", "1200.5", "JPY", "meals", "", ""),
        ("b12", "E1", "P1", "", "2026-08-10", "10", "EURO", "meals", "", ""),
        ("b13", "E1", "P1", "", "2026-08-10", "10", "USD", "meals", "", ""),
        ("b14", "E1", "P1", "", "2026-08-10", "10", "EUR", "", "", ""),
        ("b15", "E1", "P1", "NOPE", "2026-08-10", "10", "EUR", "meals", "", ""),
        ("b16", "E1", "P1", "", "10.08.2026", "10", "EUR", "meals", "", ""),
        ("b17", "E1", "P1", "", "2026-08-10", "10", "EUR", "meals", "", "maybe"),
        ("ok", "E1", "P1", "", "2026-08-10", "10", "EUR", "meals", "dinner", ""),
        ("ok2", "E1", "P1", "", "2026-08-10", "10.00", "EUR", "meals", "dinner", ""),
    ]
    report = ingest(hb, bad)
    assert (report.rows, report.accepted, report.rejected) == (19, 1, 18)
    assert reasons_of(hb) == {
        "b1": "unknown_project", "b2": "project_not_active", "b3": "unknown_employee",
        "b4": "not_assigned", "b5": "outside_contract_dates", "b6": "locked_period",
        "b7": "invalid_amount", "b8": "invalid_amount", "b9": "invalid_amount",
        "b10": "invalid_amount", "b11": "invalid_amount", "b12": "invalid_currency",
        "b13": "no_fx_rate", "b14": "invalid_format", "b15": "unknown_task",
        "b16": "invalid_format", "b17": "invalid_format", "ok2": "duplicate_entry",
    }
    items = {e["external_id"]: e for e in hb.queries.exceptions(limit=1000)}
    assert items["b13"]["field"] == "currency" and items["b13"]["owner_role"] == "finance"
    assert "no USD -> EUR rate in force on 2026-08-10" in items["b13"]["message"]
    assert items["b10"]["field"] == "amount" and "2 decimals" in items["b10"]["message"]
    assert items["b11"]["field"] == "amount" and "JPY" in items["b11"]["message"]
    assert items["b14"]["field"] == "category"
    # a JPY amount in whole yen is fine on a project without contract
    assert ingest(hb, [("y1", "E1", "INT", "", "2026-08-10", "1200", "JPY", "meals", "",
                        "")]).accepted == 1


def test_unreadable_payload_is_kept_and_failed(loaded: Hourbridge) -> None:
    hb = loaded
    payload = TimeFile.from_bytes("x.json", "application/json", b"{not json",
                                  list_key="expenses")
    report = hb.handle(c.IngestExpenses("expensify", payload))
    assert report.reasons == {"invalid_format": 1} and report.inbox_id is not None
    with hb.uow() as uow:
        assert b"".join(uow.inbox.payload(report.inbox_id)) == b"{not json"


def test_resend_adds_nothing_and_kind_is_part_of_the_fingerprint(loaded: Hourbridge) -> None:
    hb = loaded
    first = ingest(hb, ROWS)
    again = ingest(hb, ROWS)
    assert again.duplicate_payload and again.inbox_id == first.inbox_id
    assert len(stored(hb)) == 5 and hb.queries.inbox()["payloads"] == 1
    # the same rows in other bytes (an empty receipt_ref column): another payload, unchanged
    renamed = ingest(hb, ROWS, name="again.csv", header=HEADER + ",receipt_ref")
    assert (renamed.unchanged, renamed.accepted) == (5, 0)
    # the same bytes as a time file are another payload
    same_bytes = TimeFile.from_bytes("x.csv", "text/csv", csv_payload(ROWS, HEADER))
    as_time = hb.handle(c.IngestTimeEntries("expensify", same_bytes))
    assert not as_time.duplicate_payload


def test_revisions_replace_unbilled_and_refuse_billed(loaded: Hourbridge,
                                                      invoice_line: int) -> None:
    hb = loaded
    ingest(hb, ROWS[:2])
    hb.handle(c.ApproveExpenses("pm", project="P1"))
    v2 = [("x1", "E1", "P1", "DEV", "2026-08-10", "99.90", "EUR", "travel", "train", "", "2")]
    header = HEADER + ",revision"
    report = ingest(hb, v2, name="v2.csv", header=header)
    assert (report.revised, report.accepted) == (1, 0)
    got = stored(hb)["x1"]
    # the approval was of the old amount: the revision waits for approval again
    assert (got["amount"], got["revision"], got["approval"]) == ("99.90", 2, "submitted")
    older = [("x1", "E1", "P1", "DEV", "2026-08-10", "1.00", "EUR", "travel", "", "", "1")]
    assert ingest(hb, older, name="v1.csv", header=header).unchanged == 1
    assert stored(hb)["x1"]["amount"] == "99.90"

    hb.handle(c.ApproveExpenses("pm", project="P1"))
    with hb.uow() as uow:
        uow.expenses.mark_billed([(got["id"], invoice_line)], NOW)
        uow.commit()
    v3 = [("x1", "E1", "P1", "DEV", "2026-08-10", "50", "EUR", "travel", "", "", "3")]
    report = ingest(hb, v3, name="v3.csv", header=header)
    assert report.reasons == {"changed_after_approval": 1}
    after = stored(hb)["x1"]
    assert (after["amount"], after["billing"], after["invoice_line"]) == (
        "99.90", "billed", invoice_line)


def test_approve_by_ids_project_and_period(loaded: Hourbridge) -> None:
    hb = loaded
    with pytest.raises(InvalidInput):
        hb.handle(c.ApproveExpenses("pm"))
    ingest(hb, ROWS)
    ids = {k: v["id"] for k, v in stored(hb).items()}
    one = hb.handle(c.ApproveExpenses("pm", expense_ids=(ids["x1"], 999_999)))
    assert one.approved == 1 and one.billable_amount == {"EUR": Decimal("120.50")}
    assert one.skipped == [{"id": 999_999, "reason": "not_found"}]
    period = hb.handle(c.ApproveExpenses("pm", project="P1", date_from=date(2026, 8, 11),
                                         date_to=date(2026, 8, 11)))
    assert (period.approved, period.billable) == (1, 1)
    rest = hb.handle(c.ApproveExpenses("pm", employee="E1"))
    assert (rest.approved, rest.billable) == (3, 0)
    again = hb.handle(c.ApproveExpenses("pm", expense_ids=(ids["x1"],)))
    assert again.approved == 0 and again.skipped == [{"id": ids["x1"],
                                                      "reason": "already approved"}]
    assert {e["approval"] for e in stored(hb).values()} == {"approved"}


@pytest.fixture
def invoice_line(loaded: Hourbridge) -> int:
    """A real invoice line (time billed the ordinary way) for expenses to point at."""
    hb = loaded
    payload = TimeFile.from_bytes("t.csv", "text/csv", csv_payload(
        [("t1", "E1", "P1", "DEV", "2026-08-03", "1", "work")]))
    hb.handle(c.IngestTimeEntries("harvest", payload))
    hb.handle(c.ApproveEntries("pm", project="P1"))
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    invoice = hb.queries.invoice(run.invoices[0]["id"])
    assert invoice is not None
    line: int = invoice["lines"][0]["id"]
    return line


def test_billing_repository(loaded: Hourbridge, invoice_line: int) -> None:
    hb = loaded
    rows = [*ROWS, ("x6", "E2", "P1", "", "2026-09-01", "10", "EUR", "meals", "", "")]
    ingest(hb, rows)
    hb.handle(c.ApproveExpenses("pm", project="P1", date_to=date(2026, 8, 31)))
    ids = {k: v["id"] for k, v in stored(hb).items()}
    with hb.uow() as uow:
        # x6 is not approved; x3/x4 not billable; x5 has no contract
        assert [r.id for r in uow.expenses.billable("K1", date(2026, 12, 31))] == [
            ids["x1"], ids["x2"]]
        assert [r.id for r in uow.expenses.billable("K1", date(2026, 8, 10))] == [ids["x1"]]
        row = uow.expenses.billable("K1", date(2026, 8, 10))[0]
        assert (row.contract, row.project, row.entity, row.spent_on, row.category,
                row.description, row.amount, row.currency, row.employee) == (
            "K1", "P1", "DE", date(2026, 8, 10), "travel", "train", Decimal("120.50"),
            "EUR", "E1")
        assert str(row.amount) == "120.50"  # in minor units on every database
        assert uow.expenses.contracts_with_billable(date(2026, 8, 31), None) == ["K1"]
        assert uow.expenses.contracts_with_billable(date(2026, 8, 31), "XX") == []
        assert uow.expenses.contracts_with_billable(date(2026, 8, 9), "DE") == []

        uow.expenses.mark_billed([(ids["x1"], invoice_line)], NOW)
        uow.commit()
    with hb.uow() as uow:
        assert [r.id for r in uow.expenses.billable("K1", date(2026, 12, 31))] == [ids["x2"]]
        # billed at most once: a second marking of x1 refuses the whole batch
        with pytest.raises(Conflict):
            uow.expenses.mark_billed([(ids["x2"], invoice_line), (ids["x1"], invoice_line)],
                                     NOW)
        with pytest.raises(Conflict):
            uow.expenses.release([ids["x2"]], "rebill", NOW)  # not billed
    got = stored(hb)
    assert (got["x1"]["billing"], got["x1"]["invoice_line"]) == ("billed", invoice_line)
    assert (got["x2"]["billing"], got["x2"]["invoice_line"]) == ("unbilled", None)

    later = NOW + timedelta(days=1)
    with hb.uow() as uow:
        uow.expenses.release([ids["x1"]], "rebill", later)
        uow.commit()
    assert (stored(hb)["x1"]["billing"], stored(hb)["x1"]["invoice_line"]) == ("unbilled", None)
    with hb.uow() as uow:
        uow.expenses.mark_billed([(ids["x1"], invoice_line), (ids["x2"], invoice_line)], later)
        uow.expenses.release([ids["x2"]], "write_off", later)
        with pytest.raises(ValueError):
            uow.expenses.release([ids["x1"]], "forget", later)
        uow.commit()
    got = stored(hb)
    assert (got["x2"]["billing"], got["x2"]["invoice_line"]) == ("written_off", invoice_line)
    with hb.uow() as uow:
        assert uow.expenses.billable("K1", date(2026, 12, 31)) == []


def test_retry_takes_an_expense_after_the_fix(loaded: Hourbridge,
                                              small_bundle: dict[str, Any]) -> None:
    hb = loaded
    report = ingest(hb, [("r1", "E3", "P1", "", "2026-08-10", "10", "EUR", "meals", "", "")])
    assert report.reasons == {"not_assigned": 1}
    bundle = copy.deepcopy(small_bundle)
    bundle["projects"][0]["assignments"].append({"employee": "E3",
                                                 "valid_from": "2026-07-01"})
    load(hb, bundle)
    exc_id = hb.queries.exceptions()[0]["id"]
    retried = hb.handle(c.RetryExceptions((exc_id,)))
    assert retried.resolved == [exc_id]
    got = stored(hb)["r1"]
    assert (got["amount"], got["billing"]) == ("10.00", "unbilled")
    assert hb.queries.entries() == []  # taken as an expense, not as a time entry


def test_large_file_streams_in_batches(loaded: Hourbridge) -> None:
    hb = loaded
    start = date(2026, 7, 1)
    rows = [(f"n{i}", "E1", "P1", "DEV", (start + timedelta(days=i % 150)).isoformat(),
             f"{1 + i % 997}.{i % 100:02d}", "EUR", "meals", f"#{i}", "")
            for i in range(12_001)]
    report = ingest(hb, rows)
    assert (report.rows, report.accepted, report.rejected) == (12_001, 12_001, 0)
    approved = hb.handle(c.ApproveExpenses("pm", project="P1"))
    expected = sum((Decimal(r[5]) for r in rows), Decimal(0))
    assert approved.billable_amount == {"EUR": expected}
    with hb.uow() as uow:
        billable = uow.expenses.billable("K1", date(2026, 12, 31))
    assert len(billable) == 12_001 and sum(r.amount for r in billable) == expected
    assert [r.spent_on for r in billable] == sorted(r.spent_on for r in billable)


_OPS = st.lists(st.tuples(st.sampled_from(["mark", "rebill", "write_off"]),
                          st.sets(st.integers(min_value=0, max_value=3), min_size=1)),
                min_size=1, max_size=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_billing_axis_property(prepared: tuple[Hourbridge, list[int], int],
                               ops: list[tuple[str, set[int]]]) -> None:
    """Whatever the sequence of marking and releasing: an expense is billed at most once,
    billed exactly when the model says so, a written-off one never bills again, and a refused
    change (any expense in the wrong state) changes nothing at all."""
    hb, ids, line = prepared
    state = {i: "unbilled" for i in ids}
    with hb.uow() as uow:  # never committed: each example starts from the same rows
        for op, picks in ops:
            chosen = [ids[k] for k in sorted(picks)]
            need = "unbilled" if op == "mark" else "billed"
            allowed = all(state[i] == need for i in chosen)
            try:
                if op == "mark":
                    uow.expenses.mark_billed([(i, line) for i in chosen], NOW)
                else:
                    uow.expenses.release(chosen, op, NOW)
            except Conflict:
                assert not allowed
            else:
                assert allowed
                after = {"mark": "billed", "rebill": "unbilled", "write_off": "written_off"}
                state.update({i: after[op] for i in chosen})
            rows = {r.id: r for r in uow.expenses.select(ExpenseSelection(ids=tuple(ids)))}
            assert {i: rows[i].billing for i in ids} == state
            billable = {r.id for r in uow.expenses.billable("K1", date(2026, 12, 31))}
            assert billable == {i for i in ids if state[i] == "unbilled"}


@pytest.fixture
def prepared(loaded: Hourbridge, invoice_line: int) -> tuple[Hourbridge, list[int], int]:
    rows = [(f"p{k}", "E1", "P1", "", f"2026-08-1{k}", f"{k + 1}", "EUR", "meals", "", "")
            for k in range(4)]
    ingest(loaded, rows)
    loaded.handle(c.ApproveExpenses("pm", project="P1"))
    return loaded, sorted(e["id"] for e in stored(loaded).values()), invoice_line
