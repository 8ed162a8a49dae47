"""The billing run for time and materials: approved, unbilled, billable entries through a date
become draft invoices (one per contract and month) whose lines link to the exact entries.

Entries move unbilled -> on_draft in the same transaction that writes the drafts, so a second
run finds nothing to bill twice. ``dry_run`` computes the same drafts and writes nothing. A run
that bills nothing leaves no trace (no billing-run record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hourbridge.domain.billing import (
    BillableItem,
    ChargeLine,
    DraftInvoice,
    DraftLine,
    LineLink,
    build_drafts,
    period_of,
)
from hourbridge.domain.commands import RunBilling
from hourbridge.domain.contracts import (
    CAP_WRITE_DOWN,
    EXPENSE,
    CapItem,
    Drawdown,
    apply_cap,
    bills_hours,
    draw_down,
    due_charges,
    settleable_months,
    version_for,
)
from hourbridge.domain.corrections import AdjustmentLine
from hourbridge.domain.holds import Hold, HoldBook
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Approval, Billing, Cap, Contract, ExpenseBilling
from hourbridge.domain.money import hours, round_money, time_amount
from hourbridge.domain.problems import Problem
from hourbridge.domain.proposals import diff_proposals, proposal_key
from hourbridge.domain.rating import RateBook, RateDecision
from hourbridge.domain.tax import invoice_tax
from hourbridge.domain.validation import role_on

from .approval import price_entry
from .corrections import adjustment_lines
from .ports import EntryRow, EntrySelection, ExpenseRow, NewException, UnitOfWork


@dataclass
class BillingReport:
    through: str
    dry_run: bool
    run_id: int | None = None
    invoices: list[dict[str, Any]] = field(default_factory=list)
    entries_billed: int = 0
    held: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    entries_covered: int = 0
    settlements: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        totals: dict[str, Decimal] = {}
        for inv in self.invoices:
            cur = inv["currency"]
            totals[cur] = totals.get(cur, Decimal(0)) + Decimal(inv["total"])
        return {"through": self.through, "dry_run": self.dry_run, "run_id": self.run_id,
                "invoices_created": 0 if self.dry_run else len(self.invoices),
                "invoices": self.invoices, "entries_billed": self.entries_billed,
                "entries_held": self.held, "entries_covered_by_fees": self.entries_covered,
                "retainer_months_settled": self.settlements,
                "changes_since_last_run": self.changes,
                "totals": {k: str(v) for k, v in sorted(totals.items())},
                "skipped": self.skipped}


def _summary(draft: DraftInvoice, invoice_id: int | None, tax: Any) -> dict[str, Any]:
    return {
        "id": invoice_id, "entity": draft.entity, "contract": draft.contract,
        "customer": draft.customer, "period": draft.period, "currency": draft.currency,
        "lines": len(draft.lines), "entries": len(draft.entry_ids), "net": str(draft.net),
        "tax": str(tax.amount), "total": str(draft.net + tax.amount),
    }


def _billable_items(rows: Iterable[EntryRow], md: MasterData, rates: RateBook,
                    holds: HoldBook, report: BillingReport) -> list[BillableItem]:
    items: list[BillableItem] = []
    for row in rows:
        # nothing open: already billed in full, except work rounded to zero billable seconds,
        # which still goes on its invoice (at 0 h) so it is accounted for, not left unbilled
        if row.open_seconds < 0 or (row.open_seconds == 0
                                    and row.billing != Billing.UNBILLED.value):
            continue
        if holds:
            customer = md.projects[row.project].customer
            hold = holds.holding(row.id, row.project, row.contract,
                                 md.customer_chain(customer))
            if hold is not None:
                report.held += 1
                report.skipped.append({"id": row.id, "reason": "on_hold", "hold": hold.id,
                                       "message": hold.describe()})
                continue
        decision = price_entry(row, md, rates)
        if isinstance(decision, Problem):
            report.skipped.append({"id": row.id, "reason": decision.code,
                                   "message": decision.message})
            continue
        assert row.contract is not None  # price_entry refused entries without contract
        items.append(BillableItem(
            entry_id=row.id, contract=row.contract, entity=row.entity,
            customer=md.contracts[row.contract].customer, currency=decision.currency,
            work_date=row.work_date, project=row.project, task=row.task,
            role=role_on(md, row.employee, row.project, row.work_date),
            billable_seconds=row.open_seconds, decision=decision,
        ))
    return items


RETAINER_RULE = "retainer_included"


@dataclass
class ContractPlan:
    """What one contract bills in a run: drafts, entries a fee covers, months it settles."""

    drafts: list[DraftInvoice]
    covered: list[int] = field(default_factory=list)
    settlements: list[Drawdown] = field(default_factory=list)
    over_cap: list[int] = field(default_factory=list)  # entries held by a hold cap
    not_billable: list[int] = field(default_factory=list)  # expenses the contract keeps


def _period_draft(drafts: dict[str, DraftInvoice], contract: Contract, period: str
                  ) -> DraftInvoice:
    draft = drafts.get(period)
    if draft is None:
        draft = DraftInvoice(contract.id, contract.entity, contract.customer, contract.currency,
                             period)
        drafts[period] = draft
    return draft


def _drawdown_line(contract: Contract, draw: Drawdown, items: dict[int, BillableItem]
                   ) -> DraftLine:
    first = next(iter(items.values()))
    version = version_for(contract, date.fromisoformat(f"{draw.period}-01")).version
    decision = RateDecision(Decimal(0), contract.currency, "retainer", draw.period,
                            RETAINER_RULE, "contract", version)
    line = DraftLine(first.project if len({i.project for i in items.values()}) == 1 else "",
                     "", "", decision, contract.currency, kind="retainer_hours",
                     charge_ref=draw.period)
    line.links = [LineLink(entry, seconds) for entry, seconds in draw.covered]
    return line


def plan_contract(contract: Contract, items: list[BillableItem], through: date,
                  uow: UnitOfWork, report: BillingReport,
                  charge_hold: Hold | None = None,
                  held_projects: frozenset[str] = frozenset(),
                  has_expenses: bool = True) -> ContractPlan:
    """Apply the contract's components to its billable items and due charges. A hold on the
    contract, its customer or one of its projects keeps the contract's fees waiting too; a
    project hold keeps that project's expenses waiting."""
    plan = ContractPlan([])
    hourly: list[BillableItem] = []
    for item in items:
        if bills_hours(contract, item.work_date):
            hourly.append(item)
        else:
            plan.covered.append(item.entry_id)
    extra_lines: dict[str, list[DraftLine]] = defaultdict(list)
    if contract.retainer is not None:
        hourly = _retainer(contract, hourly, through, uow, plan, extra_lines, report)
    write_downs: dict[str, Decimal] = {}
    if contract.cap is not None and hourly:
        hourly, write_downs, plan.over_cap = _cap(contract, contract.cap, hourly, uow, report)
    drafts = {d.period: d for d in build_drafts(hourly)}
    for period, lines in extra_lines.items():
        _period_draft(drafts, contract, period).lines[:0] = lines
    for period, down in sorted(write_downs.items()):
        draft = drafts[period]
        # never more than the period's hourly lines (rounded per line), so no total goes
        # below zero
        down = min(down, sum((ln.amount for ln in draft.lines), Decimal(0)))
        if down > 0:
            draft.charges.append(ChargeLine(
                CAP_WRITE_DOWN, period, f"Write-down to the {_cap_label(contract)}", -down,
                version_for(contract, date.fromisoformat(f"{period}-01")).version))
    charges = []
    if _has_terms(contract):
        charges = due_charges(contract, through, uow.contracts.achievements(contract.id),
                              set(uow.contracts.charge_states(contract.id)))
    for charge in charges:
        if charge_hold is not None:
            report.skipped.append({"id": None, "reason": "on_hold", "hold": charge_hold.id,
                                   "charge": f"{contract.id}/{charge.kind}/{charge.ref}",
                                   "message": charge_hold.describe()})
            continue
        _period_draft(drafts, contract, charge.period).charges.append(ChargeLine(
            charge.kind, charge.ref, charge.description, charge.amount,
            charge.contract_version))
    if not has_expenses:
        pass  # nothing approved and unbilled: no query per contract
    elif contract.expenses.billing is not ExpenseBilling.NOT_BILLABLE:
        # held_projects holds every project when the contract or its customer is held
        waiting = [e for e in uow.expenses.billable(contract.id, through)
                   if e.project not in held_projects]
        for period, line in expense_charges(contract, waiting):
            _period_draft(drafts, contract, period).charges.append(line)
    else:
        plan.not_billable = [e.id for e in uow.expenses.billable(contract.id, through)]
    plan.drafts = [drafts[p] for p in sorted(drafts)]
    return plan


