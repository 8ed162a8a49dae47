"""``SqlInvoices``' statements on the hot paths of billing and issuing, built once with
their values as parameters: a run of a hundred entries, or a batch of a few dozen invoices,
paid more for building these statements and their cache keys than for running them (issue
16)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select, update

from . import tables as t

# a billing run's record
_br = t.billing_runs
ADD_RUN = insert(_br).returning(_br.c.id)
FINISH_RUN = update(_br).where(_br.c.id == bindparam("run_id")).values(
    invoices_created=bindparam("invoices"), entries_billed=bindparam("entries"),
    proposals=bindparam("standing", type_=_br.c.proposals.type))

_inv, _en = t.invoices, t.entities
FOUR_EYES = select(t.entity_policies.c.entity).where(t.entity_policies.c.four_eyes_issue)
RESERVE = (update(_en).where(_en.c.code == bindparam("entity_"))
            .values(last_invoice_number=_en.c.last_invoice_number + bindparam("count_"))
            .returning(_en.c.last_invoice_number))
ISSUE = update(_inv).where(_inv.c.id == bindparam("i"), _inv.c.status == "draft").values(
    status="issued", number=bindparam("n"), sequence=bindparam("s"),
    issue_date=bindparam("d"), due_date=bindparam("due"), issued_at=bindparam("at_"),
    updated_at=bindparam("at_"), issued_by=bindparam("by_"), fx_rate=bindparam("r"),
    snapshot=bindparam("snap"))


def _drafts(by_entity: bool, by_ids: bool) -> Any:
    stmt = select(_inv.c.id, _inv.c.entity, _inv.c.contract, _inv.c.customer,
                  _inv.c.currency, _inv.c.period, _inv.c.status, _inv.c.number,
                  _inv.c.issue_date, _inv.c.net, _inv.c.tax, _inv.c.total).where(
        _inv.c.status == "draft")
    if by_entity:
        stmt = stmt.where(_inv.c.entity == bindparam("entity_"))
    if by_ids:
        stmt = stmt.where(_inv.c.id.in_(bindparam("ids", expanding=True)))
    return stmt.order_by(_inv.c.id)


DRAFTS = {(e, i): _drafts(e, i) for e in (False, True) for i in (False, True)}
