"""Multi-currency on a real database: a German GmbH (EUR) bills a Swiss client in CHF and a
German client under a USD contract, through approve, bill, issue, credit and rebill.

What must hold: every journal entry balances per transaction currency and in EUR; the trial
balance is zero per currency and, in EUR, per entity; unbilled receivables clear in CHF/USD and
in EUR once the work is invoiced; the rates stored are the ones the contract's policy picks;
the journal exports pass ``bean-check`` and ``hledger check`` and agree with the trial balance
in units and, converted at their prices, in EUR; the e-invoices pass EN 16931 with the VAT
total in EUR (BT-6, BT-111).
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge
from hourbridge.cli.export import export_app
from hourbridge.domain import commands as c
from hourbridge.domain.fx import translate
from hourbridge.errors import InvalidInput
from support.einvoice import Validator
from support.firm import small_firm_bundle
from support.ledger import export_balances
from support.tools import check_beancount, check_hledger, require_tool, run_tool

runner = CliRunner()
D = Decimal
CHF_EUR = [("2026-07-01", "1.0612"), ("2026-08-15", "1.0587"), ("2026-10-01", "1.0649")]
USD_EUR = [("2026-07-01", "0.9215"), ("2026-09-01", "0.9302")]
ROWS = [
    ("c1", "E1", "PCH", "DEV", "2026-08-10", "2", "design"),    # CHF at 1.0612
    ("c2", "E2", "PCH", "DEV", "2026-08-20", "1.5", "build"),   # CHF at 1.0587
    ("c3", "E1", "PCH", "DEV", "2026-09-03", "3.3", "build"),   # CHF at 1.0587
    ("u1", "E1", "PUS", "DEV", "2026-08-11", "1.25", "audit"),  # USD at 0.9215
    ("u2", "E2", "PUS", "DEV", "2026-09-02", "2.1", "review"),  # USD at 0.9302
    ("e1", "E1", "P1", "DEV", "2026-08-12", "1", "home"),       # EUR, rate 1
]


def fx_bundle(policy: str = "work_date") -> dict[str, Any]:
    bundle = small_firm_bundle()
    bundle["entities"][0].update(vat_id="DE811000004", legal_registration_id="HRB 123456")
    bundle["customers"] += [
        {"id": "ZURLINDEN", "name": "Zurlinden Maschinen AG", "entity": "DE", "currency": "CHF",
         "country": "CH", "payment_terms_days": 30},
        {"id": "HANSA", "name": "Hansa Trading GmbH", "entity": "DE", "currency": "USD",
         "country": "DE", "vat_id": "DE123456788", "payment_terms_days": 30},
    ]
    for kid, code, customer, currency in (("KCH", "PCH", "ZURLINDEN", "CHF"),
                                          ("KUS", "PUS", "HANSA", "USD")):
        contract = {**bundle["contracts"][0], "id": kid, "customer": customer,
                    "currency": currency}
        if currency == "CHF":
            contract["fx_rate_date"] = policy
            if policy == "fixed":
                contract["fx_fixed_rate"] = "1.05"
        bundle["contracts"].append(contract)
        bundle["projects"].append({
            "code": code, "name": f"{customer} engagement", "customer": customer,
            "entity": "DE", "contract": kid, "tasks": [{"code": "DEV", "name": "Development"}],
            "assignments": [{"employee": e, "valid_from": "2026-07-01"} for e in ("E1", "E2")]})
        bundle["rate_cards"].append({
            "id": f"RC-{kid}", "scope": "contract", "scope_id": kid, "currency": currency,
            "rows": [{"id": f"{kid}-senior", "role": "senior", "rate": "187.50",
                      "valid_from": "2026-01-01"},
                     {"id": f"{kid}-analyst", "role": "analyst", "rate": "111.11",
                      "valid_from": "2026-01-01"}]})
    bundle["fx_rates"] = [
        {"from_currency": cur, "to_currency": "EUR", "valid_from": day, "rate": rate}
        for cur, rates in (("CHF", CHF_EUR), ("USD", USD_EUR)) for day, rate in rates]
    return bundle



def book(hb: Hourbridge, ingest: Any, load_bundle: Any, policy: str = "work_date"
         ) -> dict[str, dict[str, Any]]:
    """Load, ingest, approve, bill, issue; credit the USD invoice in part (rebill) and the CHF
    one in full (write-off); bill and issue the rebilled work; deliver the journal."""
    load_bundle(fx_bundle(policy))
    assert ingest(ROWS).accepted == len(ROWS)
    approved = hb.handle(c.ApproveEntries(actor="pm", date_to=date(2026, 9, 30)))
    assert approved.skipped == [] and approved.billable == len(ROWS)
    c3 = next(e for e in hb.queries.entries(project="PCH") if e["external_id"] == "c3")
    down = hb.handle(c.AdjustBillable(c3["id"], 3 * 3600, "agreed cap", "pm"))
    assert down.wip_delta == D("-93.75")  # 3.5 h (rounded up) -> 3 h at 187.50 CHF
    assert len(hb.handle(c.RunBilling(date(2026, 9, 30))).invoices) == 5
    hb.handle(c.IssueInvoices(all_drafts=True))
    issued = {i["customer"] + ":" + i["period"]: i for i in hb.queries.invoices(status="issued")}
    usd = issued["HANSA:2026-08"]
    hb.handle(c.IssueCreditNote(usd["id"], reason="hours disputed", actor="finance",
                                lines=((1, 1800),), mode="rebill"))
    hb.handle(c.IssueCreditNote(issued["ZURLINDEN:2026-08"]["id"], reason="goodwill",
                                actor="finance", mode="write_off"))
    assert len(hb.handle(c.RunBilling(date(2026, 9, 30))).invoices) == 1
    hb.handle(c.IssueInvoices(all_drafts=True))
    assert hb.worker.drain().dead == 0
    return issued


def sums(rows: list[dict[str, Any]], key: tuple[str, ...], field: str) -> dict[Any, Decimal]:
    out: dict[Any, Decimal] = defaultdict(Decimal)
    for r in rows:
        out[tuple(r[k] for k in key)] += D(r[field])
    return dict(out)


def postings(hb: Hourbridge, prefix: str) -> list[dict[str, Any]]:
    return [ln for e in hb.queries.journal(limit=1000) if e["key"].startswith(prefix)
            for ln in e["lines"]]


def test_trial_balance_is_zero_per_currency_and_in_functional_currency(
        hb: Hourbridge, ingest: Any, load_bundle: Any) -> None:
    book(hb, ingest, load_bundle)
    tb = hb.queries.trial_balance()
    assert {r["currency"] for r in tb} == {"EUR", "CHF", "USD"}
    assert all(v == 0 for v in sums(tb, ("entity", "currency"), "balance").values())
    assert sums(tb, ("entity",), "functional_balance") == {("DE",): D(0)}
    assert all(r["functional_currency"] == "EUR" for r in tb)
    functional = hb.queries.functional_trial_balance()
    assert sum((D(r["balance"]) for r in functional), D(0)) == 0
    # everything was invoiced (the rebilled half hour too): unbilled receivables are empty in
    # the contract currencies AND in EUR, the WIP relieved at exactly what was booked
    unbilled = {(r["currency"]): (D(r["balance"]), D(r["functional_balance"]))
                for r in tb if r["account"] == "1210"}
    assert unbilled == {"CHF": (0, 0), "USD": (0, 0), "EUR": (0, 0)}
    # rates moved between work and invoice: the difference is an FX gain or loss in EUR only
    fx = [r for r in tb if r["account"] == "4900"]
    assert fx and all(D(r["balance"]) == 0 and D(r["functional_balance"]) != 0 for r in fx)
    for entry in hb.queries.journal(limit=1000):
        assert sum((D(ln["functional_amount"]) for ln in entry["lines"]), D(0)) == 0


def test_the_policy_rates_are_stored_on_postings_and_invoices(
        hb: Hourbridge, ingest: Any, load_bundle: Any) -> None:
    issued = book(hb, ingest, load_bundle)
    wip = {(ln["currency"], D(ln["fx_rate"])) for ln in postings(hb, "approval:")
           if ln["account"] == "1210"}
    [write_down] = [ln for ln in postings(hb, "adjustment:") if ln["account"] == "1210"]
    assert (write_down["credit"], write_down["fx_rate"], write_down["functional_amount"]) == (
        "93.75", "1.0587", str(translate(D("562.50"), D("1.0587"), "EUR")
                               - translate(D("656.25"), D("1.0587"), "EUR")))
    # work_date: each entry at its work date's rate
    assert wip == {("CHF", D("1.0612")), ("CHF", D("1.0587")), ("USD", D("0.9215")),
                   ("USD", D("0.9302")), ("EUR", D(1))}
    # invoices at the issue date's rate (the clock says 2026-11-02)
    chf = issued["ZURLINDEN:2026-08"]
    receivable = [ln for ln in postings(hb, f"invoice-issued:DE:{chf['number']}")
                  if ln["account"] == "1200"]
    assert [(ln["currency"], D(ln["fx_rate"]), D(ln["functional_amount"])) for ln in receivable
            ] == [("CHF", D("1.0649"), translate(D(chf["total"]), D("1.0649"), "EUR"))]
    assert chf["fx_rate"] == "1.0649"
    note = [ln for ln in postings(hb, "credit-note-issued:") if ln["currency"] == "CHF"
            and ln["account"] == "1200"]
    assert [ln["functional_amount"] for ln in note] == [
        str(-D(receivable[0]["functional_amount"]))]  # written off whole: the same EUR back


@pytest.mark.parametrize(("policy", "rates"), [
    ("issue_date", {D("1.0649")}),  # approval posted 2026-11-02: the rate then
    ("fixed", {D("1.05")}),
])
def test_other_policies_book_wip_at_their_rate(hb: Hourbridge, ingest: Any, load_bundle: Any,
                                               policy: str, rates: set[Decimal]) -> None:
    book(hb, ingest, load_bundle, policy)
    chf = [ln for ln in hb.queries.journal(limit=1000) for ln in ln["lines"]
           if ln["currency"] == "CHF" and ln["account"] in ("1210", "1200", "2200")]
    assert {D(ln["fx_rate"]) for ln in chf} == rates
    tb = hb.queries.trial_balance()
    assert sums(tb, ("entity",), "functional_balance") == {("DE",): D(0)}


def test_work_without_a_rate_is_not_approved(hb: Hourbridge, ingest: Any,
                                             load_bundle: Any) -> None:
    bundle = fx_bundle()
    bundle["fx_rates"] = [{"from_currency": "CHF", "to_currency": "EUR",
                           "valid_from": "2026-09-01", "rate": "1.06"},
                          *[r for r in bundle["fx_rates"] if r["from_currency"] == "USD"]]
    load_bundle(bundle)
    ingest(ROWS)
    report = hb.handle(c.ApproveEntries(actor="pm", project="PCH"))
    assert [(s["reason"], "CHF -> EUR" in s["message"]) for s in report.skipped] == [
        ("no_fx_rate", True), ("no_fx_rate", True)]  # the August entries
    assert report.approved == 1


def test_a_contract_in_a_currency_without_rates_is_refused_at_load(
        hb: Hourbridge, load_bundle: Any) -> None:
    bundle = fx_bundle()
    bundle["fx_rates"] = [r for r in bundle["fx_rates"] if r["from_currency"] == "USD"]
    with pytest.raises(InvalidInput) as refused:
        load_bundle(bundle)
    [problem] = refused.value.problems
    assert (problem.code, problem.where) == ("no_fx_rate", "test: contracts[1].currency")


# --- exports ---------------------------------------------------------------------------------
_BEANCOUNT_WEIGHTS = """
import json, sys
from collections import defaultdict
from decimal import Decimal
from beancount import loader
from beancount.core import convert, data
entries, errors, _ = loader.load_file(sys.argv[1])
assert not errors, errors
sums = defaultdict(Decimal)
for e in entries:
    if isinstance(e, data.Transaction):
        for p in e.postings:
            w = convert.get_weight(p)
            units = p.units
            sums[p.account + " " + units.currency] += units.number
            sums["weight " + p.account + " " + w.currency] += w.number