def expense_charges(contract: Contract, expenses: list[ExpenseRow]
                    ) -> list[tuple[str, ChargeLine]]:
    """One line per month, project and category: the expenses at cost, or with the contract's
    markup, rounded once per line (half up)."""
    groups: dict[tuple[str, str, str], list[ExpenseRow]] = defaultdict(list)
    for e in expenses:
        groups[(period_of(e.spent_on), e.project, e.category)].append(e)
    markup = contract.expenses.markup_percent if (
        contract.expenses.billing is ExpenseBilling.MARKUP) else Decimal(0)
    out: list[tuple[str, ChargeLine]] = []
    for (period, project, category), rows in sorted(groups.items()):
        cost = sum((e.amount for e in rows), Decimal(0))
        amount = round_money(cost * (1 + markup / 100), contract.currency)
        how = f"at cost {cost}" if not markup else f"{cost} + {markup} % markup"
        out.append((period, ChargeLine(
            EXPENSE, category[:64], f"Expenses {project}: {category} ({len(rows)}, {how})",
            amount, version_for(contract, min(e.spent_on for e in rows)).version, project,
            tuple(e.id for e in rows))))
    return out


def _cap_label(contract: Contract) -> str:
    cap = contract.cap
    assert cap is not None
    parts = ([f"{cap.hours} h"] if cap.hours is not None else []) + (
        [f"{cap.amount} {contract.currency}"] if cap.amount is not None else [])
    return "not-to-exceed cap of " + " and ".join(parts)


