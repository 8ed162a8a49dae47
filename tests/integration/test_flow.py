"""The whole path on a real database: load → ingest → approve → bill → issue → post. Holds
and credit notes on the way: ``test_flow_holds_credits.py``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import Conflict, InvalidInput
from hourbridge.formats.timefile import TimeFile
from support.firm import FLOW_ROWS


def by_external_id(hb: Hourbridge) -> dict[str, dict[str, Any]]:
    return {e["external_id"]: e for e in hb.queries.entries(limit=1000)}


def test_whole_path(loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    report = ingest(FLOW_ROWS)
    assert (report.rows, report.accepted, report.rejected) == (9, 6, 3)
    assert hb.queries.exceptions_by_reason() == {
        "locked_period": 1, "not_assigned": 1, "unknown_employee": 1}
    entries = by_external_id(hb)
    assert entries["h1"]["worked_seconds"] == 3960 and entries["h1"]["billable_seconds"] == 4500
    assert entries["h4"]["billing"] == "non_billable" and not entries["h4"]["billable"]
    assert entries["h5"]["billing"] == "non_billable"

    approved = hb.handle(c.ApproveEntries(actor="pm", project="P1", date_to=date(2026, 8, 31)))
    assert (approved.approved, approved.billable) == (4, 3)
    assert approved.wip == {"EUR": Decimal("562.50")}

    dry = hb.handle(c.RunBilling(date(2026, 9, 30), dry_run=True))
    assert [i["net"] for i in dry.invoices] == ["562.50"]
    assert hb.queries.invoices() == []  # a dry run writes nothing

    first = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert len(first.invoices) == 1
    inv = hb.queries.invoice(first.invoices[0]["id"])
    assert inv is not None
    assert (inv["period"], inv["net"], inv["tax"], inv["total"]) == (
        "2026-08", "562.50", "106.88", "669.38")
    lines = {(ln["rate_row"], ln["amount"]): ln for ln in inv["lines"]}
    assert set(lines) == {("senior-1", "187.50"), ("senior-2", "330.00"), ("analyst-1", "45.00")}
    assert sum(Decimal(ln["amount"]) for ln in inv["lines"]) == Decimal(inv["net"])
    linked = {link["entry"]: link["seconds"] for ln in inv["lines"] for link in ln["entries"]}
    assert linked == {entries["h1"]["id"]: 4500, entries["h2"]["id"]: 7200,
                      entries["h3"]["id"]: 1800}
    assert lines[("senior-2", "330.00")]["rate_rule"] == "role"

    again = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert again.invoices == [] and again.entries_billed == 0

    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    september = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert [(i["period"], i["total"]) for i in september.invoices] == [("2026-09", "107.10")]

    issued = hb.handle(c.IssueInvoices(all_drafts=True))
    assert [i["number"] for i in issued.issued] == ["DE-000001", "DE-000002"]
    assert issued.issued[0]["due_date"] == "2026-11-16"  # 14 days' terms from 2026-11-02
    with pytest.raises(Conflict):
        hb.handle(c.IssueInvoices(invoice_ids=(first.invoices[0]["id"],)))

    delivered = hb.worker.drain()
    assert delivered.as_dict() == {"delivered": 4, "retried": 0, "dead": 0}
    assert hb.worker.drain().delivered == 0  # nothing is posted twice
    balances = {r["account"]: Decimal(r["balance"]) for r in hb.queries.trial_balance()}
    assert balances == {"1200": Decimal("776.48"), "1210": Decimal("0.00"),
                        "2200": Decimal("-123.98"), "4000": Decimal("-652.50")}
    assert sum(balances.values()) == 0
    states = {k: (v["approval"], v["billing"], v["locked"])
              for k, v in by_external_id(hb).items()}
    assert states == {"h1": ("approved", "invoiced", True), "h2": ("approved", "invoiced", True),
                      "h3": ("approved", "invoiced", True),
                      "h4": ("approved", "non_billable", False),
                      "h5": ("submitted", "non_billable", False),
                      "h9": ("approved", "invoiced", True)}


def test_same_payload_twice_adds_nothing(loaded: Hourbridge, ingest: Any) -> None:
    first = ingest(FLOW_ROWS[:3])
    second = ingest(FLOW_ROWS[:3])
    assert first.accepted == 3 and not first.duplicate_payload
    assert second.duplicate_payload and second.inbox_id == first.inbox_id
    assert loaded.queries.inbox()["payloads"] == 1
    assert loaded.queries.entry_counts()["total"] == 3


def test_same_rows_in_another_file_are_unchanged_and_copies_are_duplicates(
        loaded: Hourbridge, ingest: Any) -> None:
    ingest(FLOW_ROWS[:2], name="a.csv")
    again = ingest([*FLOW_ROWS[:2], ("h1-copy", "E1", "P1", "DEV", "2026-08-10", "1.10", "design")],
                   name="b.csv")
    assert (again.unchanged, again.accepted, again.rejected) == (2, 0, 1)
    assert again.reasons == {"duplicate_entry": 1}


def test_revision_replaces_unapproved_entry_and_never_approved_one(
        loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    ingest(FLOW_ROWS[:2])
    header = "external_id,employee,project,task,date,hours,notes,revision"
    from hourbridge.domain import commands as cmd

    def send(rows: list[tuple[Any, ...]], name: str) -> Any:
        body = "\n".join([header] + [",".join(map(str, r)) for r in rows]) + "\n"
        file = TimeFile.from_bytes(name, "text/csv", body.encode())
        return hb.handle(cmd.IngestTimeEntries("harvest", file))

    revised = send([("h1", "E1", "P1", "DEV", "2026-08-10", "2", "design", 2)], "r2.csv")
    assert revised.revised == 1
    assert by_external_id(hb)["h1"]["worked_seconds"] == 7200
    hb.handle(c.ApproveEntries(actor="pm", entry_ids=(by_external_id(hb)["h1"]["id"],)))
    refused = send([("h1", "E1", "P1", "DEV", "2026-08-10", "3", "design", 3)], "r3.csv")
    assert refused.reasons == {"changed_after_approval": 1}
    assert by_external_id(hb)["h1"]["worked_seconds"] == 7200


def test_exception_retry_after_master_data_fix(loaded: Hourbridge, ingest: Any, load_bundle: Any,
                                               small_bundle: dict[str, Any]) -> None:
    hb = loaded
    ingest([FLOW_ROWS[6]])  # E3 not assigned to P1
    [item] = hb.queries.exceptions()
    assert (item["reason"], item["owner_role"]) == ("not_assigned", "project_manager")
    still = hb.handle(c.RetryExceptions((item["id"],)))
    assert still.still_open == {item["id"]: "not_assigned"}
    small_bundle["projects"][0]["assignments"].append(
        {"employee": "E3", "valid_from": "2026-08-01"})
    load_bundle(small_bundle)
    retried = hb.handle(c.RetryExceptions(()))
    assert retried.resolved == [item["id"]]
    assert hb.queries.exceptions() == []
    assert by_external_id(hb)["h7"]["billable_seconds"] == 3600


def test_dismiss_needs_a_note(loaded: Hourbridge, ingest: Any) -> None:
    ingest([FLOW_ROWS[5]])
    [item] = loaded.queries.exceptions()
    with pytest.raises(InvalidInput):
        loaded.handle(c.DismissExceptions((item["id"],), "fin", " "))
    assert loaded.handle(c.DismissExceptions((item["id"],), "fin", "left the firm")) == 1
    assert loaded.queries.exceptions(status="dismissed")[0]["note"] == "left the firm"


def test_bundle_is_all_or_nothing_and_idempotent(hb: Hourbridge, load_bundle: Any,
                                                 small_bundle: dict[str, Any]) -> None:
    load = lambda _hb, b: load_bundle(b)  # noqa: E731
    broken = {**small_bundle, "projects": small_bundle["projects"] + [
        {"code": "P2", "name": "x", "customer": "NOPE", "entity": "DE"}]}
    with pytest.raises(InvalidInput) as err:
        load(hb, broken)
    assert any("NOPE" in p.message and "projects[2]" in p.where for p in err.value.problems)
    assert hb.queries.masterdata("entities") == []  # nothing was half-loaded
    first = load(hb, small_bundle)
    assert first["projects"] == {"created": 2, "updated": 0, "unchanged": 0}
    second = load(hb, small_bundle)
    assert all(v["created"] == v["updated"] == 0 for v in second.values())


def test_issue_in_closed_period_is_refused_and_numbers_stay_gapless(
        loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    ingest(FLOW_ROWS[:3])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    hb.handle(c.RunBilling(date(2026, 8, 31)))
    with pytest.raises(Conflict):
        hb.handle(c.IssueInvoices(all_drafts=True, issue_date=date(2026, 6, 30)))
    issued = hb.handle(c.IssueInvoices(all_drafts=True))
    assert [i["number"] for i in issued.issued] == ["DE-000001"]


def test_approval_needs_a_selection(loaded: Hourbridge) -> None:
    with pytest.raises(InvalidInput):
        loaded.handle(c.ApproveEntries(actor="pm"))


def test_issuing_unknown_or_issued_invoices(loaded: Hourbridge, ingest: Any) -> None:
    from hourbridge.errors import NotFound

    hb = loaded
    ingest(FLOW_ROWS[:3])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    with pytest.raises(NotFound):
        hb.handle(c.IssueInvoices(invoice_ids=(inv["id"] + 100,)))
    hb.handle(c.IssueInvoices(invoice_ids=(inv["id"],)))
    with pytest.raises(Conflict, match="is issued"):
        hb.handle(c.IssueInvoices(invoice_ids=(inv["id"],)))


def test_master_data_snapshot_is_cached_until_a_load_changes_it(
        loaded: Hourbridge, load_bundle: Any, small_bundle: dict[str, Any]) -> None:
    hb = loaded
    with hb.uow() as uow:
        first = uow.masterdata.snapshot()
    with hb.uow() as uow:
        assert uow.masterdata.snapshot() is first
    load_bundle(small_bundle)  # unchanged: the revision stays, the snapshot too
    with hb.uow() as uow:
        assert uow.masterdata.snapshot() is first
    small_bundle["projects"][0]["status"] = "closed"
    load_bundle(small_bundle)
    with hb.uow() as uow:
        fresh = uow.masterdata.snapshot()
    assert fresh is not first and fresh.projects["P1"].status.value == "closed"


def test_planner_statistics_refresh_after_large_writes(loaded: Hourbridge, ingest: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With the threshold at one row, every bulk write is followed by ANALYZE (PostgreSQL);
    the whole path still runs and commits as before."""
    from hourbridge.store import bulk

    monkeypatch.setattr(bulk, "ANALYZE_AFTER_ROWS", 1)
    hb = loaded
    assert ingest(FLOW_ROWS[:3]).accepted == 3
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert hb.handle(c.IssueInvoices(invoice_ids=(inv["id"],))).issued[0]["number"]


