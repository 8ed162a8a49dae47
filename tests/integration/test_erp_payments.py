"""Payments back from an ERP (the Odoo 17 imitation, ``support.odoo``): each payment recorded
once, the invoice paid when paid in full, partial payments keep the open amount; invoices
list (query, CLI, API) shows payment state, paid amount and last payment date; receivables
aging by customer in buckets of days past due; the worker's pull job; on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge
from hourbridge.cli.app import app as cli
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats.erp_profiles import parse_erp_profiles
from support.api import api_client
from support.odoo import Odoo
from support.odoo_server import imitate_odoo

ACCOUNTS = {"1210": "1210", "4000": "4000"}
ROWS = [(f"h{i}", "E1" if i % 2 else "E2", "P1", "DEV", f"2026-{m:02d}-{d:02d}", "1.5", "work")
        for i, (m, d) in enumerate([(7, 6), (7, 14), (8, 3), (8, 20), (9, 8), (9, 21)])]


@pytest.fixture
def odoo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Odoo]:
    monkeypatch.setenv("HOURBRIDGE_ERP_ODOO_DE_KEY", "odoo-api-key")
    with imitate_odoo(Odoo()) as served:
        yield served


@pytest.fixture
def issued(loaded: Hourbridge, ingest: Any) -> Hourbridge:
    """Three monthly invoices of the small firm, issued (as in test_erp_odoo)."""
    ingest(ROWS)
    loaded.handle(c.ApproveEntries(actor="pm", project="P1"))
    for month_end in (date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30)):
        loaded.handle(c.RunBilling(month_end))
    loaded.handle(c.IssueInvoices(all_drafts=True))
    loaded.worker.drain()
    return loaded


def load_profiles(hb: Hourbridge, tmp_path: Path, url: str) -> None:
    path = tmp_path / "erp.yaml"
    path.write_text(yaml.safe_dump({"erp_profiles": [{
        "destination": "odoo-de", "system": "odoo", "entity": "DE", "company": "1",
        "journal": "INV", "currency": "EUR", "receivable_account": "121000",
        "revenue_accounts": {"default": "400000"},
        "tax_codes": {"standard": "19% S", "zero": "0% EU"}, "accounts": ACCOUNTS,
        "connection": {"url": url, "database": "acme", "login": "api@acme.example"}}]}))
    parsed, origins, problems = parse_erp_profiles(path)
    assert problems == []
    hb.handle(c.LoadErpProfiles(tuple(parsed), tuple(origins)))


def _pushed(hb: Hourbridge, odoo: Odoo, tmp_path: Path) -> list[dict[str, Any]]:
    """The three issued invoices posted to Odoo; their moves, oldest first."""
    load_profiles(hb, tmp_path, odoo.url)
    hb.handle(c.QueueErpPush())
    assert hb.worker.drain().as_dict()["dead"] == 0
    return sorted((m for m in odoo.moves() if m["move_type"] == "out_invoice"),
                  key=lambda m: m["id"])


def _ours(hb: Hourbridge, move: dict[str, Any]) -> dict[str, Any]:
    return next(i for i in hb.queries.invoices() if i["number"] == move["payment_reference"])


def test_payments_are_recorded_once_and_a_paid_invoice_becomes_paid(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    a, b, unpaid = _pushed(hb, odoo, tmp_path)
    odoo.pay(a["id"], a["amount_total"], "2026-10-20")
    odoo.pay(b["id"], Decimal("100.00"), "2026-10-21")
    odoo.pay(b["id"], Decimal("50.50"), "2026-11-02")
    first = hb.handle(c.PullErpPayments("odoo-de"))
    assert (first["documents"], first["payments_recorded"], first["already_recorded"],
            first["marked_paid"], first["failed"]) == (3, 3, 0, 1, [])
    assert first["states"] == {"not_paid": 1, "paid": 1, "partial": 1}
    again = hb.handle(c.PullErpPayments())
    assert (again["payments_recorded"], again["already_recorded"], again["marked_paid"]) == (
        0, 3, 0)
    paid, part, open_ = _ours(hb, a), _ours(hb, b), _ours(hb, unpaid)
    assert (paid["status"], paid["payment"], paid["paid_amount"], paid["open_amount"],
            paid["last_paid_on"]) == ("paid", "paid", str(a["amount_total"]), "0.00",
                                      "2026-10-20")
    assert (part["status"], part["payment"], part["paid_amount"], part["open_amount"],
            part["last_paid_on"]) == ("issued", "partial", "150.50",
                                      str(b["amount_total"] - Decimal("150.50")), "2026-11-02")
    assert (open_["payment"], open_["paid_amount"], open_["open_amount"],
            open_["last_paid_on"]) == ("unpaid", "0.00", open_["total"], None)
    assert [i["id"] for i in hb.queries.invoices(payment="paid")] == [paid["id"]]
    # a payment the ERP adds later is recorded on the next pull, alone
    odoo.pay(b["id"], b["amount_total"] - Decimal("150.50"), "2026-11-15")
    third = hb.handle(c.PullErpPayments())
    assert (third["payments_recorded"], third["marked_paid"]) == (1, 1)
    assert _ours(hb, b)["status"] == "paid"


def test_receivables_aging_by_customer_in_buckets_of_days_past_due(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    a, b, c_ = _pushed(hb, odoo, tmp_path)
    odoo.pay(b["id"], Decimal("100.00"), "2026-11-20")
    hb.handle(c.PullErpPayments())
    invoices = [_ours(hb, m) for m in (a, b, c_)]
    as_of = date.fromisoformat(invoices[0]["due_date"]) + timedelta(days=45)

    def bucket(inv: dict[str, Any]) -> str:
        days = (as_of - date.fromisoformat(inv["due_date"])).days
        return ("current" if days <= 0 else "1-30" if days <= 30 else "31-60" if days <= 60
                else "61-90" if days <= 90 else "90+")

    want: dict[str, Decimal] = dict.fromkeys(("current", "1-30", "31-60", "61-90", "90+"),
                                             Decimal(0))
    for inv, paid in zip(invoices, (Decimal(0), Decimal(100), Decimal(0)), strict=True):
        if date.fromisoformat(inv["issue_date"]) <= as_of:
            want[bucket(inv)] += Decimal(inv["total"]) - paid
    report = hb.queries.receivables_aging(as_of)
    [row] = report["customers"]
    assert (row["entity"], row["customer"], row["currency"]) == ("DE", "ACME", "EUR")
    assert {k: Decimal(row[k]) for k in want} == want
    assert Decimal(row["total"]) == sum(want.values())
    assert report["totals"] == [{"currency": "EUR", **{k: row[k] for k in (*want, "total")}}]
    assert want["31-60"] > 0  # the oldest invoice is 45 days past due
    # issued on 2 November: before the payment (20 November) all was owed; before the
    # issue date nothing was
    assert {i["issue_date"] for i in invoices} == {"2026-11-02"}
    early = hb.queries.receivables_aging(date(2026, 11, 19))
    assert Decimal(early["totals"][0]["total"]) == sum(Decimal(i["total"]) for i in invoices)
    assert hb.queries.receivables_aging(date(2026, 11, 1))["customers"] == []

    with api_client(hb) as client:
        got = client.get("/v1/receivables/aging", params={"as_of": as_of.isoformat(),
                                                          "entity": "DE"})
        assert got.status_code == 200, got.text
        assert got.json()["customers"][0]["31-60"] == row["31-60"]
        assert got.json()["totals"] == report["totals"]
        listed = {i["id"]: i for i in client.get("/v1/invoices").json()["items"]}
        assert listed[invoices[1]["id"]]["payment"] == "partial"
        assert listed[invoices[1]["id"]]["paid_amount"] == "100.00"
        assert listed[invoices[1]["id"]]["last_paid_on"] == "2026-11-20"
        bad = client.get("/v1/receivables/aging", params={"as_of": "2026-13-01"})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")


def test_cli_pulls_payments_and_ages_receivables(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path, cli_db: Path) -> None:
    hb = issued
    a, _, _ = _pushed(hb, odoo, tmp_path)
    odoo.pay(a["id"], a["amount_total"], "2026-10-20")
    runner = CliRunner()
    pulled = runner.invoke(cli, ["erp", "payments", "pull", "odoo-de", "--json"])
    assert pulled.exit_code == 0, pulled.output
    assert json.loads(pulled.output)["payments_recorded"] == 1
    text = runner.invoke(cli, ["erp", "payments", "pull"])
    assert text.exit_code == 0 and "0 payment(s) recorded, 1 already recorded" in text.output
    listed = runner.invoke(cli, ["invoices", "list", "--json"])
    assert [i["payment"] for i in json.loads(listed.output)] == ["paid", "unpaid", "unpaid"]
    aging = runner.invoke(cli, ["receivables", "aging", "--as-of", "2026-12-31", "--json"])
    assert aging.exit_code == 0, aging.output
    assert json.loads(aging.output)["customers"][0]["customer"] == "ACME"
    table = runner.invoke(cli, ["receivables", "aging", "--entity", "DE"])
    assert table.exit_code == 0 and "ACME" in table.output
    bad = runner.invoke(cli, ["receivables", "aging", "--as-of", "soon"])
    assert bad.exit_code == 2 and "--as-of" in bad.output
    unknown = runner.invoke(cli, ["erp", "payments", "pull", "nowhere"])
    assert unknown.exit_code == 2 and "nowhere" in unknown.output


def test_worker_job_pulls_once_per_slot_and_retries_an_unavailable_erp(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    hb = issued
    a, _, _ = _pushed(hb, odoo, tmp_path)
    odoo.pay(a["id"], Decimal("10.00"), "2026-10-20")
    assert hb.handle(c.QueuePaymentsPull("odoo-de", "2026-12-06T06")) is True
    assert hb.handle(c.QueuePaymentsPull("odoo-de", "2026-12-06T06")) is False  # same slot
    odoo.unavailable = 1  # the first read answers 503: the job retries, nothing is lost
    assert hb.worker.drain().as_dict() == {"delivered": 0, "retried": 1, "dead": 0}
    hb.clock.at += timedelta(hours=1)  # type: ignore[attr-defined]  # the retry is due
    assert hb.worker.drain().as_dict() == {"delivered": 1, "retried": 0, "dead": 0}
    assert _ours(hb, a)["paid_amount"] == "10.00"
    with pytest.raises(InvalidInput, match="nowhere"):
        hb.handle(c.PullErpPayments("nowhere"))


def test_credit_notes_show_applied_or_refunded_and_age_as_credits(
        issued: Hourbridge, odoo: Odoo, tmp_path: Path) -> None:
    """A credit note counts against what its customer owes until it is used: applied to an
    invoice it moves there (what is owed stays the same), refunded it is gone."""
    hb = issued
    a, b, c_ = sorted(hb.queries.invoices(), key=lambda i: i["id"])
    for inv in (a, b):
        hb.handle(c.IssueCreditNote(inv["id"], actor="fin", reason="dispute"))
    hb.worker.drain()
    load_profiles(hb, tmp_path, odoo.url)
    hb.handle(c.QueueErpPush())
    assert hb.worker.drain().as_dict()["dead"] == 0
    moves = {m["payment_reference"]: m for m in odoo.moves() if m["move_type"] != "entry"}
    credits = [i for i in hb.queries.invoices() if i["kind"] == "credit_note"]
    cn_a, cn_b = sorted(credits, key=lambda i: i["credits"])
    total_b, total_c = Decimal(b["total"]), Decimal(c_["total"])
    # b is paid; then its credit note is refunded; a's credit note is applied to a
    odoo.pay(moves[b["number"]]["id"], total_b, "2026-11-04")
    odoo.apply_credit(moves[cn_a["number"]]["id"], moves[a["number"]]["id"],
                      Decimal(a["total"]), "2026-11-10")
    odoo.pay(moves[cn_b["number"]]["id"], total_b, "2026-11-12")
    pulled = hb.handle(c.PullErpPayments("odoo-de"))
    assert (pulled["documents"], pulled["payments_recorded"], pulled["marked_paid"]) == (
        5, 4, 4)
    got = {i["number"]: i for i in hb.queries.invoices()}
    shown = {n: (i["kind"], i["status"], i["payment"], i["applied_amount"],
                 i["refunded_amount"], i["open_amount"]) for n, i in got.items()}
    print("credit notes read back:", shown)
    assert shown[cn_a["number"]] == ("credit_note", "paid", "applied", a["total"], "0.00",
                                     "0.00")
    assert shown[cn_b["number"]] == ("credit_note", "paid", "refunded", "0.00", b["total"],
                                     "0.00")
    assert shown[a["number"]] == ("invoice", "paid", "paid", a["total"], None, "0.00")
    assert shown[b["number"]] == ("invoice", "paid", "paid", "0.00", None, "0.00")
    assert hb.handle(c.PullErpPayments())["payments_recorded"] == 0  # once

    def owed(day: str) -> Decimal:
        totals = hb.queries.receivables_aging(date.fromisoformat(day))["totals"]
        return Decimal(totals[0]["total"]) if totals else Decimal(0)

    # 5 Nov: b paid, both credits unapplied: a and its credit cancel out, b's credit is owed
    # to the customer; 11 Nov: a's credit applied (the same owed); 13 Nov: b's refunded
    aging = {day: owed(day) for day in ("2026-11-05", "2026-11-11", "2026-11-13")}
    print("receivables owed by ACME:", {d: str(v) for d, v in aging.items()})
    assert aging == {"2026-11-05": total_c - total_b, "2026-11-11": total_c - total_b,
                     "2026-11-13": total_c}
    with api_client(hb) as client:
        listed = {i["number"]: i for i in client.get("/v1/invoices").json()["items"]}
    assert (listed[cn_a["number"]]["payment"], listed[cn_b["number"]]["refunded_amount"]) == (
        "applied", b["total"])
