"""Invoices: list, show one with its lines and linked entries, issue drafts, and fetch an
issued one as a document (UBL, CII, PDF or Factur-X)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Path, Query, Response

from hourbridge.bootstrap import Hourbridge
from hourbridge.documents import DocumentFormat, render_document
from hourbridge.domain import einvoice
from hourbridge.domain.access import Principal
from hourbridge.domain.commands import IssueInvoices, VoidInvoice
from hourbridge.domain.model import InvoiceStatus
from hourbridge.errors import NotFound
from hourbridge.formats.bundle import Code

from ..auth import ActorDep, PrincipalDep
from ..deps import After, HourbridgeDep, Limit, Offset, drain_later
from ..entities import one_entity, visible_or_404
from ..pages import Cursor, Page, UpdatedSince, page_of, page_whole
from ..problems import problem_responses
from ..schemas.invoices import (
    Invoice,
    InvoiceDetail,
    IssueIn,
    IssueReport,
    SequenceCheck,
    VoidIn,
    VoidReport,
)
from ..security import requires, scoped

router = APIRouter(prefix="/v1", tags=["invoices"], responses=problem_responses(422, 500),
                   dependencies=[scoped("invoices:read", "invoices:issue", entities=True)])


@router.get("/invoices", response_model=Page[Invoice], summary="List invoices",
            description="Invoice headers and credit notes in id order; amounts are decimal "
            "strings. A page: `next_cursor` into `cursor`; `updated_since` keeps those changed "
            "(drafted, issued, voided, paid) since an instant.")
def list_invoices(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    status: Annotated[InvoiceStatus | None, Query(description="invoice status")] = None,
    entity: Annotated[Code | None, Query(description="legal entity code")] = None,
    kind: Annotated[Literal["invoice", "credit_note"] | None, Query()] = None,
    customer: Annotated[Code | None, Query(description="customer id")] = None,
    # `from`/`to` as everywhere (docs/GLOSSARY.md); Python needs other names for them
    date_from: Annotated[dt.date | None, Query(alias="from",
                                               description="first issue date")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to", description="last issue date")] = None,
    payment: Annotated[Literal["paid", "unpaid"] | None, Query(
        description="paid, or unpaid: an issued or posted invoice")] = None,
    updated_since: UpdatedSince = None,
    cursor: Cursor = None,
    after: After = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = hb.queries.invoices(status=status.value if status else None, entity=entity,
                               kind=kind, customer=customer, date_from=date_from,
                               date_to=date_to, payment=payment,
                               after=int(cursor) if cursor else after, limit=limit + 1,
                               offset=offset, updated_since=updated_since,
                               entities=principal.entities)
    return page_of(rows, limit, "id")


@router.get("/invoices/{invoice_id}", response_model=InvoiceDetail, summary="One invoice",
            responses=problem_responses(404),
            description="The invoice with its lines; each line says why its rate applies and "
            "links to the time entries it bills.")
def get_invoice(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    invoice_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="invoice id")],
) -> dict[str, Any]:
    invoice = hb.queries.invoice(invoice_id)
    if invoice is None:
        raise NotFound("invoice", invoice_id)
    visible_or_404(principal, "invoice", invoice_id, invoice["entity"])
    return invoice


DOCUMENT_CONTENT: dict[str, Any] = {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "application/xml": {"schema": {"type": "string"}},
}


@router.get(
    "/invoices/{invoice_id}/document", response_class=Response,
    summary="An issued invoice or credit note as a document",
    responses={200: {"description": "The document, as an attachment named after the "
                     "invoice number", "content": DOCUMENT_CONTENT},
               **problem_responses(404, 409)},
    description="`format=ubl`: UBL 2.1 Invoice or CreditNote; `cii`: UN/CEFACT CII in the "
    "Factur-X / ZUGFeRD EN 16931 profile (both `application/xml`, EN 16931); `pdf`: the "
    "document a person reads; `facturx`: Factur-X / ZUGFeRD PDF/A-3 showing the PDF and "
    "carrying the CII as `factur-x.xml` (both `application/pdf`). All four come from the "
    "same facts stored at issue. 404 for an unknown invoice; 409 `invoice_not_issued` for a "
    "draft or held invoice (no number yet), `invoice_void` for a voided one, "
    "`document_not_rendered` for a PDF that cannot be drawn as issued; 422 for another "
    "format.",
)
def invoice_document(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    invoice_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="invoice id")],
    fmt: Annotated[DocumentFormat, Query(alias="format", description="document format")],
) -> Response:
    record = hb.queries.einvoice_data(invoice_id)
    if record is None:
        raise NotFound("invoice", invoice_id)
    visible_or_404(principal, "invoice", invoice_id, record["invoice"]["entity"])
    rendered = render_document(einvoice.from_record(record), fmt)
    return Response(rendered.content, media_type=rendered.media_type, headers={
        "Content-Disposition": f'attachment; filename="{rendered.filename}"'})


@router.post(
    "/invoices/issue", response_model=IssueReport, summary="Issue draft invoices",
    responses=problem_responses(409),
    description="Issue the drafts named by `invoice_ids`, or every draft (of one `entity`) with "
    "`all: true`: each gets the next gapless number of its legal entity, its entries move to "
    "invoiced and the receivable is booked; the postings reach the ledger through the outbox "
    "right after the response. Naturally idempotent: issuing an invoice that is already "
    "issued (or does not exist) is a 409 problem and changes nothing; `all: true` again "
    "issues nothing. An issue date in a closed period is a 409 too.",
)
def issue_invoices(body: IssueIn, hb: HourbridgeDep, actor: ActorDep,
                   principal: PrincipalDep, tasks: BackgroundTasks) -> dict[str, Any]:
    _check_visible(hb, principal, body.invoice_ids)
    entity = one_entity(principal, body.entity) if body.all else body.entity
    report = hb.handle(IssueInvoices(tuple(body.invoice_ids), body.all, entity,
                                     body.issue_date, actor))
    if report.issued:
        drain_later(tasks, hb)
    result: dict[str, Any] = report.as_dict()
    return result


@router.post(
    "/invoices/{invoice_id}/void", response_model=VoidReport, summary="Void an invoice",
    responses=problem_responses(404, 409),
    description="Void a draft (no number is used; its entries bill again with the next run) "
    "or an issued invoice: it keeps its number and stays in the entity's sequence with "
    "status `void`, its issue posting is reversed by a balanced entry "
    "(`invoice-voided:ENTITY:NUMBER`, through the outbox), the WIP it relieved is restored "
    "and its entries bill again. 409 problems say why not and what to do instead: "
    "`invoice_credited`, `invoice_period_closed`, `invoice_has_corrections` (issue a credit "
    "note), `invoice_already_void`, `credit_note_not_voidable`, `period_closed`.",
)
def void_invoice(
    body: VoidIn, hb: HourbridgeDep, actor: ActorDep, principal: PrincipalDep,
    tasks: BackgroundTasks,
    invoice_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="invoice id")],
) -> dict[str, Any]:
    _check_visible(hb, principal, [invoice_id])
    report = hb.handle(VoidInvoice(invoice_id, actor, body.kept_reason(),
                                   body.void_date))
    if report.journal_key:
        drain_later(tasks, hb)
    result: dict[str, Any] = report.as_dict()
    return result


def _check_visible(hb: Hourbridge, principal: Principal, invoice_ids: list[int]) -> None:
    """Another entity's invoice is refused as an unknown one is (404)."""
    if principal.entities is None:
        return
    for invoice_id in invoice_ids:
        invoice = hb.queries.invoice(invoice_id)
        visible_or_404(principal, "invoice", invoice_id,
                       invoice["entity"] if invoice else None)


@router.get("/invoice-sequences", response_model=Page[SequenceCheck],
            dependencies=[requires("invoices:read", entities=True)],
            summary="Check invoice number sequences",
            description="Per legal entity: numbers 1..N (N the counter) each used exactly "
            "once by an invoice, a credit note or a void; `gapless` says it holds. `entity` "
            "checks one; a key limited to entities gets theirs only.")
def invoice_sequences(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    entity: Annotated[str | None, Query(max_length=64, description="one legal entity")]
    = None,
) -> dict[str, Any]:
    if entity is not None:
        visible_or_404(principal, "entity", entity, entity)
    return page_whole(hb.queries.sequence_check(
        principal.entities if entity is None else {entity}))
