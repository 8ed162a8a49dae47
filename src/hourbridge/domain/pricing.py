"""Pricing an entry under current master data, and the first day a posting may land on."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from typing import Protocol

from .masterdata import MasterData
from .model import Project, RateCard, RateScope
from .per_snapshot import PerSnapshot
from .problems import Problem
from .rating import RateBook, RateDecision
from .validation import role_on


class PricedWork(Protocol):
    """What pricing reads of an entry (a stored entry row, or a revision of one)."""

    @property
    def id(self) -> int: ...
    @property
    def employee(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def task(self) -> str: ...
    @property
    def contract(self) -> str | None: ...
    @property
    def work_date(self) -> date: ...


def price_entry(row: PricedWork, md: MasterData, rates: RateBook,
                role: str | None = None) -> RateDecision | Problem:
    """The rate in force on the entry's work date under current master data; ``role``: the
    employee's role on the project that day, when the caller already looked it up."""
    if row.contract is None or row.contract not in md.contracts:
        return Problem("no_contract", f"project {row.project} has no contract", str(row.id))
    project = md.projects[row.project]
    contract = md.contracts[row.contract]
    if role is None:
        role = role_on(md, row.employee, row.project, row.work_date)
    return rates.decide(project, contract, row.employee, role, row.task, row.work_date)


class PriceBasis:
    """Whether a rate decision stored at approval still holds (issue 16, item 2).

    Approval prices each billable entry and keeps the whole decision on it (rate, currency,
    card, row, precedence rule, scope, contract version, and the role it was decided for),
    with a *basis*: a digest of every master-data fact ``price_entry`` reads for work of a
    contract on a project: the contract (all its versions and terms), the project (its
    customer and assignments, which decide the role), the customer chain, the rate cards of
    every scope that can apply (contract, project, customers of the chain, firm) and every
    employee's default role. Billing reuses a stored decision only when its basis equals the
    current one; any edit of those facts after approval (a rate row added or ended, a contract
    amended, an assignment moved) changes the digest, and billing prices the entry again
    (and reports it as re-priced). A digest over more than the decision strictly needs only
    ever re-prices too often, never bills a stale rate.

    Built once per ``MasterData`` snapshot (``of_snapshot``); digests are cached per (contract,
    project)."""

    def __init__(self, md: MasterData) -> None:
        self._md = md
        self._cards: dict[tuple[str, str | None], str] = {}
        self._cache: dict[tuple[str, str], str | None] = {}
        self._everyone: str | None = None
        self._by_scope: dict[tuple[str, str | None], list[RateCard]] | None = None

    @classmethod
    def of_snapshot(cls, md: MasterData) -> PriceBasis:
        """The basis of ``md``, shared by every call that prices under the same snapshot.

        The store hands out one snapshot object per master-data revision, so approving 100
        new entries reuses the digests earlier calls computed instead of hashing the firm's
        employees and rate cards again each time: per call, the cost follows the new work,
        not the size of the firm (issue 16, item 4). The digests are pure functions of the
        snapshot, so two threads filling them at once only repeat work."""
        return _BASIS(md)

    @staticmethod
    def _digest(*parts: object) -> str:
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]

    def _scope(self, scope: RateScope, scope_id: str | None) -> str:
        key = (scope.value, scope_id)
        found = self._cards.get(key)
        if found is None:
            if self._by_scope is None:  # one pass over the cards, not one per scope asked
                by_scope: dict[tuple[str, str | None], list[RateCard]] = defaultdict(list)
                for card in self._md.rate_cards.values():
                    by_scope[(card.scope.value, card.scope_id)].append(card)
                self._by_scope = dict(by_scope)
            cards = sorted(self._by_scope.get(key, ()), key=lambda c: c.id)
            found = self._cards[key] = self._digest(*(_card_key(c) for c in cards))
        return found

    def _firm_and_roles(self) -> str:
        if self._everyone is None:
            roles = sorted((e.id, e.role) for e in self._md.employees.values())
            self._everyone = self._digest(self._scope(RateScope.FIRM, None), roles)
        return self._everyone

    def of(self, contract_id: str, project_code: str) -> str | None:
        """The current basis of work under ``contract_id`` on ``project_code`` (None: either
        is unknown, so nothing stored can be reused)."""
        key = (contract_id, project_code)
        if key in self._cache:
            return self._cache[key]
        contract = self._md.contracts.get(contract_id)
        project = self._md.projects.get(project_code)
        found: str | None = None
        if contract is not None and project is not None:
            chain = self._md.customer_chain(project.customer)
            found = self._digest(
                repr(contract), _project_key(project), chain, self._firm_and_roles(),
                self._scope(RateScope.CONTRACT, contract_id),
                self._scope(RateScope.PROJECT, project_code),
                *(self._scope(RateScope.CUSTOMER, c) for c in chain))
        self._cache[key] = found
        return found


def _card_key(card: RateCard) -> tuple[object, ...]:
    """A card as the digest reads it: its fields, its rows in a fixed order."""
    return (card.id, card.scope.value, card.scope_id, card.currency,
            sorted(repr(r) for r in card.rows))


def _project_key(project: Project) -> tuple[object, ...]:
    """What of a project pricing reads: its customer and contract, and its assignments (the
    role of the day), in a fixed order."""
    return (project.code, project.customer, project.contract,
            sorted(repr(a) for a in project.assignments))


_BASIS: PerSnapshot[PriceBasis] = PerSnapshot(PriceBasis)
