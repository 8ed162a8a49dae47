"""``hourbridge export invoice ID --format ubl|cii``: EN 16931 e-invoices checked by the
official artefacts (XSD + EN 16931 schematron, see ``support.einvoice``).

A firm with one invoice per VAT case goes the whole path (load, ingest, approve, bill, issue,
post); every issued invoice is exported through the command line in both syntaxes and
validated. The demo firm gets the same for every issued invoice, and so do the documents
corrections make. Documents built directly (the rules catching errors, credit notes):
``test_einvoice_documents.py``.

Where master data lacks a fact a rule needs, the rule fails and the test names it in
``MODEL_GAPS`` (rule id -> the missing field), asserting exactly those failures: when the field
arrives the test fails until the gap is removed here.
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.export import export_app
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.domain.einvoice import (
    PEPPOL_BILLING_PROCESS,
    PEPPOL_BIS3,
    from_record,
    render_cii,
    render_ubl,
)
from hourbridge.errors import Conflict
from support.einvoice import NS, Report, Validator, check, text
from support.firm import small_firm_bundle

runner = CliRunner()
FORMATS = ("ubl", "cii")

# Rules that fail for want of a master-data field (the report lists them with the fix):
# - BR-CO-26 needs BT-29 seller identifier, BT-30 seller legal registration id or BT-31
#   seller VAT id. A seller without a VAT id (the US LLC), or one whose VAT id BR-O-02 forbids
#   on a "not subject to VAT" invoice, has none of them: LegalEntity.legal_registration_id.
# - BR-Z-02 / BR-E-02 need BT-31 seller VAT id, BT-32 seller tax registration id or BT-63:
#   a US LLC has no VAT id; LegalEntity.tax_registration_id (BT-32) would carry its number.
MODEL_GAPS: dict[tuple[str, str], set[str]] = {}

ROWS = [
    ("a1", "E1", "P1", "DEV", "2026-08-10", "1.10", "design"),  # ACME, DE: S 19 %
    ("a2", "E2", "P1", "DEV", "2026-08-20", "0.5", "test"),
    ("f1", "E1", "P2", "DEV", "2026-08-11", "2", "audit"),  # LUMIERE, FR business: AE
    ("s1", "E1", "P3", "DEV", "2026-08-12", "3", "review"),  # STIFTUNG, exempt: E
    ("g1", "E1", "P4", "DEV", "2026-08-13", "1.5", "call"),  # GLOBEX, US from DE: O
    ("u1", "E4", "P5", "DEV", "2026-08-14", "4", "build"),  # INITECH, US entity, USD: O (no VAT)
    ("a3", "E1", "P1", "DEV", "2026-09-02", "1", "sept"),  # billed later: stays a draft
]
CATEGORY = {"ACME": "S", "LUMIERE": "AE", "STIFTUNG": "E", "GLOBEX": "O", "INITECH": "O"}


def vat_case_bundle() -> dict[str, Any]:
    """The small firm plus one customer, contract and project per VAT case, and a US entity.

    The small firm's entity has no VAT id; a German seller charging VAT must state one
    (BR-S-02, BR-AE-02, BR-E-02), so this firm has one."""
    bundle = small_firm_bundle()
    bundle["entities"][0]["vat_id"] = "DE811000004"
    bundle["entities"][0]["legal_registration_id"] = "HRB 123456"
    bundle["entities"].append({
        "code": "US", "name": "Beispiel Consulting LLC", "country": "US", "currency": "USD",
        "invoice_prefix": "US", "legal_registration_id": "DE-SOS 7712345",
        "tax_registration_id": "12-3456789", "tax_rates": {"standard": "0"}})
    bundle["customers"] += [
        {"id": "LUMIERE", "name": "Lumière Conseil SAS", "entity": "DE", "currency": "EUR",
         "country": "FR", "vat_id": "FR40303265045", "payment_terms_days": 30},
        {"id": "STIFTUNG", "name": "Kinderhilfe Stiftung", "entity": "DE", "currency": "EUR",
         "country": "DE", "tax_exempt": True},
        {"id": "GLOBEX", "name": "Globex Corporation", "entity": "DE", "currency": "EUR",
         "country": "US"},
        {"id": "INITECH", "name": "Initech Inc.", "entity": "US", "currency": "USD",
         "country": "US", "po_number": "PO-4711", "payment_terms_days": 45},
    ]
    bundle["employees"].append({"id": "E4", "entity": "US", "role": "senior"})
    base = bundle["contracts"][0]
    for n, (customer, entity, currency) in enumerate(
            (("LUMIERE", "DE", "EUR"), ("STIFTUNG", "DE", "EUR"), ("GLOBEX", "DE", "EUR"),
             ("INITECH", "US", "USD")), start=2):
        bundle["contracts"].append({**copy.deepcopy(base), "id": f"K{n}", "customer": customer,
                                    "entity": entity, "currency": currency})
        bundle["projects"].append({
            "code": f"P{n}", "name": f"Engagement {n}", "customer": customer, "entity": entity,
            "contract": f"K{n}", "tasks": [{"code": "DEV", "name": "Development"}],
            "assignments": [{"employee": "E4" if entity == "US" else "E1",
                             "valid_from": "2026-07-01"}]})
    bundle["rate_cards"].append({
        "id": "FIRM-USD", "scope": "firm", "currency": "USD",
        "rows": [{"id": "us-senior", "role": "senior", "rate": "200.00",
                  "valid_from": "2026-01-01"}]})
    return bundle




@pytest.fixture
def issued(hb: Hourbridge, load_bundle: Any, ingest: Any, cli_db: Path) -> dict[str, Any]:
    """The VAT-case firm through the whole path: customer id -> its issued invoice; the
    September work of ACME stays on a draft (``"draft"``)."""
    load_bundle(vat_case_bundle())
    assert ingest(ROWS).accepted == len(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", date_to=date(2026, 8, 31)))
    assert len(hb.handle(c.RunBilling(date(2026, 9, 30))).invoices) == 5
    assert len(hb.handle(c.IssueInvoices(all_drafts=True)).issued) == 5
    assert hb.worker.drain().dead == 0
    hb.handle(c.ApproveEntries(actor="pm", date_from=date(2026, 9, 1)))
    [draft] = hb.handle(c.RunBilling(date(2026, 9, 30))).invoices
    out: dict[str, Any] = {i["customer"]: i for i in hb.queries.invoices(status="issued")}
    out["draft"] = draft
    return out


def export_invoice(invoice_id: int, fmt: str, folder: Path) -> bytes:
    path = folder / f"invoice-{invoice_id}.{fmt}.xml"
    result = runner.invoke(export_app, ["invoice", str(invoice_id), "--format", fmt,
                                        "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    return path.read_bytes()


def test_every_vat_case_exports_valid_ubl_and_cii(
        issued: dict[str, Any], validator: Validator, cli_db: Path) -> None:
    results: dict[tuple[str, str], Report] = {}
    for customer, category in CATEGORY.items():
        inv = issued[customer]
        assert inv["tax_category"] == category
        gaps = MODEL_GAPS.get((inv["entity"], category), set())
        for fmt in FORMATS:
            xml = export_invoice(inv["id"], fmt, cli_db)
            results[(customer, fmt)] = report = validator.validate(xml)
            check(report, gaps)
    # PEPPOL-EN16931-R008 (empty element, a warning): CII's ApplicableHeaderTradeDelivery
    # is mandatory but we know no delivery party or date; the invoicing period is stated.
    assert {w.id for r in results.values() for w in r.warnings} <= {"PEPPOL-EN16931-R008"}


def test_domestic_invoice_states_rate_tax_and_terms(issued: dict[str, Any],
                                                    cli_db: Path) -> None:
    inv = issued["ACME"]
    assert (inv["net"], inv["tax"], inv["total"]) == ("232.50", "44.18", "276.68")
    ubl = export_invoice(inv["id"], "ubl", cli_db)
    assert text(ubl, "cbc:ID") == ["DE-000001"]
    assert text(ubl, "cbc:InvoiceTypeCode") == ["380"]
    assert text(ubl, "cbc:DueDate") == ["2026-11-16"]
    assert text(ubl, "cac:InvoicePeriod/cbc:StartDate") == ["2026-08-01"]
    assert text(ubl, "cac:ContractDocumentReference/cbc:ID") == ["K1"]
    assert text(ubl, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"
                ) == ["DE811000004"]
    assert text(ubl, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent") == ["19"]
    assert text(ubl, "cac:TaxTotal/cbc:TaxAmount") == ["44.18"]
    assert text(ubl, "cac:LegalMonetaryTotal/cbc:PayableAmount") == ["276.68"]
    lines = {(q.text, q.get("unitCode"), p.text) for q, p in zip(
        ET.fromstring(ubl).findall("cac:InvoiceLine/cbc:InvoicedQuantity", NS),
        ET.fromstring(ubl).findall("cac:InvoiceLine/cac:Price/cbc:PriceAmount", NS),
        strict=True)}
    assert lines == {("1.25", "HUR", "150"), ("0.5", "HUR", "90")}
    assert text(ubl, "cac:PaymentTerms/cbc:Note") == [
        "Due on 2026-11-16, 14 days from the invoice date."]
    cii = export_invoice(inv["id"], "cii", cli_db)
    assert text(cii, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter"
                     "/ram:ID") == ["urn:cen.eu:en16931:2017"]
    assert text(cii, "rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    assert text(cii, f"{settlement}/ram:ApplicableTradeTax/ram:RateApplicablePercent") == ["19"]
    assert text(cii, f"{settlement}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/"
                     "udt:DateTimeString") == ["20261116"]
    assert text(cii, f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
                     "ram:DuePayableAmount") == ["276.68"]


def test_reverse_charge_names_the_buyer_vat_id_and_the_reason(issued: dict[str, Any],
                                                              cli_db: Path) -> None:
    inv = issued["LUMIERE"]
    assert (inv["tax_category"], inv["tax"]) == ("AE", "0.00")
    ubl = export_invoice(inv["id"], "ubl", cli_db)
    assert text(ubl, "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"
                ) == ["FR40303265045"]
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert text(ubl, f"{category}/cbc:ID") == ["AE"]
    assert text(ubl, f"{category}/cbc:TaxExemptionReasonCode") == ["VATEX-EU-AE"]
    assert "Article 196" in text(ubl, f"{category}/cbc:TaxExemptionReason")[0]
    assert text(ubl, "cac:TaxTotal/cbc:TaxAmount") == ["0.00"]
    cii = export_invoice(inv["id"], "cii", cli_db)
    tax = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/" \
          "ram:ApplicableTradeTax"
    assert text(cii, f"{tax}/ram:ExemptionReasonCode") == ["VATEX-EU-AE"]
    assert text(cii, f"{tax}/ram:CalculatedAmount") == ["0.00"]
    buyer = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/" \
            "ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"
    assert text(cii, buyer) == ["FR40303265045"]


def test_exempt_outside_scope_and_usd_invoices(issued: dict[str, Any], cli_db: Path) -> None:
    exempt = export_invoice(issued["STIFTUNG"]["id"], "ubl", cli_db)
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert text(exempt, f"{category}/cbc:TaxExemptionReasonCode") == ["VATEX-EU-132"]
    outside = export_invoice(issued["GLOBEX"]["id"], "ubl", cli_db)
    # BR-O-02: no VAT id of seller or buyer; BR-O-05 / BR-O-09 area: no rate
    assert text(outside, ".//cac:PartyTaxScheme/cbc:CompanyID") == []
    assert text(outside, f"{category}/cbc:Percent") == []
    assert text(outside, ".//cac:ClassifiedTaxCategory/cbc:Percent") == []
    usd = export_invoice(issued["INITECH"]["id"], "cii", cli_db)
    assert text(usd, "rsm:ExchangedDocument/ram:ID") == ["US-000001"]
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    assert text(usd, f"{settlement}/ram:InvoiceCurrencyCode") == ["USD"]
    assert text(usd, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
                     "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == ["PO-4711"]
    assert text(usd, f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
                     "ram:GrandTotalAmount") == ["800.00"]


def test_drafts_and_unknown_invoices_are_refused(issued: dict[str, Any], cli_db: Path) -> None:
    draft = issued["draft"]
    for fmt in FORMATS:
        result = runner.invoke(export_app, ["invoice", str(draft["id"]), "--format", fmt,
                                            "--out", str(cli_db / "draft.xml")])
        assert result.exit_code == 2, result.output
        assert "only issued invoices" in result.stderr and "draft" in result.stderr
    assert not (cli_db / "draft.xml").exists()
    result = runner.invoke(export_app, ["invoice", "999999", "--format", "ubl"])
    assert result.exit_code == 2 and "not found" in result.stderr
    result = runner.invoke(export_app, ["invoice", "1", "--format", "docx"])
    assert result.exit_code == 2


def test_invoice_export_help() -> None:
    result = runner.invoke(export_app, ["invoice", "--help"])
    assert result.exit_code == 0 and "EN 16931" in result.output


def test_stdout_is_the_same_document(issued: dict[str, Any], cli_db: Path) -> None:
    """Through the whole command line, which sends its logging to stderr (the export
    sub-app alone leaves structlog's default, stdout, unless an earlier test configured it)."""
    from hourbridge.cli.app import app

    inv = issued["ACME"]
    result = runner.invoke(app, ["export", "invoice", str(inv["id"]), "-f", "cii"])
    assert result.exit_code == 0, result.output
    assert result.stdout.encode("utf-8") == export_invoice(inv["id"], "cii", cli_db)


# --- the validator is not blind ------------------------------------------------------------
# --- the demo firm -------------------------------------------------------------------------
def test_every_issued_demo_invoice_is_a_valid_e_invoice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: Validator) -> None:
    """All issued invoices of the demo firm (two entities, EUR and USD), both syntaxes.
    The documents are rendered through the same read side and mapping as the command; the
    command itself writes the first of each entity (byte-identical)."""
    from hourbridge.cli.app import app

    url = f"sqlite:///{tmp_path}/demo.db"
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    demo = runner.invoke(app, ["demo", "--json"])
    assert demo.exit_code == 0, demo.output
    billing = json.loads(demo.stdout)["billing"]
    # invoices of the run and of the rebill after its credit note, and the credit notes
    issued_count = (billing["invoices_issued"] + billing["rebilled_issued"]
                    + len(billing["credit_notes"]))
    hb = bootstrap(Settings(database_url=url))
    try:
        invoices = [i for i in hb.queries.invoices() if i["number"]]
        assert len(invoices) == issued_count > 0
        first: dict[str, int] = {}
        peppol_checked = 0
        for inv in invoices:
            record = hb.queries.einvoice_data(inv["id"])
            assert record is not None
            doc = from_record(record)
            gaps = MODEL_GAPS.get((inv["entity"], inv["tax_category"]), set())
            for render in (render_ubl, render_cii):
                report = validator.validate(render(doc))
                check(report, gaps)
                # the UBL claims Peppol BIS Billing 3.0, so OpenPEPPOL's rules ran: 0 fatal
                assert report.peppol == (render is render_ubl), report.explain()
                peppol_checked += report.peppol
            carries_party_and_payment_data(render_ubl(doc), render_cii(doc))
            first.setdefault(inv["entity"], inv["id"])
            if first[inv["entity"]] == inv["id"]:
                for fmt, render in (("ubl", render_ubl), ("cii", render_cii)):
                    assert export_invoice(inv["id"], fmt, tmp_path) == render(doc)
    finally:
        hb.close()
    assert set(first) == {"DE", "US"}
    assert peppol_checked == issued_count
    print(f"Peppol BIS Billing 3.0: {peppol_checked} demo documents, 0 fatal", flush=True)


