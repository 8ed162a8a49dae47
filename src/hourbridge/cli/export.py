"""``hourbridge export``: the journal for the accountants' tools, approved hours for payroll,
issued invoices as EN 16931 e-invoices (UBL 2.1 or Factur-X/ZUGFeRD CII), as a PDF or as a
Factur-X / ZUGFeRD PDF/A-3 with the CII embedded.

Registered in ``main.py`` with ``app.add_typer(export_app, name="export")``. Like every entry
point it talks only to the object ``bootstrap()`` returns (import-linter contract).
"""

from __future__ import annotations

import csv
import enum
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from hourbridge.documents.formats import DocumentFormat
from hourbridge.errors import InvalidInput, NotFound

from .options import checked_ids
from .output import err_console, session

export_app = typer.Typer(
    help="Exports: the journal for beancount or hledger, approved hours for payroll, "
         "invoices as e-invoices (UBL or CII), PDF or Factur-X.",
    no_args_is_help=True)


class JournalFormat(enum.StrEnum):
    BEANCOUNT = "beancount"
    HLEDGER = "hledger"


class PayrollFormat(enum.StrEnum):
    CSV = "csv"
    JSON = "json"


# The renderers, the e-invoice model and the documents (ReportLab, factur-x) are imported by
# the command that uses them: every other command, and `--help`, starts without them (issue 16).
if TYPE_CHECKING:
    from hourbridge.domain.ledger import JournalEntry
    from hourbridge.domain.model import Accounts

    Renderer = Callable[[Iterable[JournalEntry], Mapping[str, Accounts], Mapping[str, str]],
                        Iterator[str]]


def _renderer(fmt: JournalFormat) -> Renderer:
    from hourbridge.domain.exports import beancount, hledger

    renderers: dict[JournalFormat, Renderer] = {
        JournalFormat.BEANCOUNT: beancount.render_journal,
        JournalFormat.HLEDGER: hledger.render_journal,
    }
    return renderers[fmt]
# The only fields a payroll export carries (personal data is minimized: no names, notes, rates).
PAYROLL_FIELDS = ("employee", "entity", "period", "worked_hours", "worked_seconds",
                  "billable_worked_hours", "billable_worked_seconds",
                  "non_billable_worked_hours", "non_billable_worked_seconds", "entries")

OutOpt = Annotated[Path | None, typer.Option(
    "--out", "--output", "-o",
    help="File to write (replaced whole, only when complete); default stdout.")]


def _write(chunks: Iterable[str], out: Path | None) -> None:
    """Stream ``chunks`` to stdout, or to ``out`` through a temporary file renamed at the end,
    so a failed export never leaves a half-written file behind."""
    if out is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return

    def fill(fh: BinaryIO) -> None:
        for chunk in chunks:
            fh.write(chunk.encode("utf-8"))

    _replace(out, fill)


def _write_bytes(content: bytes, out: Path | None) -> None:
    """``content`` (a PDF or XML, made whole before anything is written) to stdout's bytes or
    to ``out``, as ``_write``."""
    if out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    _replace(out, lambda fh: fh.write(content))


def _replace(out: Path, fill: Callable[[BinaryIO], object]) -> None:
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fill(fh)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


JOURNAL_HELP = (
    "Write the built-in ledger's journal as a beancount or hledger file.\n\n"
    "Entries come in posting-date order with their journal key, entity and source, and each "
    "posting with its customer and project, as metadata. Accounts are named "
    "<Type>:<entity>:<Role>:<code> from each entity's chart mapping "
    "(Equity:<entity>:Unmapped:<code> for a code it does not map); amounts carry exactly the "
    "currency's minor units. A posting in a currency other than its entity's functional one "
    "goes to the account's <code>-<CUR> leaf with its functional amount as total price "
    "(@@), and an FX difference is written in the functional currency, so every "
    "transaction balances in the tool as in the ledger. The output passes bean-check, or "
    "hledger check -s ordereddates payees.")


@export_app.command("journal", help=JOURNAL_HELP)
def journal(
    fmt: Annotated[JournalFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="beancount or hledger.")],
    out: OutOpt = None,
) -> None:
    """The journal as a beancount or hledger file."""
    with session() as hb:
        counted = {"entries": 0}

        def entries() -> Iterator[JournalEntry]:
            for entry in hb.queries.journal_entries():
                counted["entries"] += 1
                yield entry

        _write(_renderer(fmt)(entries(), hb.queries.entity_accounts(),
                              hb.queries.entity_currencies()), out)
        if out is not None:
            err_console.print(f"wrote {counted['entries']} journal entries to {out} ({fmt})",
                              highlight=False)


