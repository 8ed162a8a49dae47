"""Invoices and credit notes as documents through both surfaces: ``hourbridge export invoice
ID --format ubl|cii|pdf|facturx`` and ``GET /v1/invoices/{id}/document?format=...``.

The VAT-case firm of ``test_einvoice`` goes the whole path (one invoice per VAT category,
two entities, EUR and USD), one invoice is credited, one month stays a draft. Every issued
document is exported as Factur-X; the XML taken back out of the PDF is the CII export and
passes the Factur-X EN 16931 XSD and rules with 0 failed. The PDFs' text shows the number,
the totals and the customer as the read side has them.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge
from hourbridge.cli.export import export_app
from hourbridge.domain import commands as c
from support.api import api_client
from support.einvoice import Validator, require_module

from .test_einvoice import ROWS, vat_case_bundle

runner = CliRunner()
FORMATS = ("ubl", "cii", "pdf", "facturx")
MEDIA = {"ubl": "application/xml", "cii": "application/xml", "pdf": "application/pdf",
         "facturx": "application/pdf"}
SUFFIX = {"ubl": ".ubl.xml", "cii": ".cii.xml", "pdf": ".pdf", "facturx": ".facturx.pdf"}




@pytest.fixture
def firm(hb: Hourbridge, load_bundle: Any, ingest: Any, cli_db: Path) -> dict[str, Any]:
    """Customer id -> its issued invoice; ``credit`` the credit note of ACME's invoice;
    ``draft`` a draft; ``names`` customer id -> name."""
    bundle = vat_case_bundle()
    load_bundle(bundle)
    assert ingest(ROWS).accepted == len(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", date_to=date(2026, 8, 31)))
    hb.handle(c.RunBilling(date(2026, 9, 30)))
    hb.handle(c.IssueInvoices(all_drafts=True))
    out: dict[str, Any] = {i["customer"]: i for i in hb.queries.invoices(status="issued")}
    hb.handle(c.IssueCreditNote(out["ACME"]["id"], "finance", "Hours of 2026-08-20 billed "
                                "at the wrong rate."))
    [credit] = [i for i in hb.queries.invoices() if i["kind"] == "credit_note"]
    assert hb.worker.drain().dead == 0
    hb.handle(c.ApproveEntries(actor="pm", date_from=date(2026, 9, 1)))
    hb.handle(c.RunBilling(date(2026, 9, 30)))
    out["draft"] = next(i for i in hb.queries.invoices(status="draft"))
    out["credit"] = credit
    out["names"] = {cust["id"]: cust["name"] for cust in bundle["customers"]}
    return out


def export(invoice_id: int, fmt: str, folder: Path) -> bytes:
    path = folder / f"doc-{invoice_id}{SUFFIX[fmt]}"
    result = runner.invoke(export_app, ["invoice", str(invoice_id), "--format", fmt,
                                        "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    return path.read_bytes()


def pdf_text(pdf: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def documents(firm: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for k, v in firm.items() if k not in ("draft", "names")]


def test_every_document_as_factur_x_carries_its_cii_and_passes_en16931(
        firm: dict[str, Any], cli_db: Path, validator: Validator) -> None:
    require_module("facturx")
    import facturx

    docs = documents(firm)
    assert {d["kind"] for d in docs} == {"invoice", "credit_note"}
    for doc in docs:
        pdf = export(doc["id"], "facturx", cli_db)
        assert pdf.startswith(b"%PDF-")
        name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
        assert name == "factur-x.xml"
        assert xml == export(doc["id"], "cii", cli_db)  # the same facts, byte for byte
        report = validator.validate(xml)
        assert report.schema_errors == [] and report.failed == [], report.explain()
        text = pdf_text(pdf)
        assert doc["number"] in text and firm["names"][doc["customer"]] in text


def test_pdf_of_invoice_and_credit_note_shows_number_totals_and_customer(
        firm: dict[str, Any], cli_db: Path) -> None:
    invoice, credit = firm["ACME"], firm["credit"]
    text = pdf_text(export(invoice["id"], "pdf", cli_db))
    assert "Invoice" in text and invoice["number"] in text
    assert firm["names"]["ACME"] in text
    for amount in ("net", "tax", "total"):
        assert invoice[amount] in text, amount
    text = pdf_text(export(credit["id"], "pdf", cli_db))
    assert "Credit note" in text and credit["number"] in text
    assert f"Credits invoice {invoice['number']}" in text
    assert "wrong rate" in text
    assert f"Credited amount\n {credit['total']} {credit['currency']}" in text


def test_cli_refuses_drafts_and_unknown_formats_without_writing(
        firm: dict[str, Any], cli_db: Path) -> None:
    target = cli_db / "draft.pdf"
    for fmt in ("pdf", "facturx"):
        result = runner.invoke(export_app, ["invoice", str(firm["draft"]["id"]), "-f", fmt,
                                            "-o", str(target)])
        assert result.exit_code == 2 and "only issued invoices" in result.stderr
    assert not target.exists()
    result = runner.invoke(export_app, ["invoice", str(firm["ACME"]["id"]), "-f", "docx"])
    assert result.exit_code == 2


def test_pdf_to_stdout_is_the_same_document(firm: dict[str, Any], cli_db: Path) -> None:
    """Through the whole command line (whose logging goes to stderr): stdout is the PDF."""
    from hourbridge.cli.app import app

    inv = firm["GLOBEX"]
    result = runner.invoke(app, ["export", "invoice", str(inv["id"]), "-f", "pdf"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == export(inv["id"], "pdf", cli_db)


def test_api_serves_every_format_with_its_media_type_and_file_name(
        hb: Hourbridge, firm: dict[str, Any], cli_db: Path) -> None:
    with api_client(hb) as client:
        for doc in (firm["INITECH"], firm["credit"]):
            for fmt in FORMATS:
                response = client.get(f"/v1/invoices/{doc['id']}/document",
                                      params={"format": fmt})
                assert response.status_code == 200, response.text
                assert response.headers["content-type"].split(";")[0] == MEDIA[fmt]
                assert response.headers["content-disposition"] == (
                    f'attachment; filename="{doc["number"]}{SUFFIX[fmt]}"')
                if fmt in ("ubl", "cii", "pdf"):  # Factur-X has a fresh timestamp
                    assert response.content == export(doc["id"], fmt, cli_db)
            text = pdf_text(client.get(f"/v1/invoices/{doc['id']}/document",
                                       params={"format": "pdf"}).content)
            assert doc["number"] in text and firm["names"][doc["customer"]] in text


def test_api_problems_for_unknown_draft_and_bad_format(
        hb: Hourbridge, firm: dict[str, Any]) -> None:
    with api_client(hb) as client:
        unknown = client.get("/v1/invoices/999999/document", params={"format": "pdf"})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        draft = client.get(f"/v1/invoices/{firm['draft']['id']}/document",
                           params={"format": "pdf"})
        assert draft.status_code == 409, draft.text
        assert draft.headers["content-type"] == "application/problem+json"
        assert draft.json()["code"] == "invoice_not_issued"
        bad = client.get(f"/v1/invoices/{firm['ACME']['id']}/document",
                         params={"format": "docx"})
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        spec = client.get("/openapi.json").json()
        operation = spec["paths"]["/v1/invoices/{invoice_id}/document"]["get"]
        assert set(operation["responses"]["200"]["content"]) == {"application/pdf",
                                                                 "application/xml"}


def test_every_demo_document_as_factur_x_and_pdf(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: Validator) -> None:
    """Every issued invoice and credit note of the demo firm (two entities, EUR, USD and CHF
    invoices): its Factur-X carries exactly its CII, which passes the XSD and the EN 16931
    rules, and its PDF shows its number and total."""
    require_module("facturx")
    import facturx

    from hourbridge.bootstrap import bootstrap
    from hourbridge.cli.app import app
    from hourbridge.config import Settings
    from hourbridge.documents import DocumentFormat, render_document
    from hourbridge.domain.einvoice import from_record, render_cii

    url = f"sqlite:///{tmp_path}/demo.db"
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["demo", "--json"]).exit_code == 0
    hb = bootstrap(Settings(database_url=url))
    try:
        issued = [i for i in hb.queries.invoices() if i["number"] and i["status"] != "void"]
        assert {i["kind"] for i in issued} == {"invoice", "credit_note"}
        for inv in issued:
            record = hb.queries.einvoice_data(inv["id"])
            assert record is not None
            doc = from_record(record)
            pdf = render_document(doc, DocumentFormat.FACTURX).content
            _, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
            assert xml == render_cii(doc)
            report = validator.validate(xml)
            assert report.schema_errors == [] and report.failed == [], report.explain()
            text = pdf_text(pdf)
            assert inv["number"] in text and inv["total"].lstrip("-") in text
    finally:
        hb.close()


def test_a_document_that_cannot_be_drawn_is_an_error_and_no_file(
        hb: Hourbridge, firm: dict[str, Any], cli_db: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The customer's name in a script the embedded typeface lacks (the renderer's own
    refusal, see the unit tests) reaches the CLI as exit 2 without a file and the API as a
    409 problem: never a blank PDF."""
    from dataclasses import replace

    import hourbridge.documents.rendering as rendering
    from hourbridge.domain.einvoice import Address, Party

    real = rendering.RENDERERS[rendering.DocumentFormat.PDF]
    monkeypatch.setitem(rendering.RENDERERS, rendering.DocumentFormat.PDF, lambda doc: real(
        replace(doc, buyer=Party("イニテック株式会社", Address(doc.buyer.address.country)))))
    target = cli_db / "initech.pdf"
    inv = firm["INITECH"]
    result = runner.invoke(export_app, ["invoice", str(inv["id"]), "-f", "pdf", "-o",
                                        str(target)])
    assert result.exit_code == 2 and "no glyph" in result.stderr
    assert not target.exists() and list(cli_db.glob(".*.tmp")) == []
    with api_client(hb) as client:
        response = client.get(f"/v1/invoices/{inv['id']}/document", params={"format": "pdf"})
    assert response.status_code == 409
    assert response.json()["code"] == "document_not_rendered"
