"""Pricing an entry under current master data, and the first day a posting may land on."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from .masterdata import MasterData
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
