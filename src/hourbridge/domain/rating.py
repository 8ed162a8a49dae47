"""Which hourly rate applies to an entry, and why.

Declared precedence (most specific first; the first level with a row in force wins):

    row:   employee+task > employee > role+task > role > task > card default
    card:  contract > project > customer (nearest in the hierarchy first) > firm

Rows are compared by row specificity first, then by card scope: an employee's rate on the
firm card beats a role rate on the contract card, because a named person's negotiated rate is
the more specific fact. Two rows that match at the same best level are a ``rate_conflict``
problem, never a guess. Only cards in the contract currency count.

Hours worked under a fee-only contract version measure progress and are never billed by the
hour, so no rate is needed for them: where none applies, the decision is ``FEE_COVERED`` (rate
0, rule ``fee_covered``) instead of ``no_rate``; where a rate applies it is still decided, for
reporting. Billing covers such hours by the fee (``domain.contracts.bills_hours``), so the
zero rate never prices an invoice line.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .masterdata import MasterData
from .model import BillingModel, Contract, Project, RateCard, RateRow, RateScope
from .per_snapshot import PerSnapshot
from .problems import Problem

ROW_RULES = ("employee_task", "employee", "role_task", "role", "task", "default")
FEE_COVERED = "fee_covered"  # the rule of a fee-only decision without a rate


@dataclass(frozen=True, slots=True)
class RateDecision:
    """A rate and the reason it was chosen: stored on every priced line."""

    rate: Decimal
    currency: str
    card: str
    row: str
    rule: str
    scope: str
    contract_version: int


def row_rule(row: RateRow, employee: str, role: str, task: str) -> str | None:
    """The precedence rule by which ``row`` matches, or None if it does not match at all."""
    if row.employee is not None and row.employee != employee:
        return None
    if row.role is not None and row.role != role:
        return None
    if row.task is not None and row.task != task:
        return None
    if row.employee is not None:
        return "employee_task" if row.task is not None else "employee"
    if row.role is not None:
        return "role_task" if row.task is not None else "role"
    return "task" if row.task is not None else "default"


@dataclass(frozen=True, slots=True)
class _Candidate:
    rank: tuple[int, int]
    card: RateCard
    row: RateRow
    rule: str


class RateBook:
    """Rate cards indexed by scope, with the candidate rows per entry shape cached.

    Built once per ``MasterData`` snapshot (``of_snapshot``); ``decide`` is called per entry.
    """

    @classmethod
    def of_snapshot(cls, md: MasterData) -> RateBook:
        """The book of ``md``, shared by the commands under the same snapshot with the
        decisions it has cached (``domain.per_snapshot``: approval and billing of 100 new
        entries no longer index 1,200 rate cards each time)."""
        return _BOOKS(md)

    def __init__(self, md: MasterData) -> None:
        self._md = md
        self._by_scope: dict[tuple[RateScope, str | None], list[RateCard]] = {}
        for card in md.rate_cards.values():
            self._by_scope.setdefault((card.scope, card.scope_id), []).append(card)
        self._cache: dict[tuple[str, str, str, str, str], list[_Candidate]] = {}
        # per entry shape: the days where ``decide``'s outcome may change, and whether a rate
        # applies before the first and from each of them on
        self._spans: dict[tuple[str, str, str, str, str], tuple[list[date], list[bool]]] = {}

    def _cards(self, project: Project, contract: Contract) -> list[tuple[int, RateCard]]:
        scoped: list[tuple[int, RateCard]] = []
        scoped += [(0, c) for c in self._by_scope.get((RateScope.CONTRACT, contract.id), [])]
        scoped += [(1, c) for c in self._by_scope.get((RateScope.PROJECT, project.code), [])]
        for depth, cust in enumerate(self._md.customer_chain(project.customer)):
            scoped += [(2 + depth, c) for c in self._by_scope.get((RateScope.CUSTOMER, cust), [])]
        scoped += [(1000, c) for c in self._by_scope.get((RateScope.FIRM, None), [])]
        return [(rank, c) for rank, c in scoped if c.currency == contract.currency]

    def _candidates(
        self, project: Project, contract: Contract, employee: str, role: str, task: str
    ) -> list[_Candidate]:
        key = (contract.id, project.code, employee, role, task)
        found = self._cache.get(key)
        if found is None:
            found = []
            for scope_rank, card in self._cards(project, contract):
                for row in card.rows:
                    rule = row_rule(row, employee, role, task)
                    if rule is not None:
                        rank = (ROW_RULES.index(rule), scope_rank)
                        found.append(_Candidate(rank, card, row, rule))
            found.sort(key=lambda c: c.rank)
            self._cache[key] = found
        return found

    def decide(
        self, project: Project, contract: Contract, employee: str, role: str, task: str, on: date
    ) -> RateDecision | Problem:
        version = contract.version_on(on)
        if version is None:
            return Problem(
                "outside_contract_dates",
                f"contract {contract.id} has no version in force on {on.isoformat()}",
                field="date",
            )
        in_force = [
            c for c in self._candidates(project, contract, employee, role, task)
            if c.row.in_force(on)
        ]
        if not in_force and version.billing_model == BillingModel.FEE_ONLY.value:
            return RateDecision(rate=Decimal(0), currency=contract.currency, card="", row="",
                                rule=FEE_COVERED, scope="contract",
                                contract_version=version.version)
        if not in_force:
            return Problem(
                "no_rate",
                f"no {contract.currency} rate for employee {employee} (role {role}, task "
                f"{task or '-'}) on project {project.code} on {on.isoformat()}",
                field="employee",
            )
        best = in_force[0]
        ties = [c for c in in_force if c.rank == best.rank]
        if len(ties) > 1:
            rows = ", ".join(f"{c.card.id}/{c.row.id}" for c in ties)
            return Problem(
                "rate_conflict",
                f"{len(ties)} rates tie at precedence {best.rule} on {on.isoformat()}: {rows}",
                field="employee",
                details={"rows": rows},
            )
        return RateDecision(
            rate=best.row.rate,
            currency=best.card.currency,
            card=best.card.id,
            row=best.row.id,
            rule=best.rule,
            scope=best.card.scope.value,
            contract_version=version.version,
        )

    def applies(
        self, project: Project, contract: Contract, employee: str, role: str, task: str, on: date
    ) -> bool:
        """Whether ``decide`` gives a decision, not a problem, for this entry: decided once per
        entry shape and span of days. ``decide`` depends on the day only through the version
        in force and the candidate rows in force, which change only on a version's effective
        date, a row's first day and the day after its last; between two such days its outcome
        is the same, so one ``decide`` per span answers for every day in it."""
        key = (contract.id, project.code, employee, role, task)
        spans = self._spans.get(key)
        if spans is None:
            candidates = self._candidates(project, contract, employee, role, task)
            days = {v.effective_from for v in contract.versions}
            days.update(c.row.valid_from for c in candidates)
            days.update(c.row.valid_until + timedelta(days=1) for c in candidates
                        if c.row.valid_until is not None and c.row.valid_until < date.max)
            starts = sorted(days)
            spans = self._spans[key] = (starts, [
                not isinstance(self.decide(project, contract, employee, role, task, day),
                               Problem)
                for day in [date.min, *starts]])
        starts, decided = spans
        return decided[bisect_right(starts, on)]


_BOOKS: PerSnapshot[RateBook] = PerSnapshot(RateBook)