def _retainer(contract: Contract, hourly: list[BillableItem], through: date, uow: UnitOfWork,
              plan: ContractPlan, extra_lines: dict[str, list[DraftLine]],
              report: BillingReport) -> list[BillableItem]:
    """Settle complete months: included (and rolled-in) hours draw down first, the rest is
    overage at rates. Work of a month not yet complete waits for its settlement; work of a
    month settled before (approved late) is overage."""
    assert contract.retainer is not None
    settled = uow.contracts.settled_months(contract.id)
    months = {period_of(m) for m in settleable_months(contract, through, set(settled))}
    by_month: dict[str, list[BillableItem]] = defaultdict(list)
    out: list[BillableItem] = []
    for item in hourly:
        period = period_of(item.work_date)
        if period in settled:
            out.append(item)
        elif period in months:
            by_month[period].append(item)
        else:
            report.skipped.append({"id": item.entry_id, "reason": "retainer_month_open",
                                   "message": f"retainer month {period} settles when complete"})
    rollover = 0
    for first in settleable_months(contract, through, set(settled)):
        period = period_of(first)
        previous = period_of(first - timedelta(days=1))
        rollover = settled.get(previous, rollover if previous in months else 0)
        work = sorted(by_month.get(period, []), key=lambda i: (i.work_date, i.entry_id))
        draw = draw_down(contract.retainer, period, rollover,
                         [(i.entry_id, i.billable_seconds) for i in work])
        rollover = draw.rollover_out_seconds
        plan.settlements.append(draw)
        items = {i.entry_id: i for i in work}
        if draw.covered:
            extra_lines[period].append(_drawdown_line(contract, draw, items))
        out += [replace(items[e], billable_seconds=s) for e, s in draw.overage]
    return out


def _cap(contract: Contract, cap: Cap, hourly: list[BillableItem], uow: UnitOfWork,
         report: BillingReport) -> tuple[list[BillableItem], dict[str, Decimal], list[int]]:
    """Apply the cap month by month in work order, so each month's invoice carries its own
    write-down and a hold stops everything after the first entry that does not fit."""
    used_seconds, used = uow.contracts.usage([contract.id])[contract.id]
    used_amount = round_money(used, contract.currency)  # NUMERIC(24, 8) reads back 8 places
    by_period: dict[str, list[BillableItem]] = defaultdict(list)
    for item in sorted(hourly, key=lambda i: (i.work_date, i.entry_id)):
        by_period[period_of(item.work_date)].append(item)
    billed: list[BillableItem] = []
    held: list[int] = []
    downs: dict[str, Decimal] = {}
    for period, items in sorted(by_period.items()):
        if held:  # work waits in order: nothing after a held entry bills
            held += [i.entry_id for i in items]
            continue
        outcome = apply_cap(cap, used_seconds, used_amount,
                            [CapItem(i.entry_id, i.billable_seconds, i.decision.rate)
                             for i in items], contract.currency)
        taken = set(outcome.billed)
        for i in items:
            if i.entry_id in taken:
                billed.append(i)
                used_seconds += i.billable_seconds
                used_amount += time_amount(i.billable_seconds, i.decision.rate,
                                           contract.currency)
        used_amount -= outcome.write_down
        held += outcome.held
        if outcome.write_down:
            downs[period] = outcome.write_down
    if held:
        report.skipped += [{"id": e, "reason": "over_cap",
                            "message": f"contract {contract.id}: beyond its {_cap_label(contract)}"}
                           for e in held]
        report.held += len(held)
    return billed, downs, held


