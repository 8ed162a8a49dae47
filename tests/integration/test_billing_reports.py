"""A billing run's report tells the truth (issue 17, item 6): changes since the last real run
of the same scope as what stands invoiced per contract and month, credits included; a dry run
never consumes the comparison; every line kind counted; every contract that produced nothing
says why, with a reason code."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.domain.problems import REASON_OWNERS
from support.firm import FLOW_ROWS

from .conftest import load
from .test_flow import by_external_id

AUG = date(2026, 8, 31)


def _changes(report: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(ch["contract"], ch["period"]): ch for ch in report.changes}


def _bill_august(hb: Hourbridge, ingest: Any) -> Any:
    ingest(FLOW_ROWS[:3])  # h1 187.50 + h2 330.00 + h3 45.00 = 562.50 in August
    hb.handle(c.ApproveEntries(actor="pm", project="P1", date_to=AUG))
    return hb.handle(c.RunBilling(AUG))


def test_an_idle_run_reports_a_waiting_draft_unchanged(loaded: Hourbridge, ingest: Any
                                                       ) -> None:
    hb = loaded
    first = _bill_august(hb, ingest)
    assert [i["net"] for i in first.invoices] == ["562.50"] and first.changes == []
    idle = hb.handle(c.RunBilling(AUG))
    assert idle.invoices == [] and idle.changes == []  # was: K1 2026-08 "removed"
    assert hb.handle(c.RunBilling(AUG, dry_run=True)).changes == []
    [nothing] = idle.not_invoiced
    assert (nothing["contract"], nothing["reason"]) == ("K1", "nothing_open")


def test_a_rebill_moves_invoiced_and_credited_but_not_the_net(loaded: Hourbridge,
                                                                ingest: Any) -> None:
    hb = loaded
    [inv] = _bill_august(hb, ingest).invoices
    hb.handle(c.IssueInvoices(invoice_ids=(inv["id"],), issue_date=date(2026, 9, 1)))
    hb.handle(c.IssueCreditNote(inv["id"], actor="fin", reason="wrong rate", mode="rebill",
                                issue_date=date(2026, 9, 2)))
    rebill = hb.handle(c.RunBilling(AUG))
    assert [i["net"] for i in rebill.invoices] == [inv["net"]]
    change = _changes(rebill)[("K1", "2026-08")]
    assert change["change"] == "rebilled"  # was: "changed" by minus the credited amount
    assert (change["invoiced_delta"], change["credited_delta"], change["net_delta"]) == (
        "562.50", "562.50", "0.00")
    assert change["before"] == {"currency": "EUR", "invoiced": "562.50", "credited": "0.00",
                                "net": "562.50", "documents": "1"}
    assert change["after"] == {"currency": "EUR", "invoiced": "1125.00",
                               "credited": "562.50", "net": "562.50", "documents": "3"}


def test_a_credit_between_runs_is_reported_by_the_next_run(loaded: Hourbridge,
                                                           ingest: Any) -> None:
    hb = loaded
    [inv] = _bill_august(hb, ingest).invoices
    hb.handle(c.IssueInvoices(invoice_ids=(inv["id"],), issue_date=date(2026, 9, 1)))
    hb.handle(c.IssueCreditNote(inv["id"], actor="fin", reason="goodwill", mode="write_off",
                                issue_date=date(2026, 9, 2)))
    ingest([FLOW_ROWS[8]], name="sept.csv")
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    run = hb.handle(c.RunBilling(date(2026, 9, 30)))
    changes = _changes(run)
    assert changes[("K1", "2026-08")]["change"] == "changed"
    assert changes[("K1", "2026-08")]["net_delta"] == "-562.50"
    assert changes[("K1", "2026-09")]["change"] == "added"
    assert changes[("K1", "2026-09")]["after"]["net"] == "90.00"


def test_a_dry_run_never_consumes_the_comparison(loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    _bill_august(hb, ingest)
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    ingest([FLOW_ROWS[8]], name="sept.csv")  # 1 h at 90 in September
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    for _ in range(2):  # rehearsed twice: both compare with the last real run
        dry = hb.handle(c.RunBilling(date(2026, 9, 30), dry_run=True))
        assert [(ch["contract"], ch["period"], ch["change"], ch["net_delta"])
                for ch in dry.changes] == [("K1", "2026-09", "added", "90.00")]
    assert hb.queries.invoices(status="draft")[0]["period"] == "2026-08"
    real = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert real.changes == dry.changes  # was: [] (the dry run had taken the comparison)
    assert hb.handle(c.RunBilling(date(2026, 9, 30), dry_run=True)).changes == []


def test_scopes_compare_with_their_own_last_run(loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    _bill_august(hb, ingest)  # over all entities
    ingest([FLOW_ROWS[8]], name="sept.csv")
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    first_de = hb.handle(c.RunBilling(date(2026, 9, 30), entity="DE"))
    assert first_de.changes == []  # the DE scope's first run has no baseline
    again_all = hb.handle(c.RunBilling(date(2026, 9, 30), dry_run=True))
    assert [(ch["period"], ch["change"]) for ch in again_all.changes] == [("2026-09", "added")]


def test_line_counts_include_every_line_kind(hb: Hourbridge, small_bundle: dict[str, Any],
                                             ingest: Any) -> None:
    bundle = copy.deepcopy(small_bundle)
    bundle["contracts"][0]["fee_schedule"] = [
        {"id": "SETUP", "bill_on": "2026-08-01", "amount": "500.00"}]
    load(hb, bundle)
    [inv] = _bill_august(hb, ingest).invoices
    stored = hb.queries.invoice(inv["id"])
    assert stored is not None
    assert inv["lines"] == len(stored["lines"]) == 4  # was 3: the fee line left out
    assert inv["line_kinds"] == {"fee": 1, "time": 3}
    assert inv["net"] == "1062.50"


def test_every_contract_that_made_nothing_says_why(hb: Hourbridge,
                                                   small_bundle: dict[str, Any],
                                                   ingest: Any) -> None:
    bundle = copy.deepcopy(small_bundle)
    # a French business without a VAT id: reverse charge cannot be invoiced
    bundle["customers"].append({"id": "FR1", "name": "Client SARL", "entity": "DE",
                                "currency": "EUR", "country": "FR"})
    bundle["contracts"].append({
        "id": "K2", "customer": "FR1", "entity": "DE", "currency": "EUR",
        "start_date": "2026-07-01", "versions": [{"version": 1, "effective_from": "2026-07-01"}],
        "fee_schedule": [{"id": "F1", "bill_on": "2026-08-01", "amount": "1000.00"}]})
    bundle["contracts"].append({
        "id": "K3", "customer": "ACME", "entity": "DE", "currency": "EUR",
        "start_date": "2026-07-01", "versions": [{"version": 1, "effective_from": "2026-07-01"}]})
    bundle["contracts"].append({  # a hold cap of 1 h that 2 h of work exceed
        "id": "K4", "customer": "ACME", "entity": "DE", "currency": "EUR",
        "start_date": "2026-07-01", "versions": [{"version": 1, "effective_from": "2026-07-01"}],
        "cap": {"hours": "1", "over_cap": "hold"}})
    bundle["projects"].append({
        "code": "P4", "name": "Capped", "customer": "ACME", "entity": "DE", "contract": "K4",
        "tasks": [{"code": "DEV", "name": "Development"}],
        "assignments": [{"employee": "E2", "valid_from": "2026-07-01"}]})
    load(hb, bundle)
    ingest([*FLOW_ROWS[:3], ("c1", "E2", "P4", "DEV", "2026-08-12", "2", "over")])
    hb.handle(c.ApproveEntries(actor="pm", date_to=AUG))
    hb.handle(c.PlaceHold("project", "P1", "missing_po", "fin", "PO expired"))
    for dry_run in (True, False):
        run = hb.handle(c.RunBilling(AUG, dry_run=dry_run))
        assert run.invoices == []
        why = {n["contract"]: n for n in run.as_dict()["not_invoiced"]}
        assert {k: n["reason"] for k, n in why.items()} == {
            "K1": "on_hold", "K2": "missing_vat_id", "K3": "nothing_open", "K4": "over_cap"}
        assert why["K1"]["reasons"] == {"on_hold": 3}
        assert "VAT id" in why["K2"]["message"]
        assert all(n["reason"] in REASON_OWNERS for n in why.values())


def test_a_stored_run_from_before_standings_is_no_baseline(loaded: Hourbridge,
                                                           ingest: Any) -> None:
    """Runs recorded before this change stored only their own drafts; comparing with them
    would report every waiting draft as changed, so they are skipped."""
    hb = loaded
    _bill_august(hb, ingest)
    uow = hb.uow()
    with uow:
        run_id = uow.invoices.add_run(AUG, None, hb.clock())
        uow.invoices.finish_run(run_id, 1, 3, {"K1|2026-08": {
            "currency": "EUR", "net": "100.00", "entries": "1"}})
        uow.commit()
    assert hb.handle(c.RunBilling(AUG)).changes == []
    assert by_external_id(hb)["h1"]["billing"] == "on_draft"
    assert Decimal(hb.queries.invoices()[0]["net"]) == Decimal("562.50")


def test_detail_level_per_contract_changes_lines_not_what_is_billed(
        hb: Hourbridge, small_bundle: dict[str, Any], ingest: Any) -> None:
    """The same August work at the three levels: the same entries and seconds billed, lines
    finer, nets within the per-line rounding rule (here equal: quarter hours at whole rates)."""
    seen: dict[str, Any] = {}
    for level in ("summary", "employee", "entry"):
        bundle = copy.deepcopy(small_bundle)
        bundle["contracts"][0]["detail"] = level
        bundle["projects"][0]["assignments"].append({"employee": "E3",
                                                     "valid_from": "2026-07-01"})
        load(hb, bundle)
        if level == "summary":  # two analysts at 90: E2 twice, E3 once
            ingest([*FLOW_ROWS[:3], ("x1", "E3", "P1", "DEV", "2026-08-21", "1", "qa"),
                    ("x2", "E2", "P1", "DEV", "2026-08-22", "0.5", "review")])
            hb.handle(c.ApproveEntries(actor="pm", project="P1", date_to=AUG))
        [inv] = hb.handle(c.RunBilling(AUG)).invoices
        stored = hb.queries.invoice(inv["id"])
        assert stored is not None
        seen[level] = stored
        hb.handle(c.VoidInvoice(inv["id"], "fin", "try the next detail level"))
    links = {level: sorted((e["entry"], e["seconds"]) for ln in inv["lines"]
                           for e in ln["entries"]) for level, inv in seen.items()}
    assert links["summary"] == links["employee"] == links["entry"]
    assert {level: len(inv["lines"]) for level, inv in seen.items()} == {
        "summary": 3, "employee": 4, "entry": 5}
    assert {inv["net"] for inv in seen.values()} == {"697.50"}
    ids = by_external_id(hb)
    assert [ln["description"] for ln in seen["entry"]["lines"]] == [
        "2026-08-10 P1 / DEV — senior E1 @ 150.00 EUR/h: design",
        "2026-08-20 P1 / DEV — analyst E2 @ 90.00 EUR/h: test",
        "2026-08-20 P1 / DEV — senior E1 @ 165.00 EUR/h: build",
        "2026-08-21 P1 / DEV — analyst E3 @ 90.00 EUR/h: qa",
        "2026-08-22 P1 / DEV — analyst E2 @ 90.00 EUR/h: review"]
    assert [[e["entry"] for e in ln["entries"]] for ln in seen["entry"]["lines"]] == [
        [ids[x]["id"]] for x in ("h1", "h3", "h2", "x1", "x2")]
    assert [(ln["description"], sorted(e["entry"] for e in ln["entries"]))
            for ln in seen["employee"]["lines"] if ln["role"] == "analyst"] == [
        ("P1 / DEV — analyst E2 @ 90.00 EUR/h", sorted([ids["h3"]["id"], ids["x2"]["id"]])),
        ("P1 / DEV — analyst E3 @ 90.00 EUR/h", [ids["x1"]["id"]])]
