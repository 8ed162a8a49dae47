"""What one contract bills in a run, decided over its loaded state: hourly work at rates
(after its retainer and cap), fees, milestones and retainer fees due, and expenses.

The caller loads the contract's state (``ContractState``) before planning and persists the
plan after; nothing here reads or writes anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..contracts import Drawdown, bills_hours, due_charges
from ..fx import FxTable
from ..holds import Hold
from ..model import Contract, ExpenseBilling
from ..problems import Skip
from .cap import cap_contract, write_down_charge
from .drafts import BillableItem, ChargeLine, DraftInvoice, DraftLine, build_drafts
from .expenses import BillableExpense, expense_charges
from .retainer import settle_retainer


@dataclass(frozen=True, slots=True)
class ContractState:
    """What earlier runs left of a contract, as billing reads it. Only what the contract's
    terms use need be loaded: ``settled_months`` for a retainer, ``used_*`` for a cap,
    ``achievements`` and ``charges_billed`` for fees, milestones and retainer fees."""

    achievements: Mapping[str, date] = field(default_factory=dict)  # milestone -> achieved on
    charges_billed: frozenset[tuple[str, str]] = frozenset()  # (kind, ref) already invoiced
    settled_months: Mapping[str, int] = field(default_factory=dict)  # period -> rolled over
    used_seconds: int = 0  # what live invoices already billed against the cap
    used_amount: Decimal = Decimal(0)
    expenses: Sequence[BillableExpense] = ()  # approved, billable, unbilled, through the run
    # the rates expenses in another currency are converted at
    fx: FxTable = field(default_factory=lambda: FxTable(()))


@dataclass
class ContractPlan:
    """What one contract bills in a run: drafts, entries a fee covers, months it settles."""

    drafts: list[DraftInvoice]
    covered: list[int] = field(default_factory=list)
    settlements: list[Drawdown] = field(default_factory=list)
    over_cap: list[int] = field(default_factory=list)  # entries held by a hold cap
    not_billable: list[int] = field(default_factory=list)  # expenses the contract keeps
    skipped: list[Skip] = field(default_factory=list)  # what waits, and why


def has_terms(contract: Contract) -> bool:
    """Whether the contract bills anything but hours: fees, milestones or a retainer."""
    return bool(contract.fee_schedule or contract.milestones or contract.retainer is not None)


def _period_draft(drafts: dict[str, DraftInvoice], contract: Contract, period: str
                  ) -> DraftInvoice:
    draft = drafts.get(period)
    if draft is None:
        draft = DraftInvoice(contract.id, contract.entity, contract.customer, contract.currency,
                             period)
        drafts[period] = draft
    return draft


def plan_contract(contract: Contract, items: list[BillableItem], through: date,
                  state: ContractState, charge_hold: Hold | None = None,
                  held_projects: frozenset[str] = frozenset()) -> ContractPlan:
    """Apply the contract's components to its billable items and due charges. A hold on the
    contract, its customer or one of its projects keeps the contract's fees waiting too; a
    project hold keeps that project's expenses waiting (``held_projects`` holds every project
    and "" when the contract or its customer is held)."""
    plan = ContractPlan([])
    hourly: list[BillableItem] = []
    by_hour: dict[date, bool] = {}  # per work day: a contract's items share few
    for item in items:
        hourly_day = by_hour.get(item.work_date)
        if hourly_day is None:
            hourly_day = by_hour[item.work_date] = bills_hours(contract, item.work_date)
        if hourly_day:
            hourly.append(item)
        else:
            plan.covered.append(item.entry_id)
    extra_lines: dict[str, DraftLine] = {}
    if contract.retainer is not None:
        retained = settle_retainer(contract, hourly, through, state.settled_months)
        hourly, extra_lines = retained.hourly, retained.lines
        plan.settlements = retained.settlements
        plan.skipped += retained.skipped
    write_downs: dict[str, Decimal] = {}
    if contract.cap is not None and hourly:
        capped = cap_contract(contract, contract.cap, hourly, state.used_seconds,
                              state.used_amount)
        hourly, write_downs, plan.over_cap = capped.billed, capped.write_downs, capped.held
        plan.skipped += capped.skipped
    drafts = {d.period: d for d in build_drafts(hourly, contract.detail)}
    for period, line in extra_lines.items():
        _period_draft(drafts, contract, period).lines.insert(0, line)
    for period, down in sorted(write_downs.items()):
        down_line = write_down_charge(contract, drafts[period], down)
        if down_line is not None:
            drafts[period].charges.append(down_line)
    charges = []
    if has_terms(contract):
        charges = due_charges(contract, through, dict(state.achievements),
                              set(state.charges_billed))
    for charge in charges:
        if charge_hold is not None:
            plan.skipped.append(Skip.because(
                None, "on_hold", charge_hold.describe(), hold=charge_hold.id,
                charge=f"{contract.id}/{charge.kind}/{charge.ref}"))
            continue
        _period_draft(drafts, contract, charge.period).charges.append(ChargeLine(
            charge.kind, charge.ref, charge.description, charge.amount,
            charge.contract_version))
    if contract.expenses.billing is not ExpenseBilling.NOT_BILLABLE:
        waiting = [e for e in state.expenses if e.project not in held_projects]
        expense_lines, no_rate = expense_charges(contract, waiting, state.fx, through)
        for period, expense_line in expense_lines:
            _period_draft(drafts, contract, period).charges.append(expense_line)
        plan.skipped += no_rate
    else:
        plan.not_billable = [e.id for e in state.expenses]
    plan.drafts = [drafts[p] for p in sorted(drafts)]
    return plan
