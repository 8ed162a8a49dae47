"""The timesheet attachment (issue 17, item 4): where the contract asks for it, the e-invoice
embeds a CSV of the entries billed as an additional supporting document (BG-24) in UBL and
CII, and both still pass the XSDs and the EN 16931 rules with 0 failed (``support.einvoice``).
"""

from __future__ import annotations

import base64
import csv
import io
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.domain.einvoice import DocumentKind, render_cii, render_ubl
from hourbridge.domain.einvoice.timesheet import timesheet_attachment
from hourbridge.formats.timefile import TimeFile
from support.einvoice import NS, Validator, check, text

from .test_einvoice import export_invoice, vat_case_bundle
from .test_einvoice_documents import CREDITED, document

AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
ROWS = [
    ("t1", "E1", "P1", "DEV", "2026-08-10", "1.10", 'design, "phase 1"'),  # ACME: S
    ("t2", "E2", "P1", "DEV", "2026-08-20", "0.5", "test\nand fix"),
    ("t3", "E1", "P2", "DEV", "2026-08-11", "2", "audit"),  # LUMIERE: AE, no attachment
]




@pytest.fixture
def invoices(hb: Hourbridge, load_bundle: Any, cli_db: Path) -> dict[str, Any]:
    """ACME's contract asks for the timesheet at entry detail; LUMIERE's does not."""
    bundle = vat_case_bundle()
    bundle["contracts"][0].update(timesheet_attachment=True, detail="entry")
    load_bundle(bundle)
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # notes with a comma, quotes and a line break, quoted
    writer.writerows([("external_id", "employee", "project", "task", "date", "hours", "notes"),
                      *ROWS])
    payload = TimeFile.from_bytes("t.csv", "text/csv", out.getvalue().encode())
    assert hb.handle(c.IngestTimeEntries("harvest", payload)).accepted == len(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", date_to=date(2026, 8, 31)))
    hb.handle(c.RunBilling(date(2026, 8, 31)))
    hb.handle(c.IssueInvoices(all_drafts=True, issue_date=date(2026, 9, 1)))
    return {i["customer"]: i for i in hb.queries.invoices(status="issued")}


def _csv(blob: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(base64.b64decode(blob).decode("utf-8"), newline="")))


def test_the_timesheet_rides_in_both_syntaxes_and_both_stay_valid(
        hb: Hourbridge, invoices: dict[str, Any], validator: Validator, cli_db: Path) -> None:
    inv = invoices["ACME"]
    expected = [["date", "person", "project", "task", "hours", "notes"],
                ["2026-08-10", "E1", "P1", "DEV", "1.25", 'design, "phase 1"'],
                ["2026-08-20", "E2", "P1", "DEV", "0.50", "test\nand fix"]]
    ubl = export_invoice(inv["id"], "ubl", cli_db)
    check(validator.validate(ubl))
    [ref] = ET.fromstring(ubl).findall("cac:AdditionalDocumentReference", NS)
    assert text(ubl, "cac:AdditionalDocumentReference/cbc:ID") == ["DE-000001-timesheet"]
    blob = ref.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS)
    assert blob is not None
    assert (blob.get("mimeCode"), blob.get("filename")) == ("text/csv",
                                                            "timesheet-DE-000001.csv")
    assert _csv(blob.text or "") == expected
    raw = base64.b64decode(blob.text or "")
    assert raw.count(b"\r\n") == 3 and b'"design, ""phase 1"""' in raw  # RFC 4180 quoting
    children = [el.tag.split("}")[1] for el in ET.fromstring(ubl)]
    assert children.index("AdditionalDocumentReference") == children.index(
        "ContractDocumentReference") + 1

    cii = export_invoice(inv["id"], "cii", cli_db)
    check(validator.validate(cii))
    doc = f"{AGREEMENT}/ram:AdditionalReferencedDocument"
    assert text(cii, f"{doc}/ram:IssuerAssignedID") == ["DE-000001-timesheet"]
    assert text(cii, f"{doc}/ram:TypeCode") == ["916"]
    [attached] = ET.fromstring(cii).findall(f"{doc}/ram:AttachmentBinaryObject", NS)
    assert (attached.get("mimeCode"), attached.get("filename")) == (
        "text/csv", "timesheet-DE-000001.csv")
    assert _csv(attached.text or "") == expected

    # the hours add up to what the invoice bills, line by line
    stored = hb.queries.invoice(inv["id"])
    assert stored is not None
    assert sum(float(r[4]) for r in expected[1:]) == sum(
        float(ln["quantity_hours"]) for ln in stored["lines"])


def test_no_attachment_where_the_contract_does_not_ask_nor_on_credit_notes(
        hb: Hourbridge, invoices: dict[str, Any], validator: Validator, cli_db: Path) -> None:
    plain = export_invoice(invoices["LUMIERE"]["id"], "ubl", cli_db)
    assert text(plain, "cac:AdditionalDocumentReference/cbc:ID") == []
    note = hb.handle(c.IssueCreditNote(invoices["ACME"]["id"], actor="fin", reason="rate",
                                       issue_date=date(2026, 9, 2)))
    for fmt in ("ubl", "cii"):
        xml = export_invoice(note.id, fmt, cli_db)
        check(validator.validate(xml))
        assert b"AdditionalDocumentReference" not in xml
        assert b"AdditionalReferencedDocument" not in xml


@pytest.mark.parametrize("render", [render_ubl, render_cii], ids=["ubl", "cii"])
def test_an_attachment_on_a_credit_note_and_with_a_contract_stays_in_schema_order(
        validator: Validator, render: Any) -> None:
    """UBL's CreditNote puts cac:AdditionalDocumentReference between the contract and the
    statement references, unlike Invoice; both documents, with every neighbour present."""
    sheet = timesheet_attachment("DE-000002", [
        {"work_date": "2026-08-20", "employee": "E1", "project": "P1", "task": "",
         "seconds": 1800, "notes": ""}])
    for doc in (document(contract="K1", purchase_order="PO-1", attachments=(sheet,)),
                document(number="DE-000002", kind=DocumentKind.CREDIT_NOTE, contract="K1",
                         billing_reference=CREDITED, attachments=(sheet, sheet))):
        check(validator.validate(render(doc)))