print(json.dumps({k: str(v) for k, v in sums.items()}))
"""


def export_journal(fmt: str, folder: Path) -> Path:
    path = folder / f"journal.{fmt}"
    result = runner.invoke(export_app, ["journal", "--format", fmt, "--out", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_exports_pass_both_tools_and_agree_in_units_and_in_eur(
        hb: Hourbridge, ingest: Any, load_bundle: Any, cli_db: Path) -> None:
    book(hb, ingest, load_bundle)
    units, weights = export_balances(hb)
    assert ("Assets:DE:Unbilled:1210-CHF", "CHF") in units
    bean = export_journal("beancount", cli_db)
    text = bean.read_text(encoding="utf-8")
    assert " CHF @@ " in text and " USD @@ " in text
    check_beancount(bean)
    got = json.loads(run_tool(sys.executable, "-c", _BEANCOUNT_WEIGHTS, bean).stdout)
    bean_units = {tuple(k.split(" ")): D(v) for k, v in got.items()
                  if not k.startswith("weight ")}
    # beancount keeps a total price (@@) as a per-unit price, total / units, to 28 digits:
    # its weights are exact to 1e-25, so they are compared at the currency's cent
    bean_weights = {tuple(k.split(" ")[1:]): D(v).quantize(D("0.01")) for k, v in got.items()
                    if k.startswith("weight ")}
    assert bean_units == units
    assert bean_weights == weights

    require_tool("hledger")
    journal = export_journal("hledger", cli_db)
    check_hledger(journal)
    for flags, expected in (((), units), (("-B",), weights)):
        done = run_tool(require_tool("hledger"), "-f", journal, "bal", "-E", "--flat",
                        *flags, "-O", "json")
        rows, _ = json.loads(done.stdout)
        found = {}
        for name, _display, _indent, amounts in rows:
            for a in amounts:
                q = a["aquantity"]
                found[(name, a["acommodity"])] = D(q["decimalMantissa"]).scaleb(
                    -q["decimalPlaces"])
        assert found == {k: v for k, v in expected.items() if k in found or v}, flags


# --- e-invoices ------------------------------------------------------------------------------
NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def export_invoice(invoice_id: int, fmt: str) -> bytes:
    result = runner.invoke(export_app, ["invoice", str(invoice_id), "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_foreign_currency_e_invoices_state_vat_in_eur_and_pass_en16931(
        hb: Hourbridge, ingest: Any, load_bundle: Any, cli_db: Path) -> None:
    book(hb, ingest, load_bundle)
    validator = Validator()
    documents = hb.queries.invoices(status="issued")
    foreign = [d for d in documents if d["currency"] != "EUR"]
    assert {(d["currency"], d["kind"]) for d in foreign} == {
        ("USD", "invoice"), ("USD", "credit_note"), ("CHF", "invoice"), ("CHF", "credit_note")}
    for doc in foreign:
        rate = D(doc["fx_rate"])
        vat_eur = translate(D(doc["tax"]), rate, "EUR")
        for fmt in ("ubl", "cii"):
            xml = export_invoice(doc["id"], fmt)
            report = validator.validate(xml)
            assert report.schema_errors == [] and report.failed_ids == set(), report.explain()
            root = ET.fromstring(xml)
            if fmt == "ubl":
                assert [e.text for e in root.findall("cbc:TaxCurrencyCode", NS)] == ["EUR"]
                amounts = {(e.get("currencyID"), e.text)
                           for e in root.findall("cac:TaxTotal/cbc:TaxAmount", NS)}
            else:
                assert [e.text for e in root.iter(f"{{{NS['ram']}}}TaxCurrencyCode")] == ["EUR"]
                amounts = {(e.get("currencyID"), e.text)
                           for e in root.iter(f"{{{NS['ram']}}}TaxTotalAmount")}
            assert amounts == {(doc["currency"], doc["tax"]), ("EUR", str(vat_eur))}
