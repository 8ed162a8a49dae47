"""Holds and credit notes on the whole path, on a real database: a customer without the VAT id
its invoice needs holds it until master data is fixed; holds keep work out of billing until
released; a credit note in full releases everything to bill again, one in part credits by
quantity or writes off. The rest of the path: ``test_flow.py``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import Conflict, InvalidInput
from support.firm import FLOW_ROWS


def by_external_id(hb: Hourbridge) -> dict[str, dict[str, Any]]:
    return {e["external_id"]: e for e in hb.queries.entries(limit=1000)}


def test_missing_vat_id_holds_the_invoice_until_master_data_is_fixed(
        loaded: Hourbridge, ingest: Any, load_bundle: Any, small_bundle: dict[str, Any]) -> None:
    hb = loaded
    acme = small_bundle["customers"][0]
    acme.update(country="FR", vat_id=None)
    load_bundle(small_bundle)
    ingest(FLOW_ROWS[:3])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    held = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert held.invoices == [] and {s["reason"] for s in held.skipped} == {"missing_vat_id"}
    again = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert len(again.skipped) == 3
    [item] = hb.queries.exceptions(reason="missing_vat_id")  # one, not one per run
    assert item["owner_role"] == "finance" and "K1" in item["location"]
    acme["vat_id"] = "FR40303265045"
    load_bundle(small_bundle)
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert (inv["tax"], inv["total"]) == ("0.00", inv["net"])
    detail = hb.queries.invoice(inv["id"])
    assert detail is not None and detail["tax_code"] == "reverse_charge"
    assert "Article 196" in detail["tax_note"]
    assert hb.queries.exceptions(reason="missing_vat_id") == []


def test_holds_keep_work_out_of_billing_until_released(loaded: Hourbridge,
                                                        ingest: Any) -> None:
    from hourbridge.errors import NotFound

    hb = loaded
    ingest(FLOW_ROWS[:3])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    with pytest.raises(NotFound):
        hb.handle(c.PlaceHold("customer", "GHOST", "credit_hold", "ar"))
    with pytest.raises(InvalidInput):
        hb.handle(c.PlaceHold("customer", "ACME", "bad_reason", "ar"))
    hold = hb.handle(c.PlaceHold("customer", "ACME", "credit_hold", "ar", "overdue 90 days"))
    held = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert held.invoices == [] and held.held == 3
    assert {s["reason"] for s in held.skipped} == {"on_hold"}
    [listed] = hb.queries.holds()
    assert (listed["owner_role"], listed["note"]) == ("credit_controller", "overdue 90 days")
    entry_id = by_external_id(hb)["h1"]["id"]
    hb.handle(c.PlaceHold("entry", str(entry_id), "dispute", "am"))
    with pytest.raises(InvalidInput):
        hb.handle(c.ReleaseHold(hold, "ar", ""))
    hb.handle(c.ReleaseHold(hold, "ar", "paid"))
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert inv["entries"] == 2  # the disputed entry still waits
    with pytest.raises(NotFound):
        hb.handle(c.ReleaseHold(hold, "ar", "again"))


def _issued(hb: Hourbridge, ingest: Any) -> dict[str, Any]:
    ingest(FLOW_ROWS[:3])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    [inv] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    hb.handle(c.IssueInvoices(invoice_ids=(inv["id"],)))
    detail = hb.queries.invoice(inv["id"])
    assert detail is not None
    return detail


def test_credit_in_full_releases_everything_and_rebills(loaded: Hourbridge,
                                                        ingest: Any) -> None:
    hb = loaded
    inv = _issued(hb, ingest)
    note = hb.handle(c.IssueCreditNote(inv["id"], "finance", "wrong rate agreed"))
    assert (note.number, str(note.net), str(note.tax)) == ("DE-000002", inv["net"], inv["tax"])
    assert {e["billing"] for e in hb.queries.entries()
            if e["external_id"] in ("h1", "h2", "h3")} == {"credited"}
    with pytest.raises(Conflict, match="in full"):
        hb.handle(c.IssueCreditNote(inv["id"], "finance", "again"))
    [rebill] = hb.handle(c.RunBilling(date(2026, 8, 31))).invoices
    assert rebill["net"] == inv["net"] and rebill["entries"] == 3
    hb.handle(c.IssueInvoices(all_drafts=True))
    hb.worker.drain()
    balances = {r["account"]: Decimal(r["balance"]) for r in hb.queries.trial_balance()}
    assert balances["1210"] == 0  # WIP restored by the credit, relieved again by the rebill
    assert balances["1200"] == Decimal(inv["total"])  # invoice - credit + rebill
    assert balances["4000"] == -Decimal(inv["net"])


def test_partial_credit_by_quantity_and_write_off(loaded: Hourbridge, ingest: Any) -> None:
    hb = loaded
    inv = _issued(hb, ingest)
    senior2 = next(ln for ln in inv["lines"] if ln["rate_row"] == "senior-2")  # 2 h at 165
    with pytest.raises(InvalidInput, match="creditable"):
        hb.handle(c.IssueCreditNote(inv["id"], "f", "too much",
                                    ((senior2["line_no"], 7201),)))
    half = hb.handle(c.IssueCreditNote(inv["id"], "f", "half an hour disputed",
                                       ((senior2["line_no"], 1800),), mode="write_off"))
    assert (str(half.net), str(half.tax)) == ("82.50", "15.68")
    h2 = by_external_id(hb)["h2"]
    assert (h2["billing"], h2["worked_seconds"]) == ("invoiced", 7200)  # worked time intact
    run = hb.handle(c.RunBilling(date(2026, 8, 31)))
    assert run.invoices == []  # written off: never billed again
    rest = hb.handle(c.IssueCreditNote(inv["id"], "f", "close it"))
    assert half.net + rest.net == Decimal(inv["net"])  # parts sum to the invoice exactly
    assert half.tax + rest.tax == Decimal(inv["tax"])
    hb.worker.drain()
    balances = {r["account"]: Decimal(r["balance"]) for r in hb.queries.trial_balance()}
    assert balances["1200"] == 0 and balances["2200"] == 0
    assert balances["1210"] == Decimal("480.00")  # 562.50 less the 82.50 written off
