"""Invoices: list, show one with its lines and linked entries, issue drafts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Path, Query

from hourbridge.domain.commands import IssueInvoices, VoidInvoice
from hourbridge.domain.model import InvoiceStatus
from hourbridge.errors import NotFound
from hourbridge.formats.bundle import Code

from ..deps import After, HourbridgeDep, Limit, Offset, drain_later
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

router = APIRouter(prefix="/v1", tags=["invoices"], responses=problem_responses(422, 500))


@router.get("/invoices", response_model=list[Invoice], summary="List invoices",
            description="Invoice headers in id order; amounts are decimal strings.")
def list_invoices(
    hb: HourbridgeDep,
    status: Annotated[InvoiceStatus | None, Query(description="invoice status")] = None,
    entity: Annotated[Code | None, Query(description="legal entity code")] = None,
    kind: Annotated[Literal["invoice", "credit_note"] | None, Query()] = None,
    customer: Annotated[Code | None, Query(description="customer id")] = None,
    date_from: Annotated[dt.date | None, Query(description="first issue date")] = None,
    date_to: Annotated[dt.date | None, Query(description="last issue date")] = None,
    payment: Annotated[Literal["paid", "unpaid"] | None, Query(
        description="paid, or unpaid: an issued or posted invoice")] = None,
    after: After = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    return hb.queries.invoices(status=status.value if status else None, entity=entity,
                               kind=kind, customer=customer, date_from=date_from,
                               date_to=date_to, payment=payment, after=after, limit=limit,
                               offset=offset)


@router.get("/invoices/{invoice_id}", response_model=InvoiceDetail, summary="One invoice",
            responses=problem_responses(404),
            description="The invoice with its lines; each line says why its rate applies and "
            "links to the time entries it bills.")
def get_invoice(
    hb: HourbridgeDep,
    invoice_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="invoice id")],
) -> dict[str, Any]:
    invoice = hb.queries.invoice(invoice_id)
    if invoice is None:
        raise NotFound("invoice", invoice_id)
    return invoice


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
def issue_invoices(body: IssueIn, hb: HourbridgeDep, tasks: BackgroundTasks) -> dict[str, Any]:
    report = hb.handle(IssueInvoices(tuple(body.invoice_ids), body.all, body.entity,
                                     body.issue_date, body.actor))
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
    body: VoidIn, hb: HourbridgeDep, tasks: BackgroundTasks,
    invoice_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="invoice id")],
) -> dict[str, Any]:
    report = hb.handle(VoidInvoice(invoice_id, body.actor, body.reason, body.void_date))
    if report.journal_key:
        drain_later(tasks, hb)
    result: dict[str, Any] = report.as_dict()
    return result


@router.get("/invoice-sequences", response_model=list[SequenceCheck],
            summary="Check invoice number sequences",
            description="Per legal entity: numbers 1..N (N the counter) each used exactly "
            "once by an invoice, a credit note or a void; `gapless` says it holds.")
def invoice_sequences(hb: HourbridgeDep) -> list[dict[str, Any]]:
    return hb.queries.sequence_check()