def test_work_rounded_to_nothing_is_invoiced_at_zero_hours(
        loaded: Hourbridge, ingest: Any, load_bundle: Any, small_bundle: dict[str, Any]) -> None:
    hb = loaded
    small_bundle["contracts"][0]["versions"][0]["rounding"] = {"increment_minutes": 15,
                                                               "mode": "nearest"}
    load_bundle(small_bundle)
    ingest([("z1", "E2", "P1", "DEV", "2026-08-10", "0.1", "quick call"),  # 6 min -> 0
            ("z2", "E2", "P1", "DEV", "2026-08-11", "1", "work")])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert inv["entries"] == 2 and inv["net"] == "90.00"
    assert hb.handle(c.RunBilling(date(2026, 8, 31))).invoices == []
    z1 = by_external_id(hb)["z1"]
    assert (z1["billable_seconds"], z1["billing"]) == (0, "on_draft")


def test_dry_run_shows_what_changed_since_the_last_run(loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    ingest(FLOW_ROWS[:2])
    hb.handle(c.ApproveEntries(actor="pm", entry_ids=(by_external_id(hb)["h1"]["id"],)))
    first = hb.handle(c.RunBilling(date(2026, 9, 30), dry_run=True))
    assert first.changes == []  # nothing to compare with yet
    hb.handle(c.RunBilling(date(2026, 9, 30)))  # h1: 1.25 h at 150 = 187.50
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))  # h2 approved meanwhile
    ingest([FLOW_ROWS[8]], name="sept.csv")
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    second = hb.handle(c.RunBilling(date(2026, 9, 30), dry_run=True))
    changes = {(ch["contract"], ch["period"]): ch for ch in second.changes}
    assert changes[("K1", "2026-08")]["change"] == "changed"
    assert changes[("K1", "2026-08")]["net_delta"] == "330.00"  # h2: 2 h at 165
    assert changes[("K1", "2026-08")]["after"]["documents"] == "2"  # the waiting draft too
    assert changes[("K1", "2026-09")]["change"] == "added"
    assert len(hb.queries.invoices()) == 1  # dry runs bill nothing
    real = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert real.changes == second.changes  # the dry run did not consume the comparison
    assert hb.handle(c.RunBilling(date(2026, 9, 30), dry_run=True)).invoices == []