PAYROLL_HELP = (
    "Approved worked hours per employee and month, for payroll.\n\n"
    "One row per employee, employing entity and month (YYYY-MM) of the work date, for work "
    "dates --from through --to: worked hours (2 decimals) and seconds, split billable and "
    "non-billable, and the number of entries. Only approved entries count; no names, notes, "
    "rates or amounts are exported.")


@export_app.command("payroll", help=PAYROLL_HELP)
def payroll(
    date_from: Annotated[str, typer.Option("--from", help="First work date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last work date (YYYY-MM-DD).")],
    entity: Annotated[str | None, typer.Option(
        help="Only employees of this legal entity (their employer).")] = None,
    fmt: Annotated[PayrollFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="csv or json.")] = PayrollFormat.CSV,
    out: OutOpt = None,
) -> None:
    """Approved worked hours per employee and month, for payroll."""
    with session() as hb:
        start, end = _date(date_from, "--from"), _date(date_to, "--to")
        if start > end:
            raise InvalidInput(f"--from {start.isoformat()} is after --to {end.isoformat()}")
        rows = [{k: r[k] for k in PAYROLL_FIELDS}
                for r in hb.queries.payroll_hours(start, end, entity)]
        _write([_payroll_text(rows, fmt)], out)
        if out is not None:
            err_console.print(f"wrote {len(rows)} payroll rows to {out} ({fmt})",
                              highlight=False)


def _payroll_text(rows: list[dict[str, Any]], fmt: PayrollFormat) -> str:
    if fmt is PayrollFormat.JSON:
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=PAYROLL_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _is_pdf(fmt: DocumentFormat) -> bool:
    return fmt.media_type == "application/pdf"


INVOICE_HELP = (
    "Write an issued invoice or credit note as an EN 16931 e-invoice, a PDF, or both in one "
    "file.\n\n"
    "ubl: UBL 2.1 (an Invoice, or a CreditNote for a credit note). cii: UN/CEFACT CII, the "
    "XML of Factur-X and ZUGFeRD in the EN 16931 profile (TypeCode 380, or 381 for a credit "
    "note). pdf: the document a person reads (seller, buyer, lines, VAT breakdown, totals, "
    "payment terms; a page header on every page of a long invoice). facturx: Factur-X 1.0 / "
    "ZUGFeRD 2 PDF/A-3 showing the PDF and carrying the CII as factur-x.xml.\n\n"
    "All four come from the same facts: lines are hours (unit HUR) at the net hourly rate or "
    "single fees, the VAT category (UNTDID 5305), rate, exemption reason and VATEX code are "
    "the ones stored on the invoice when it was made. A draft or held invoice has no number "
    "yet and is refused (exit 2, invoice_not_issued); so is a PDF that cannot be drawn "
    "(document_not_rendered): no file is written then.")


@export_app.command("invoice", help=INVOICE_HELP)
def invoice(
    invoice_id: Annotated[int, typer.Argument(
        help="Invoice id (hourbridge invoices list).", show_default=False)],
    fmt: Annotated[DocumentFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="ubl, cii, pdf or facturx.")],
    out: OutOpt = None,
) -> None:
    """An issued invoice as UBL, CII, PDF or Factur-X."""
    from hourbridge.documents import render_document
    from hourbridge.domain import einvoice

    with session() as hb:
        checked_ids([invoice_id], "invoice id")
        record = hb.queries.einvoice_data(invoice_id)
        if record is None:
            raise NotFound("invoice", invoice_id)
        if out is None and _is_pdf(fmt) and sys.stdout.isatty():
            raise InvalidInput(f"--format {fmt} is a PDF: name a file with --output, or "
                               "redirect stdout")
        document = einvoice.from_record(record)
        rendered = render_document(document, fmt)
        _write_bytes(rendered.content, out)
        if out is not None:
            what = document.kind.value.replace("_", " ")
            err_console.print(f"wrote {what} {document.number} to {out} ({fmt})",
                              highlight=False)