def carries_party_and_payment_data(ubl: bytes, cii: bytes) -> None:
    """What a customer needs to receive and pay: both postal addresses, the IBAN, the buyer
    reference and the due date, in both syntaxes; the UBL claims Peppol BIS Billing 3.0 with
    both endpoint ids (PEPPOL-EN16931-R001, -R004, -R010, -R020, -R003)."""
    assert text(ubl, "cbc:CustomizationID") == [PEPPOL_BIS3]
    assert text(ubl, "cbc:ProfileID") == [PEPPOL_BILLING_PROCESS]
    assert not [el.tag for el in ET.fromstring(ubl).iter()  # PEPPOL-EN16931-R008
                if len(el) == 0 and not (el.text or "").strip()]
    for party in ("AccountingSupplierParty", "AccountingCustomerParty"):
        assert all(text(ubl, f"cac:{party}/cac:Party/{path}") for path in (
            "cbc:EndpointID", "cac:PostalAddress/cbc:StreetName",
            "cac:PostalAddress/cbc:CityName", "cac:PostalAddress/cbc:PostalZone"))
    [buyer_reference] = text(ubl, "cbc:BuyerReference")
    assert buyer_reference
    assert len(text(ubl, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")) == 1
    assert len(text(ubl, "cbc:DueDate") + text(ubl, "cac:PaymentMeans/cbc:PaymentDueDate")) == 1
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    assert len(text(cii, f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/"
                         "ram:PayeePartyCreditorFinancialAccount/ram:IBANID")) == 1
    assert len(text(cii, f"{settlement}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/"
                         "udt:DateTimeString")) == 1
    assert len(text(cii, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
                         "ram:BuyerReference")) == 1
    assert len(text(cii, ".//ram:PostalTradeAddress/ram:LineOne")) == 2


# --- documents made by voids and corrections ------------------------------------------------
@pytest.mark.parametrize(("hours", "net"), [("1.5", "570.00"), ("0.5", "420.00")])
def test_documents_made_by_corrections_are_valid_e_invoices(
        loaded: Hourbridge, ingest: Any, load_bundle: Any, small_bundle: dict[str, Any],
        validator: Validator, hours: str, net: str) -> None:
    """A correction's credit note (credit and rebill) and an invoice carrying an adjustment
    line (next-invoice adjustment) pass XSD and the EN 16931 rules."""
    from hourbridge.formats.timefile import TimeFile

    hb = loaded
    small_bundle["entities"][0]["vat_id"] = "DE811907980"  # BT-31 for standard-rated lines
    load_bundle(small_bundle)

    def revise(row: str, name: str) -> None:
        body = f"external_id,employee,project,task,date,hours,notes,revision\n{row}\n"
        hb.handle(c.IngestTimeEntries("harvest", TimeFile.from_bytes(name, "text/csv",
                                                                   body.encode())))
        [proposal] = hb.queries.corrections()
        hb.handle(c.ApplyCorrection(proposal["id"], "controller"))

    ingest([("h1", "E1", "P1", "DEV", "2026-08-10", "1", "design"),
            ("h2", "E1", "P1", "DEV", "2026-08-20", "2", "build")])
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    hb.handle(c.RunBilling(date(2026, 8, 31)))
    hb.handle(c.IssueInvoices(all_drafts=True))
    revise("h2,E1,P1,DEV,2026-08-20,3,build,2", "r2.csv")  # credit note of h2's 2 h
    small_bundle["contracts"][0]["correction_policy"] = "next_invoice_adjustment"
    load_bundle(small_bundle)
    revise(f"h1,E1,P1,DEV,2026-08-10,{hours},design,2", "r3.csv")  # +/-0.5 h adjusted
    hb.handle(c.RunBilling(date(2026, 8, 31)))
    hb.handle(c.IssueInvoices(all_drafts=True))
    documents = [i for i in hb.queries.invoices() if i["number"]]
    assert [(i["kind"], i["net"]) for i in documents] == [
        ("invoice", "480.00"), ("credit_note", "330.00"), ("invoice", net)]
    for inv in documents:
        record = hb.queries.einvoice_data(inv["id"])
        assert record is not None
        for render in (render_ubl, render_cii):
            check(validator.validate(render(from_record(record))))
    with pytest.raises(Conflict) as err:  # it corrects an earlier invoice: credit it instead
        hb.handle(c.VoidInvoice(documents[2]["id"], "finance", "withdrawn"))
    assert err.value.code == "invoice_has_corrections"