def test_write_down_before_billing_is_kept_booked_and_billed(loaded: Hourbridge,
                                                               ingest: Any) -> None:
    from hourbridge.errors import NotFound

    hb = loaded
    ingest(FLOW_ROWS[:3])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    h2 = by_external_id(hb)["h2"]  # 2 h at 165 = 330.00 booked
    with pytest.raises(InvalidInput):
        hb.handle(c.AdjustBillable(h2["id"], 3600, " ", "pm"))
    with pytest.raises(NotFound):
        hb.handle(c.AdjustBillable(999_999, 3600, "x", "pm"))
    report = hb.handle(c.AdjustBillable(h2["id"], 3600, "second hour was rework", "pm"))
    assert (report.before_seconds, report.after_seconds, str(report.wip_delta)) == (
        7200, 3600, "-165.00")
    after = by_external_id(hb)["h2"]
    assert (after["worked_seconds"], after["billable_seconds"]) == (7200, 3600)
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert inv["net"] == "397.50"  # 187.50 + 165.00 + 45.00
    with pytest.raises(Conflict, match="credit note"):
        hb.handle(c.AdjustBillable(h2["id"], 7200, "undo", "pm"))
    hb.handle(c.IssueInvoices(all_drafts=True))
    hb.worker.drain()
    balances = {r["account"]: Decimal(r["balance"]) for r in hb.queries.trial_balance()}
    assert balances["1210"] == 0 and balances["4090"] == Decimal("165.00")
    assert balances["4000"] == Decimal("-562.50")  # revenue as approved; the write-down apart


def test_every_payload_is_kept_verbatim(loaded: Hourbridge) -> None:
    """Nothing is lost: the inbox gives back the exact bytes received, whether its rows were
    taken, refused, or the payload could not be read at all."""
    rows = [f"k{i},E1,P1,DEV,2026-08-{1 + i % 28:02d},0.25,{'n' * 100}{i}" for i in range(12_000)]
    readable = ("external_id,employee,project,task,date,hours,notes\n"
                "bad,E9,P1,DEV,2026-08-10,1,unknown\n" + "\n".join(rows) + "\n").encode()
    unreadable = b"external_id,notes\nk,\"" + b"x" * (2 << 20)  # an unterminated 2 MiB field
    for name, body in (("k.csv", readable), ("u.csv", unreadable)):
        assert len(body) > 1 << 20  # spans more than one chunk
        report = loaded.handle(c.IngestTimeEntries("t", TimeFile.from_bytes(name, "text/csv",
                                                                           body)))
        with loaded.uow() as uow:
            assert b"".join(uow.inbox.payload(report.inbox_id)) == body
        assert report.rejected == 1
    assert loaded.queries.inbox()["accepted"] == 12_000
