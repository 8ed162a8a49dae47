"""Payments back from the ERPs: read the payment state of every invoice and credit note an ERP
holds (``erp payments pull``, or the worker's ``hourbridge.erp.payments.pull.v1`` job that
``erp payments pull --queue`` or a schedule queues) and record what was paid: on an invoice,
money received or a credit note applied to it; on a credit note, the invoices it was applied
to or the money refunded (each payment's ``via``: ``offset`` or ``payment``).

Idempotent: each payment is kept once, keyed by the ERP's own id for it (the unique key
makes two pulls at once record it once), so pulling again records nothing new. An invoice
the ERP says is fully paid moves to ``paid`` (a credit note too, once applied or refunded in
full); a partial payment leaves it issued with its paid and open amounts summed from the
payments (``invoices list``).

The ERP is asked outside any transaction (a slow ERP never holds a database lock); what it
answered is written in one transaction. A destination that fails is reported (and makes the
worker's job retry) without losing what the others answered.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from hourbridge.domain.commands import PullErpPayments, QueuePaymentsPull
from hourbridge.domain.erp import PaymentState
from hourbridge.errors import InvalidInput, Permanent, Retryable

from .deps import Collaborators
from .events import envelope
from .ports.uow import UnitOfWork

ERP_PAYMENTS_PULL = "hourbridge.erp.payments.pull.v1"


def pull_erp_payments(cmd: PullErpPayments, uow: UnitOfWork, now: datetime,
                      deps: Collaborators) -> dict[str, Any]:
    if deps.erps is None:
        raise InvalidInput("no ERP sinks in this process")
    with uow:
        if cmd.destination is not None and cmd.destination not in {
                p.destination for p in uow.erp.profiles()}:
            raise InvalidInput(f"no ERP profile for destination {cmd.destination!r}")
        docs = uow.erp.posted_documents(cmd.destination)
    answers: list[tuple[dict[str, Any], PaymentState]] = []
    failed: list[dict[str, Any]] = []
    for doc in docs:
        try:
            state = deps.erps.sink(doc["destination"]).payment_state(doc["kind"],
                                                                     str(doc["erp_id"]))
        except (Retryable, Permanent) as exc:
            failed.append({"destination": doc["destination"], "invoice": doc["invoice"],
                           "retryable": isinstance(exc, Retryable), "error": str(exc)})
            continue
        answers.append((doc, state))
    recorded = already = marked = 0
    with uow:
        for doc, state in answers:
            for payment in state.payments:
                if uow.erp.record_payment(doc["invoice"], doc["destination"], payment,
                                          doc["currency"], now):
                    recorded += 1
                else:
                    already += 1
            if state.state == "paid":  # a credit note too: applied or refunded in full
                marked += uow.erp.mark_paid(doc["invoice"])
        uow.commit()
    return {"destinations": sorted({d["destination"] for d in docs}), "documents": len(docs),
            "states": dict(sorted(Counter(s.state for _, s in answers).items())),
            "payments_recorded": recorded, "already_recorded": already,
            "marked_paid": marked, "failed": failed}


def queue_payments_pull(cmd: QueuePaymentsPull, uow: UnitOfWork, now: datetime,
                        deps: Collaborators) -> bool:
    """Queue a pull for the worker (a schedule's hook): one job per destination and
    ``slot`` (a schedule passes its run's time), so firing a slot twice queues once."""
    key = f"erp-payments-pull:{cmd.destination or '*'}:{cmd.slot or now.isoformat()}"
    data = {"destination": cmd.destination}
    with uow:
        added = uow.outbox.add(key, ERP_PAYMENTS_PULL, f"erp/{cmd.destination or '*'}/payments",
                               envelope(key, ERP_PAYMENTS_PULL, "payments", data, now), now)
        uow.commit()
    return added


def payments_job(event: dict[str, Any], run: Any) -> dict[str, Any]:
    """The worker's handler: the pull; a destination that could not answer retries the job
    (what the others answered is kept, and recorded once on the retry)."""
    report: dict[str, Any] = run(PullErpPayments(event["data"].get("destination")))
    if any(f["retryable"] for f in report["failed"]):
        raise _PullIncomplete(f"{len(report['failed'])} document(s) could not be read: "
                              f"{report['failed'][0]['error']}")
    return report


class _PullIncomplete(Retryable):
    code = "erp_unavailable"
