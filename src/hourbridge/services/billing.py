"""The billing run for time and materials: approved, unbilled, billable entries through a date
become draft invoices (one per contract and month) whose lines link to the exact entries.

Entries move unbilled -> on_draft in the same transaction that writes the drafts, so a second
run finds nothing to bill twice. ``dry_run`` computes the same drafts and writes nothing. A run
that bills nothing leaves no trace (no billing-run record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import Any

from hourbridge.domain.billing import BillableItem, DraftInvoice
from hourbridge.domain.billing.cap import cap_label
from hourbridge.domain.billing.plan import ContractPlan, ContractState, has_terms, plan_contract
from hourbridge.domain.commands import RunBilling
from hourbridge.domain.contracts import Drawdown
from hourbridge.domain.fx import FxTable
from hourbridge.domain.holds import Hold, HoldBook
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Approval, Billing, Contract
from hourbridge.domain.money import hours
from hourbridge.domain.per_snapshot import PerSnapshot
from hourbridge.domain.pricing import PriceBasis, price_entry
from hourbridge.domain.problems import Problem, Skip
from hourbridge.domain.rating import RateBook, RateDecision
from hourbridge.domain.tax import invoice_tax
from hourbridge.domain.validation import role_on

from .billing_changes import standing_changes
from .billing_report import BillingReport, idle_contracts, why_nothing
from .billing_writer import DraftWriter, draft_location
from .correction_lines import adjustment_lines
from .deps import Collaborators
from .ports import EntrySelection, NewException, UnitOfWork
from .ports.entries import OpenEntry, StoredPrice


def _stored(p: StoredPrice, contract: str, project: str, basis: PriceBasis,
            decisions: dict[int, tuple[StoredPrice, tuple[str, RateDecision]]]
            ) -> tuple[str, RateDecision] | None:
    """The role and rate decision approval kept (``p``) for work of ``contract`` on
    ``project``, while its basis still holds (``domain.pricing.PriceBasis``); None: master
    data moved since. ``decisions`` keeps the decision made of each stored price (the store
    shares one ``StoredPrice`` between entries priced alike), so each is built once per run,
    not once per entry; keyed by identity, with the price kept beside it so the key stays its
    own."""
    if p.basis != basis.of(contract, project):
        return None
    known = decisions.get(id(p))
    if known is None or known[0] is not p:
        known = decisions[id(p)] = (p, (p.role, RateDecision(
            p.rate, p.currency, p.card, p.row, p.rule, p.scope, p.contract_version)))
    return known[1]


def _billable_items(rows: Iterable[OpenEntry], md: MasterData, rates: RateBook,
                    holds: HoldBook, report: BillingReport, basis: PriceBasis
                    ) -> list[BillableItem]:
    items: list[BillableItem] = []
    # a contract's entries share few (employee, project, day)s and (.., task)s: each role is
    # looked up once (pricing and the line both need it), each rate decided once
    roles: dict[tuple[str, str, date], str] = {}
    priced: dict[tuple[str, str, str, date], tuple[str, RateDecision]] = {}
    decisions: dict[int, tuple[StoredPrice, tuple[str, RateDecision]]] = {}
    # whether a stored price still holds, per stored price (by identity, the price kept
    # beside it) and the (contract, project) it is for: asked once each, not once per entry
    holding: dict[tuple[int, str, str],
                  tuple[StoredPrice, tuple[str, RateDecision] | None]] = {}
    customers: dict[str, str] = {}  # contract -> its customer
    unbilled = Billing.UNBILLED.value
    reused = decided = 0
    for row in rows:
        open_seconds = row.open_seconds
        # nothing open: already billed in full, except work rounded to zero billable seconds,
        # which still goes on its invoice (at 0 h) so it is accounted for, not left unbilled
        if open_seconds < 0 or (open_seconds == 0 and row.billing != unbilled):
            continue
        contract = row.contract
        if holds:
            customer = md.projects[row.project].customer
            hold = holds.holding(row.id, row.project, contract,
                                 md.customer_chain(customer))
            if hold is not None:
                report.held += 1
                report.skipped.append(Skip.because(row.id, "on_hold", hold.describe(),
                                                   hold=hold.id))
                continue
        # the decision approval took, reused unless master data moved since (issue 16)
        p = row.price
        known: tuple[str, RateDecision] | None = None
        if p is not None and contract is not None:
            at = (id(p), contract, row.project)
            kept = holding.get(at)
            if kept is None or kept[0] is not p:
                kept = holding[at] = (p, _stored(p, contract, row.project, basis, decisions))
            known = kept[1]
        if known is not None:
            reused += 1
        else:
            decided += 1
            if p is not None:
                report.repriced.append(row.id)
            key = (row.employee, row.project, row.task, row.work_date)
            known = priced.get(key)
            if known is None:
                # without a known contract pricing refuses the entry before it looks for a
                # role
                has_contract = contract is not None and contract in md.contracts
                role = ""
                if has_contract:
                    day = (row.employee, row.project, row.work_date)
                    role = roles.get(day) or roles.setdefault(day, role_on(md, *day))
                decision = price_entry(row, md, rates, role if has_contract else None)
                if isinstance(decision, Problem):
                    report.skipped.append(Skip(row.id, decision))
                    continue
                known = priced[key] = (role, decision)
        role, decision = known
        assert contract is not None  # price_entry refused entries without contract
        billed_to = customers.get(contract)
        if billed_to is None:
            billed_to = customers[contract] = md.contracts[contract].customer
        items.append(BillableItem(
            entry_id=row.id, contract=contract, entity=row.entity,
            customer=billed_to, currency=decision.currency,
            work_date=row.work_date, project=row.project, task=row.task,
            role=role, billable_seconds=open_seconds, decision=decision,
            employee=row.employee, notes=row.notes,
        ))
    report.prices_reused += reused
    report.prices_decided += decided
    return items


def _load_state(uow: UnitOfWork, contract: Contract, items: list[BillableItem],
                through: date, has_expenses: bool, fx: FxTable) -> ContractState:
    """What planning the contract reads of earlier runs, loaded only where its terms use it
    (and expenses only where the run's scope found some approved and unbilled)."""
    settled = uow.contracts.settled_months(contract.id) if contract.retainer is not None else {}
    used_seconds, used = 0, Decimal(0)
    if contract.cap is not None and items:
        used_seconds, used = uow.contracts.usage([contract.id])[contract.id]
    achievements: dict[str, date] = {}
    billed: frozenset[tuple[str, str]] = frozenset()
    if has_terms(contract):
        achievements = uow.contracts.achievements(contract.id)
        billed = frozenset(uow.contracts.charge_states(contract.id))
    expenses = uow.expenses.billable(contract.id, through) if has_expenses else []
    return ContractState(achievements, billed, settled, used_seconds, used, tuple(expenses),
                         fx)


def _flag_cap(uow: UnitOfWork, contract: Contract, held: list[int], now: datetime) -> None:
    """Work held by a cap is an exception for the contract's owner until the cap is raised
    (or its policy changed); a run that holds nothing resolves it."""
    where = f"contract {contract.id} cap"
    if not held:
        uow.exceptions.resolve("billing", where, now, "billing run")
        return
    uow.exceptions.add_open_once([NewException(None, "billing", None, Problem(
        "over_cap", f"{len(held)} approved entries exceed the {cap_label(contract)}; raise "
        "the cap or switch it to write_down to bill them", where, "cap"),
        {"contract": contract.id, "entries": held[:100]})], now)


GROUP_ENTRIES = 5000  # open entries read per query, about (a contract with more: alone)


@dataclass(frozen=True)
class _Scope:
    """Which contracts a run looks at, and which of them have expenses or corrections owed,
    found with one query each rather than one per contract."""

    contracts: list[str]
    with_expenses: set[str]
    owed: set[str]
    open_entries: dict[str, int]  # entries open to bill per contract, when the run began

    def groups(self, size: int = GROUP_ENTRIES) -> Iterator[list[str]]:
        """The contracts in order, in groups of about ``size`` open entries (a contract with
        more is a group alone): each group's entries are read with one query, not one per
        contract, so a run over many small contracts costs a statement per group."""
        group: list[str] = []
        entries = 0
        for k in self.contracts:
            n = self.open_entries.get(k, 0)
            if group and entries + n > size:
                yield group
                group, entries = [], 0
            group.append(k)
            entries += n
        if group:
            yield group


# (entity, contract) of the contracts with terms (fees, milestones, retainers) to look at
# every run, found once per master-data snapshot, not per run among all the firm's contracts
_WITH_TERMS: PerSnapshot[tuple[tuple[str, str], ...]] = PerSnapshot(
    lambda md: tuple((k.entity, k.id) for k in md.contracts.values() if has_terms(k)))


def _contracts_to_bill(uow: UnitOfWork, md: MasterData, selection: EntrySelection) -> _Scope:
    with_terms = {k for entity, k in _WITH_TERMS(md)
                  if selection.entity is None or entity == selection.entity}
    with_expenses = set(uow.expenses.contracts_with_billable(selection.date_to or date.max,
                                                             selection.entity))
    # contracts owing adjustments of applied corrections
    owed = set(uow.corrections.owed_contracts(selection.date_to or date.max, selection.entity))
    counts = uow.entries.contract_counts(selection)
    return _Scope(sorted(set(counts) | with_terms | with_expenses | owed), with_expenses, owed,
                  counts)


def _holds_on(contract: Contract, projects: list[str], holds: HoldBook, md: MasterData
              ) -> tuple[Hold | None, frozenset[str]]:
    """The hold that keeps the contract's fees waiting (on the contract, its customer or one
    of its projects), and the projects whose expenses wait ("" too: the whole contract)."""
    if not holds:  # the usual run: nothing on hold, nothing to look up per project
        return None, frozenset()
    chain = md.customer_chain(contract.customer)
    holding = {p: holds.holding(-1, p, contract.id, chain) for p in projects}
    held_projects = frozenset(p for p, h in holding.items() if h is not None)
    if holds.holding(-1, "", contract.id, chain) is not None:
        held_projects = frozenset(projects) | {""}
    charge_hold = holds.holding(-1, "", contract.id, chain) or next(
        (h for h in holding.values() if h is not None), None)
    return charge_hold, held_projects


def _refuse_draft(uow: UnitOfWork, draft: DraftInvoice, tax: Problem, plan: ContractPlan,
                  report: BillingReport, now: datetime) -> None:
    """No guess: the draft's work stays unbilled (its retainer month unsettled) and finance
    gets the reason."""
    report.skipped += [Skip(i, tax) for i in draft.entry_ids]
    plan.settlements = [s for s in plan.settlements if s.period != draft.period]
    if not report.dry_run:
        uow.exceptions.add_open_once([NewException(
            None, "billing", None, Problem(tax.code, tax.message, draft_location(draft), tax.field),
            {"contract": draft.contract, "customer": draft.customer,
             "period": draft.period})], now)


def _settle(uow: UnitOfWork, contract_id: str, plan: ContractPlan, now: datetime) -> None:
    """Persist what the plan decided beyond its drafts: covered entries, expenses the contract
    keeps, settled retainer months."""
    # most contracts have neither: no call, no statement built for nothing
    if plan.covered:
        uow.entries.set_billing(plan.covered, Billing.COVERED.value, now)
    if plan.not_billable:
        uow.expenses.mark_not_billable(plan.not_billable, now)
    for d in plan.settlements:
        uow.contracts.settle_month(
            contract_id, d.period, d.included_seconds, d.rollover_in_seconds, d.used_seconds,
            sum(s for _, s in d.overage), d.rollover_out_seconds, d.expired_seconds, now)


def _settlement(contract_id: str, d: Drawdown) -> dict[str, Any]:
    return {"contract": contract_id, "period": d.period,
            "included_hours": str(hours(d.included_seconds)),
            "rolled_in_hours": str(hours(d.rollover_in_seconds)),
            "used_hours": str(hours(d.used_seconds)),
            "overage_hours": str(hours(sum(s for _, s in d.overage))),
            "rolled_over_hours": str(hours(d.rollover_out_seconds)),
            "expired_hours": str(hours(d.expired_seconds))}


def _grouped_rows(uow: UnitOfWork, scope: _Scope, selection: EntrySelection
                  ) -> Iterator[tuple[str, list[OpenEntry]]]:
    """Each contract of the scope in order with its open entries, read a group at a time."""
    for group in scope.groups():
        # a concurrent run of these contracts waits here, then reads what that one billed
        uow.locks.billing_all(group)
        rows: dict[str, list[OpenEntry]] = {k: [] for k in group}
        for row in uow.entries.open_work(replace(selection, contracts=tuple(group))):
            rows[row.contract or ""].append(row)  # contract IN group: never None
        for contract_id in group:
            yield contract_id, rows.pop(contract_id)


def run_billing(cmd: RunBilling, uow: UnitOfWork, now: datetime,
                deps: Collaborators) -> BillingReport:
    """Bill contract by contract: memory holds one group of contracts' entries (about
    ``GROUP_ENTRIES``, or one contract's), never the whole run.
    Per contract: load its entries and state, plan (pure, ``domain.billing.plan``), persist."""
    report = BillingReport(cmd.through.isoformat(), cmd.dry_run)
    with uow:
        md = uow.masterdata.snapshot()
        rates = RateBook.of_snapshot(md)
        basis = PriceBasis.of_snapshot(md)
        holds = HoldBook(uow.holds.active())
        fx = FxTable(md.fx_rates.values())  # converts expenses in another currency
        selection = EntrySelection(
            approval=(Approval.APPROVED.value,),
            billing=(Billing.UNBILLED.value, Billing.CREDITED.value),
            billable=True, date_to=cmd.through, entity=cmd.entity,
        )
        invoices = 0
        writer = DraftWriter(uow, cmd, report, now)
        scope = _contracts_to_bill(uow, md, selection)
        # each contract's projects, which only holds look at: sorting the firm's projects
        # cost more than a run of a hundred entries at 5,000 projects (issue 16)
        projects_of: dict[str, list[str]] = defaultdict(list)
        for p in sorted(md.projects.values(), key=attrgetter("code")) if holds else ():
            if p.contract is not None:
                projects_of[p.contract].append(p.code)
        for contract_id, rows in _grouped_rows(uow, scope, selection):
            skipped_before = len(report.skipped)
            items = _billable_items(rows, md, rates, holds, report, basis)
            contract = md.contracts.get(contract_id)
            if contract is None:
                continue
            state = _load_state(uow, contract, items, cmd.through,
                                contract_id in scope.with_expenses, fx)
            charge_hold, held_projects = _holds_on(contract, projects_of[contract.id], holds,
                                                   md)
            plan = plan_contract(contract, items, cmd.through, state, charge_hold,
                                 held_projects)
            report.skipped += plan.skipped
            report.held += len(plan.over_cap)
            if contract_id in scope.owed:
                adjustment_lines(uow, md, rates, contract_id, plan.drafts, cmd.through,
                                 report.skipped)
            plan.drafts.sort(key=lambda d: d.period)
            billed: dict[int, int] = {}  # entry id -> seconds the run's lines bill of it
            if not cmd.dry_run and contract.cap is not None:
                _flag_cap(uow, contract, plan.over_cap, now)
            refused: list[Problem] = []
            written = 0
            for draft in plan.drafts:
                net = draft.net  # a sum over every line's links: once, for tax and report
                tax = invoice_tax(md.entities[draft.entity], md.customers[draft.customer],
                                  net, draft.currency)
                if isinstance(tax, Problem):
                    _refuse_draft(uow, draft, tax, plan, report, now)
                    refused.append(tax)
                    continue
                for line in draft.lines:
                    for link in line.links:
                        billed[link.entry_id] = billed.get(link.entry_id, 0) + link.seconds
                writer.add(draft, tax, net)
                written += 1
            invoices += written
            report.entries_billed += len(billed)
            report.entries_covered += len(plan.covered)
            if not cmd.dry_run:
                writer.bill(billed)
                _settle(uow, contract_id, plan, now)
            report.settlements += [_settlement(contract_id, d) for d in plan.settlements]
            if not written:
                report.not_invoiced.append(why_nothing(
                    contract_id, report.skipped[skipped_before:], refused))
        writer.flush()
        report.not_invoiced += idle_contracts(md, cmd.entity, cmd.through,
                                              set(scope.contracts))
        report.not_invoiced.sort(key=itemgetter("contract"))
        # after this run's drafts are written (a dry run's added as if), under every lock
        report.changes = standing_changes(
            uow, cmd.entity, report.invoices if cmd.dry_run else None,
            keep=not cmd.dry_run and report.run_id is not None)
        if cmd.dry_run:
            uow.rollback()  # nothing billed; the run is recorded, but is never a baseline
            report.run_id = uow.invoices.add_run(cmd.through, cmd.entity, now, dry_run=True)
            uow.invoices.finish_run(report.run_id, invoices, report.entries_billed, None)
        elif report.run_id is None:
            uow.commit()
            return report  # a run that bills nothing leaves no trace
        else:
            # the standing is kept as rows (store.standing), no longer on the run
            uow.invoices.finish_run(report.run_id, invoices, report.entries_billed, None)
        uow.commit()
    return report
