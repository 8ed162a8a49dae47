"""Write-ups and write-downs: billable quantity changed by a person, with a reason, before the
work is billed. Worked time stays as recorded; the change and its value are kept and booked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.commands import AdjustBillable
from hourbridge.domain.contracts import accrues_wip
from hourbridge.domain.fx import translate
from hourbridge.domain.intake import MAX_SECONDS_PER_ENTRY
from hourbridge.domain.ledger import adjustment_entry
from hourbridge.domain.localday import posting_day
from hourbridge.domain.money import round_money, time_amount
from hourbridge.domain.pricing import price_entry
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .deps import Collaborators
from .journal import publish_journal
from .ports.entries import EntrySelection
from .ports.uow import UnitOfWork


@dataclass
class AdjustmentReport:
    id: int
    entry: int
    before_seconds: int
    after_seconds: int
    wip_delta: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "entry": self.entry, "before_seconds": self.before_seconds,
                "after_seconds": self.after_seconds,
                "wip_delta": None if self.wip_delta is None else str(self.wip_delta)}


def adjust_billable(cmd: AdjustBillable, uow: UnitOfWork, now: datetime,
                    deps: Collaborators) -> AdjustmentReport:
    if not cmd.reason.strip():
        raise InvalidInput("an adjustment needs a reason")
    if not 0 <= cmd.billable_seconds <= MAX_SECONDS_PER_ENTRY:
        raise InvalidInput("billable time must be between 0 and 24 hours")
    with uow:
        row = next(uow.entries.select(EntrySelection(ids=(cmd.entry_id,))), None)
        if row is None:
            raise NotFound("time entry", cmd.entry_id)
        if not row.billable:
            raise Conflict(f"entry {row.id} is not billable")
        if row.billing != "unbilled" or row.billed_seconds or row.written_off_seconds:
            raise Conflict(f"entry {row.id} is {row.billing}: billed work is corrected by a "
                           "credit note, not adjusted")
        wip: Decimal | None = None
        delta: Decimal | None = None
        md = uow.masterdata.snapshot()
        contract = md.contracts.get(row.contract) if row.contract else None
        if row.approval == "approved" and (contract is None
                                           or accrues_wip(contract, row.work_date)):
            decision = price_entry(row, md, RateBook(md))
            if isinstance(decision, Problem):
                raise InvalidInput(f"entry {row.id} cannot be priced: {decision.message}")
            wip = time_amount(cmd.billable_seconds, decision.rate, decision.currency)
            delta = round_money(wip - (row.wip_amount or Decimal(0)), decision.currency)
        adjustment_id = uow.entries.adjust(row.id, row.billable_seconds, cmd.billable_seconds,
                                           wip, delta, cmd.reason, cmd.actor, now)
        if delta:
            assert wip is not None and row.contract is not None
            currency = md.contracts[row.contract].currency
            entity = md.entities[row.entity]
            # translated at the rate the entry's WIP was booked at: the difference of the
            # translated values, so the entry's WIP stays exactly its translated amount
            rate = row.wip_fx_rate or Decimal(1)
            functional = (translate(wip, rate, entity.currency)
                          - translate(row.wip_amount or Decimal(0), rate, entity.currency))
            key = f"adjustment:{row.entity}:{adjustment_id}"
            journal = adjustment_entry(
                key, entity, currency,
                posting_day(md, row.entity, now),
                md.projects[row.project].customer, row.project, delta,
                f"{'write-up' if delta > 0 else 'write-down'} of entry {row.id}",
                functional, rate)
            publish_journal(uow, key, f"adjustment/{adjustment_id}", journal, now)
        uow.commit()
    return AdjustmentReport(adjustment_id, row.id, row.billable_seconds,
                            cmd.billable_seconds, delta)
