"""KPIs that read payments (docs/KPIS.md), on SQLite and PostgreSQL, through the Odoo 17
imitation: the paid stages of time to invoice (posted -> paid, invoiced -> paid, from the
date an invoice was paid in full) by entity and customer, and DSO net of the payments made and
the credit notes issued by the period's end, checked against the plain definition computed
from the invoice list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.formats.erp_profiles import parse_erp_profiles
from hourbridge.observability.kpis import kpi_report
from support.api import api_client
from support.odoo import Odoo
from support.odoo_server import imitate_odoo

ROWS = [(f"h{i}", "E1" if i % 2 else "E2", "P1", "DEV", f"2026-{m:02d}-{d:02d}", "1.5", "work")
        for i, (m, d) in enumerate([(7, 6), (7, 14), (8, 3), (8, 20), (9, 8), (9, 21)])]


@pytest.fixture
def odoo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Odoo]:
    monkeypatch.setenv("HOURBRIDGE_ERP_ODOO_DE_KEY", "odoo-api-key")
    with imitate_odoo(Odoo()) as served:
        yield served


@pytest.fixture
def posted(loaded: Hourbridge, ingest: Any, odoo: Odoo, tmp_path: Path
           ) -> tuple[Hourbridge, list[dict[str, Any]]]:
    """Three monthly invoices issued on 2026-11-02 and posted to Odoo; their moves."""
    hb = loaded
    ingest(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    for month_end in (date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30)):
        hb.handle(c.RunBilling(month_end))
    hb.handle(c.IssueInvoices(all_drafts=True))
    path = tmp_path / "erp.yaml"
    path.write_text(yaml.safe_dump({"erp_profiles": [{
        "destination": "odoo-de", "system": "odoo", "entity": "DE", "company": "1",
        "journal": "INV", "currency": "EUR", "receivable_account": "121000",
        "revenue_accounts": {"default": "400000"},
        "tax_codes": {"standard": "19% S", "zero": "0% EU"},
        "accounts": {"1210": "1210", "4000": "4000"},
        "connection": {"url": odoo.url, "database": "acme", "login": "api@acme.example"}}]}))
    parsed, origins, problems = parse_erp_profiles(path)
    assert problems == []
    hb.handle(c.LoadErpProfiles(tuple(parsed), tuple(origins)))
    hb.handle(c.QueueErpPush())
    assert hb.worker.drain().as_dict()["dead"] == 0
    moves = sorted((m for m in odoo.moves() if m["move_type"] == "out_invoice"),
                   key=lambda m: m["id"])
    return hb, moves


def _ours(hb: Hourbridge, move: dict[str, Any]) -> dict[str, Any]:
    return next(i for i in hb.queries.invoices() if i["number"] == move["payment_reference"])


def _stages(report: dict[str, Any]) -> dict[str, tuple[int, int | None, int | None]]:
    return {s["stage"]: (s["count"], s["p50"], s["p90"])
            for s in report["time_to_invoice"]["stages"]}


def test_paid_stages_from_the_date_an_invoice_was_paid_in_full(
        posted: tuple[Hourbridge, list[dict[str, Any]]], odoo: Odoo) -> None:
    hb, (a, b, unpaid) = posted
    # posted when the worker delivered them: 2026-11-02, the day they were issued
    odoo.pay(a["id"], a["amount_total"], "2026-11-20")  # paid in full after 18 days
    odoo.pay(b["id"], Decimal("10.00"), "2026-11-05")  # partly paid on the 5th...
    odoo.pay(b["id"], b["amount_total"] - Decimal("10.00"), "2026-12-12")  # ...in full: 40
    odoo.pay(unpaid["id"], Decimal("1.00"), "2026-11-06")  # partial only: not paid
    hb.handle(c.PullErpPayments("odoo-de"))
    assert [_ours(hb, m)["status"] for m in (a, b, unpaid)] == ["paid", "paid", "issued"]

    report = kpi_report(hb.queries, "2026-11", None, date(2026, 12, 31))
    stages = _stages(report)
    assert stages["invoiced_to_posted"] == (3, 0, 0)
    # nearest rank over {18, 40}: p50 the first, p90 the second
    assert stages["invoiced_to_paid"] == (2, 18, 40)
    assert stages["posted_to_paid"] == (2, 18, 40)
    by_customer = {(x["stage"], x["entity"], x["customer"]): (x["count"], x["p50"], x["p90"])
                   for x in report["time_to_invoice"]["by_customer"]}
    assert by_customer[("posted_to_paid", "DE", "ACME")] == (2, 18, 40)
    by_entity = {(x["stage"], x["entity"]): x["count"]
                 for x in report["time_to_invoice"]["by_entity"]}
    assert by_entity[("invoiced_to_paid", "DE")] == 2
    # the plain definition: issue date to the last payment of each invoice now paid
    plain = sorted((date.fromisoformat(i["last_paid_on"]) - date.fromisoformat(
        i["issue_date"])).days for i in hb.queries.invoices() if i["status"] == "paid")
    assert plain == [18, 40]
    # another period's invoices: nothing paid there, null percentiles
    assert _stages(kpi_report(hb.queries, "2026-10", None, date(2026, 12, 31))
                   )["posted_to_paid"] == (0, None, None)
    with api_client(hb) as client:
        got = client.get("/v1/kpis", params={"period": "2026-11"}).json()
    assert _stages(got)["posted_to_paid"][0] == 2
    print(f"kpi paid stages: invoiced_to_paid {stages['invoiced_to_paid']}, "
          f"posted_to_paid {stages['posted_to_paid']} (count, p50, p90 days)")


def _plain_receivable(hb: Hourbridge, last: date) -> Decimal:
    """DSO's receivable by its written definition, from the invoice list and the stored
    payments and credit notes: per invoice issued by ``last``, total less payments made by
    ``last`` less credit notes issued by ``last`` against it, never below zero."""
    docs = hb.queries.invoices()
    with hb.engine.connect() as conn:
        payments = conn.execute(text(
            "SELECT invoice, amount, paid_on FROM invoice_payments")).all()
    owed = Decimal(0)
    for inv in docs:
        if inv["kind"] != "invoice" or inv["status"] not in ("issued", "posted", "paid") or \
                date.fromisoformat(inv["issue_date"]) > last:
            continue
        paid = sum((Decimal(str(p.amount)) for p in payments if p.invoice == inv["id"]
                    and date.fromisoformat(str(p.paid_on)[:10]) <= last), Decimal(0))
        credited = sum((abs(Decimal(cn["total"])) for cn in docs
                        if cn["kind"] == "credit_note" and cn.get("credits") == inv["id"]
                        and cn["status"] in ("issued", "posted", "paid")
                        and date.fromisoformat(cn["issue_date"]) <= last), Decimal(0))
        owed += max(Decimal(0), Decimal(inv["total"]) - paid - credited)
    return owed


def test_dso_is_net_of_credit_notes_and_payments(
        posted: tuple[Hourbridge, list[dict[str, Any]]], odoo: Odoo) -> None:
    hb, (a, b, credited) = posted
    totals = [Decimal(_ours(hb, m)["total"]) for m in (a, b, credited)]
    odoo.pay(b["id"], Decimal("100.00"), "2026-11-10")
    hb.handle(c.PullErpPayments("odoo-de"))
    [before] = kpi_report(hb.queries, "2026-11", None, date(2026, 11, 30))["dso"]
    assert Decimal(before["receivable"]) == sum(totals) - Decimal("100.00")

    # the third invoice credited in full: its receivable is gone, and so is what it billed
    hb.handle(c.IssueCreditNote(_ours(hb, credited)["id"], actor="fin", reason="dispute",
                                mode="write_off"))
    r = kpi_report(hb.queries, "2026-11", None, date(2026, 11, 30))
    [dso] = r["dso"]
    want = totals[0] + totals[1] - Decimal("100.00")
    assert Decimal(dso["receivable"]) == want == _plain_receivable(hb, date(2026, 11, 30))
    assert Decimal(dso["billed"]) == totals[0] + totals[1]  # less the credit note
    days = (want * 30 / (totals[0] + totals[1])).quantize(Decimal("0.1"))
    assert (dso["days_in_period"], dso["dso"]) == (30, str(days))
    # as of October's end nothing was issued yet: no receivable, no DSO row
    assert kpi_report(hb.queries, "2026-10", None, date(2026, 11, 30))["dso"] == []
    print(f"kpi DSO net of credits: receivable {before['receivable']} -> {dso['receivable']}"
          f", billed {dso['billed']}, DSO {dso['dso']} days")