def _mark_expenses(uow: UnitOfWork, invoice_id: int, draft: DraftInvoice,
                   now: datetime) -> None:
    lines = uow.invoices.charge_line_ids(invoice_id)
    pairs = [(e, lines[(c.kind, c.ref, c.project)]) for c in draft.charges
             for e in c.expense_ids]
    if pairs:
        uow.expenses.mark_billed(pairs, now)


def _flag_cap(uow: UnitOfWork, contract: Contract, held: list[int], now: datetime) -> None:
    """Work held by a cap is an exception for the contract's owner until the cap is raised
    (or its policy changed); a run that holds nothing resolves it."""
    where = f"contract {contract.id} cap"
    if not held:
        uow.exceptions.resolve("billing", where, now, "billing run")
        return
    uow.exceptions.add_open_once([NewException(None, "billing", None, Problem(
        "over_cap", f"{len(held)} approved entries exceed the {_cap_label(contract)}; raise "
        "the cap or switch it to write_down to bill them", where, "cap"),
        {"contract": contract.id, "entries": held[:100]})], now)


def _has_terms(contract: Contract) -> bool:
    return bool(contract.fee_schedule or contract.milestones or contract.retainer is not None)


@dataclass(frozen=True)
class _Scope:
    """Which contracts a run looks at, and which of them have expenses or corrections owed,
    found with one query each rather than one per contract."""

    contracts: list[str]
    with_expenses: set[str]
    owed: set[str]


def _contracts_to_bill(uow: UnitOfWork, md: MasterData, selection: EntrySelection) -> _Scope:
    with_terms = {k.id for k in md.contracts.values()
                  if (selection.entity is None or k.entity == selection.entity)
                  and _has_terms(k)}
    with_expenses = set(uow.expenses.contracts_with_billable(selection.date_to or date.max,
                                                             selection.entity))
    # contracts owing adjustments of applied corrections
    owed = set(uow.corrections.owed_contracts(selection.date_to or date.max, selection.entity))
    return _Scope(sorted(set(uow.entries.contracts(selection)) | with_terms | with_expenses
                         | owed), with_expenses, owed)


