"""The cloud ERP sinks read the ERPs' recorded payloads (``erp_samples/``, copies of
``/work/shared/samples``): each error body becomes the ERP's own message, F&O's 500 "Write
failed" a refusal, SAP's SOAP confirmation its document or its log; and what the sinks send
has the shape of the recorded requests."""

from __future__ import annotations

import base64
import csv
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx

from hourbridge.connectors.d365_fo.odata import describe as d365_describe
from hourbridge.connectors.erp_http import reference
from hourbridge.connectors.oracle_fusion.journal import COLUMNS, group_id, import_payload
from hourbridge.connectors.oracle_fusion.rest import describe as oracle_describe
from hourbridge.connectors.sap.odata import describe as sap_describe
from hourbridge.connectors.sap.soap import confirmation, envelope
from hourbridge.domain.erp import ErpDocument, ErpLine

SAMPLES = Path(__file__).with_name("erp_samples")
JOURNAL = ErpDocument("journal_entry", "hb:revenue:DE:2026-07", "1010", "SA", "EUR",
                      date(2026, 7, 31), (ErpLine("WIP accrual", "0012100000",
                                                  debit=Decimal("4860.00")),
                                          ErpLine("WIP accrual", "0041000000",
                                                  credit=Decimal("4860.00"))),
                      memo="WIP accrual July")


def _response(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, content=(SAMPLES / name).read_bytes())


def test_reference_is_deterministic_and_fits_sap_document_reference_id() -> None:
    ref = reference("hb:invoice-issued:DE:DE-000001")
    assert ref == reference("hb:invoice-issued:DE:DE-000001") and len(ref) == 16
    assert ref.startswith("HB") and ref != reference("hb:invoice-issued:DE:DE-000002")


def test_d365_write_failed_500_is_a_refusal_with_the_infolog() -> None:
    message, refused = d365_describe(_response(500, "d365.error.500.write_failed.json"))
    assert refused
    assert message.startswith("Write failed for table row of type 'LedgerJournalLineEntity'")
    assert "The value '130599' in field 'Account' is not found" in message
    message, refused = d365_describe(_response(429, "d365.error.429.body.json"))
    assert not refused and "high resource utilization" in message


def test_oracle_errors_in_framework_v4_and_as_text() -> None:
    assert oracle_describe(_response(400, "oracle.error.400.framework_v4.json")) == (
        "The value of the attribute BillToCustomerNumber isn't valid. (AR-XXXXXX) "
        "[/receivablesInvoices/BillToCustomerNumber]", False)
    assert oracle_describe(_response(400, "oracle.error.400.default_text.txt")) == (
        "An invalid value was specified for BillToCustomerNumber: 1009. (AR-XXXXXX)", False)


def test_sap_odata_errors_in_both_shapes() -> None:
    assert sap_describe(_response(400, "sap.error.odata_v2.json")) == (
        "V1/112: Sold-to party 10100099 not maintained for sales area 1010 10 00", False)
    assert sap_describe(_response(400, "sap.error.odata_v4.json")) == (
        "SD_BIL/012: Document 10000012 is already being processed", False)


def test_sap_confirmation_gives_the_document_or_the_log() -> None:
    ok = confirmation((SAMPLES / "sap.journalEntry.post.sync.response.success.xml")
                      .read_bytes())
    assert ok[:3] == ("0100000321", "1010", "2024")
    failed = confirmation((SAMPLES / "sap.journalEntry.post.sync.response.error.xml")
                          .read_bytes())
    assert failed[0] == "0000000000"
    assert "Account 12100000 does not exist in company code 1010" in failed[3]


def _paths(element: ET.Element, prefix: str = "") -> set[str]:
    here = f"{prefix}/{element.tag}"
    return {here}.union(*(_paths(child, here) for child in element))


def test_sap_envelope_has_the_recorded_request_shape() -> None:
    ours = ET.fromstring(envelope(JOURNAL, reference(JOURNAL.external_id), "CC0000000044"))
    recorded = ET.fromstring((SAMPLES / "sap.journalEntry.post.sync.request.xml").read_bytes())
    # the recorded request also assigns profit and cost centres: we post none
    assert _paths(ours) == {p for p in _paths(recorded) if "AccountAssignment" not in p}
    amounts = [(i.findtext("DebitCreditCode"), i.findtext("AmountInTransactionCurrency"))
               for i in ours.iter("Item")]
    assert amounts == [("S", "4860.00"), ("H", "-4860.00")]  # credit negative, as recorded
    assert ours.findtext(".//DocumentReferenceID") == reference(JOURNAL.external_id)


def test_oracle_import_payload_zips_exactly_gl_interface_balanced() -> None:
    payload = import_payload(JOURNAL, ledger_id="300000046975971", data_access_set="1",
                             source="Hourbridge", batch="HBX", created=date(2026, 8, 1))
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(payload["DocumentContent"])))
    assert archive.namelist() == ["GlInterface.csv"]
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in csv.reader(
        io.StringIO(archive.read("GlInterface.csv").decode()))]
    assert sum(Decimal(r["ENTERED_DR"] or 0) - Decimal(r["ENTERED_CR"] or 0)
               for r in rows) == 0
    assert {r["GROUP_ID"] for r in rows} == {str(group_id(JOURNAL.external_id))}
    assert payload["ParameterList"].split(",")[3] == str(group_id(JOURNAL.external_id))
    assert {r["ACCOUNTING_DATE"] for r in rows} == {"2026/07/31"}
