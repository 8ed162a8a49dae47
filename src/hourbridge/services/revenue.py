"""`revenue run --period YYYY-MM`: recognise revenue on fees billed through deferred revenue
(fixed fees by percent complete, milestones on achievement, retainers straight-line) and
report, per contract and component, recognised, billed, deferred and unbilled amounts, all as
at the period's end: billed is what was invoiced (issued, less credit notes) by that day, so a
report of September run in November does not count October's installment.

A run posts at the period's last day. A period an entity has closed (lock date) is refused:
what changed since is corrected by the next open period's run, because every run books the
change of recognised-to-date, not the period's amount. Runs go forward: a period before one
already run for a contract is refused, so nothing is recognised twice or backdated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.commands import RunRevenue, ShowRevenueSchedule
from hourbridge.domain.contracts import month_end
from hourbridge.domain.fx import FxTable
from hourbridge.domain.fxpolicy import invoice_rate
from hourbridge.domain.ledger import recognition_entry
from hourbridge.domain.money import round_money
from hourbridge.domain.problems import Problem, Skip
from hourbridge.domain.revenue import FIXED_FEE, MILESTONES, RETAINER, effort_of, recognise
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .deps import Collaborators
from .journal import publish_journal
from .ports.uow import UnitOfWork

# charge kinds billed through deferred revenue, by the component they belong to
BILLED_AS = {"fee": FIXED_FEE, "milestone": MILESTONES, "retainer_fee": RETAINER}


@dataclass
class RevenueReport:
    period: str
    dry_run: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    journal_keys: list[str] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        totals: dict[str, dict[str, Decimal]] = {}
        for r in self.rows:
            t = totals.setdefault(r["currency"], {k: Decimal(0) for k in (
                "recognised_this_run", "recognised_to_date", "billed_to_date", "deferred",
                "unbilled")})
            for k in t:
                t[k] += Decimal(r[k])
        return {"period": self.period, "dry_run": self.dry_run,
                "billed_as_of": _period_end(self.period).isoformat(), "contracts": self.rows,
                "totals": {cur: {k: str(v) for k, v in t.items()}
                           for cur, t in sorted(totals.items())},
                "journal_keys": self.journal_keys, "skipped": [s.as_dict() for s in self.skipped]}


def _period_end(period: str) -> date:
    try:
        first = date.fromisoformat(f"{period}-01")
    except ValueError:
        raise InvalidInput(f"period {period!r} is not YYYY-MM") from None
    return month_end(first)


def run_revenue(cmd: RunRevenue, uow: UnitOfWork, now: datetime,
                deps: Collaborators) -> RevenueReport:
    end = _period_end(cmd.period)
    report = RevenueReport(cmd.period, cmd.dry_run)
    with uow:
        md = uow.masterdata.snapshot()
        if cmd.entity is not None and cmd.entity not in md.entities:
            raise InvalidInput(f"unknown entity {cmd.entity!r}")
        for code, entity in sorted(md.entities.items()):
            if cmd.entity in (None, code) and entity.lock_date is not None \
                    and end <= entity.lock_date:
                raise Conflict(
                    f"period {cmd.period} is closed for entity {code} (locked through "
                    f"{entity.lock_date.isoformat()}); run the first open period instead: "
                    f"its run books every change since")
        fx = FxTable(md.fx_rates.values())
        for k in sorted(md.contracts.values(), key=lambda k: k.id):
            if cmd.entity not in (None, k.entity) or not (
                    k.fee_schedule or k.milestones or k.retainer is not None):
                continue
            before = uow.contracts.recognitions(k.id)
            later = [p for _, p in before.values() if p > cmd.period]
            if later:
                raise Conflict(f"contract {k.id}: revenue is already run through {max(later)}; "
                               "runs go forward (a later run books any correction)")
            effort = effort_of(uow.contracts.effort(k.id, end), md.employees, k.currency)
            # billed as the period's end saw it: a later installment or credit is not in it
            billed: dict[str, Decimal] = {}
            for kind, amount in uow.contracts.billed_through(k.id, end).items():
                billed[BILLED_AS[kind]] = billed.get(BILLED_AS[kind], Decimal(0)) + amount
            entity = md.entities[k.entity]
            rate = invoice_rate(k, entity.currency, fx, end)
            if isinstance(rate, Problem):
                report.skipped.append(Skip(k.id, rate, subject_key="contract"))
                continue
            for rec in recognise(k, end, effort, uow.contracts.achievements(k.id)):
                prior = before.get(rec.component, (Decimal(0), ""))[0]
                delta = round_money(rec.recognised - prior, k.currency)
                key = (f"revenue:{k.entity}:{k.id}:{rec.component}:{cmd.period}:"
                       f"{rec.recognised}")
                if delta and not cmd.dry_run:
                    journal = recognition_entry(
                        key, entity, k.currency, end, k.customer, k.id, delta,
                        f"revenue {cmd.period} {k.id} {rec.component.replace('_', ' ')}: "
                        f"{rec.basis}", rate)
                    publish_journal(uow, key, f"revenue/{k.id}", journal, now)
                    uow.contracts.record_recognition(k.id, rec.component, cmd.period,
                                                     rec.recognised, delta, rec.basis, end,
                                                     key, now)
                    report.journal_keys.append(key)
                bill = round_money(billed.get(rec.component, Decimal(0)), k.currency)
                report.rows.append({
                    "contract": k.id, "entity": k.entity, "customer": k.customer,
                    "currency": k.currency, "component": rec.component, "basis": rec.basis,
                    "recognised_this_run": str(delta), "recognised_to_date": str(rec.recognised),
                    "billed_to_date": str(bill),
                    "deferred": str(round_money(max(Decimal(0), bill - rec.recognised),
                                                k.currency)),
                    "unbilled": str(round_money(max(Decimal(0), rec.recognised - bill),
                                                k.currency))})
        if cmd.dry_run:
            uow.rollback()
        else:
            uow.commit()
    return report


def revenue_schedule(query: ShowRevenueSchedule, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every run's recognition for a contract, in order: its revenue schedule to date."""
    contract_id = query.contract
    with uow:
        contract = uow.masterdata.snapshot().contracts.get(contract_id)
        if contract is None:
            raise NotFound("contract", contract_id)
        rows = uow.contracts.recognition_history(contract_id)

    def text(value: object) -> str:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):  # NUMERIC reads back with 8 places
            return str(round_money(value, contract.currency))
        return str(value)

    return [{k: text(v) for k, v in r.items()} for r in rows]