def run_billing(cmd: RunBilling, uow: UnitOfWork, now: datetime) -> BillingReport:
    """Bill contract by contract: memory holds one contract's entries, never the whole run."""
    report = BillingReport(cmd.through.isoformat(), cmd.dry_run)
    with uow:
        md = uow.masterdata.snapshot()
        rates = RateBook(md)
        holds = HoldBook(uow.holds.active())
        selection = EntrySelection(
            approval=(Approval.APPROVED.value,),
            billing=(Billing.UNBILLED.value, Billing.CREDITED.value),
            billable=True, date_to=cmd.through, entity=cmd.entity,
        )
        invoices = 0
        scope = _contracts_to_bill(uow, md, selection)
        projects_of: dict[str, list[str]] = defaultdict(list)
        for p in sorted(md.projects.values(), key=lambda p: p.code):
            if p.contract is not None:
                projects_of[p.contract].append(p.code)
        for contract_id in scope.contracts:
            # a concurrent run of this contract waits here, then reads what that one billed
            uow.locks.billing(contract_id)
            rows = uow.entries.select(replace(selection, contract=contract_id))
            items = _billable_items(rows, md, rates, holds, report)
            contract = md.contracts.get(contract_id)
            if contract is None:
                continue
            projects = projects_of[contract.id]
            chain = md.customer_chain(contract.customer)
            holding = {p: holds.holding(-1, p, contract.id, chain) for p in projects}
            held_projects = frozenset(p for p, h in holding.items() if h is not None)
            if holds.holding(-1, "", contract.id, chain) is not None:
                held_projects = frozenset(projects) | {""}
            charge_hold = holds.holding(-1, "", contract.id, chain) or next(
                (h for h in holding.values() if h is not None), None)
            plan = plan_contract(contract, items, cmd.through, uow, report, charge_hold,
                                 held_projects, contract_id in scope.with_expenses)
            if contract_id in scope.owed:
                adjustment_lines(uow, md, rates, contract_id, plan.drafts, cmd.through,
                                 report.skipped)
            plan.drafts.sort(key=lambda d: d.period)
            billed: dict[int, int] = {}  # entry id -> seconds the run's lines bill of it
            if not cmd.dry_run and contract.cap is not None:
                _flag_cap(uow, contract, plan.over_cap, now)
            for draft in plan.drafts:
                tax = invoice_tax(md.entities[draft.entity], md.customers[draft.customer],
                                  draft.net, draft.currency)
                where = f"contract {draft.contract} period {draft.period}"
                if isinstance(tax, Problem):
                    # no guess: the work stays unbilled and finance gets the reason
                    report.skipped += [{"id": i, "reason": tax.code, "message": tax.message}
                                       for i in draft.entry_ids]
                    plan.settlements = [s for s in plan.settlements if s.period != draft.period]
                    if not cmd.dry_run:
                        uow.exceptions.add_open_once([NewException(
                            None, "billing", None, Problem(tax.code, tax.message, where,
                                                           tax.field),
                            {"contract": draft.contract, "customer": draft.customer,
                             "period": draft.period})], now)
                    continue
                for line in draft.lines:
                    for link in line.links:
                        billed[link.entry_id] = billed.get(link.entry_id, 0) + link.seconds
                if not cmd.dry_run:  # what stopped this invoice before is fixed now
                    uow.exceptions.resolve("billing", where, now, "billing run")
                invoice_id = None
                if not cmd.dry_run:
                    if report.run_id is None:
                        report.run_id = uow.invoices.add_run(cmd.through, cmd.entity, now)
                    invoice_id = uow.invoices.add_draft(report.run_id, draft, tax, now)
                    _mark_expenses(uow, invoice_id, draft, now)
                    for line_no, line in enumerate(draft.lines, start=1):
                        if isinstance(line, AdjustmentLine):
                            uow.corrections.mark_adjusted(
                                line.corrections, uow.invoices.line_id(invoice_id, line_no))
                report.invoices.append(_summary(draft, invoice_id, tax))
                invoices += 1
            report.entries_billed += len(billed)
            report.entries_covered += len(plan.covered)
            if not cmd.dry_run:
                uow.entries.bill_open(sorted(billed.items()), now)
                uow.entries.set_billing(plan.covered, Billing.COVERED.value, now)
                uow.expenses.mark_not_billable(plan.not_billable, now)
                for d in plan.settlements:
                    uow.contracts.settle_month(
                        contract_id, d.period, d.included_seconds, d.rollover_in_seconds,
                        d.used_seconds, sum(s for _, s in d.overage), d.rollover_out_seconds,
                        d.expired_seconds, now)
            report.settlements += [{
                "contract": contract_id, "period": d.period,
                "included_hours": str(hours(d.included_seconds)),
                "rolled_in_hours": str(hours(d.rollover_in_seconds)),
                "used_hours": str(hours(d.used_seconds)),
                "overage_hours": str(hours(sum(s for _, s in d.overage))),
                "rolled_over_hours": str(hours(d.rollover_out_seconds)),
                "expired_hours": str(hours(d.expired_seconds))} for d in plan.settlements]
        proposals = {proposal_key(i["contract"], i["period"]): {
            "currency": i["currency"], "net": i["net"], "entries": str(i["entries"])}
            for i in report.invoices}
        report.changes = diff_proposals(uow.invoices.last_proposals(cmd.entity), proposals)
        if cmd.dry_run:
            uow.rollback()  # nothing billed; only the run itself is recorded, for the next diff
            report.run_id = uow.invoices.add_run(cmd.through, cmd.entity, now, dry_run=True)
        elif report.run_id is None:
            uow.commit()
            return report  # a run that bills nothing leaves no trace
        uow.invoices.finish_run(report.run_id, invoices, report.entries_billed, proposals)
        uow.commit()
    return report
