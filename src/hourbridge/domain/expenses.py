"""The canonical expense format and the rules an expense must pass, all pure.

Fields (CSV header names = JSON keys):

    external_id   required, the source system's id of the expense
    employee      required, who spent it
    project       required, project code
    task          optional, task code within the project
    date          required, ISO 8601 local date of the spending (YYYY-MM-DD)
    amount        required, > 0, a plain decimal with no more decimals than the currency has
    currency      required, ISO 4217 code (upper case)
    category      required, e.g. travel, hotel, meals
    description   optional
    billable      optional, true/false/1/0/yes/no (default true)
    receipt_ref   optional, the receipt's id in the expense tool
    revision      optional positive integer (default 1)

An expense is billable when the source says so, its task (if any) is billable and its project
has a contract; otherwise it is stored as non-billable, not refused. A billable expense in
another currency than its contract is converted into the contract's currency when it is billed
(``domain.billing.expenses``); where the contract passes expenses on, it is refused
(``no_fx_rate``) while no rate of its currency into the contract's is in force on the day it
was spent, and ``exceptions retry`` takes it once
the rate is loaded. (``currency_mismatch`` is the code earlier versions refused it with.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from . import limits
from .fx import FxTable
from .intake import (
    _NUMBER,
    _text,
    billable_flag,
    local_date,
    required_texts,
    revision_number,
    text_problems,
)
from .masterdata import MasterData
from .model import Billing, ExpenseBilling, ProjectStatus
from .money import is_currency, minor_units, round_money
from .problems import Problem

FIELDS = ("external_id", "employee", "project", "task", "date", "amount", "currency",
          "category", "description", "billable", "receipt_ref", "revision")
# NUMERIC(24, 8) holds 16 integer digits; no single expense comes near a trillion
MAX_AMOUNT = Decimal(10) ** 12


class ParsedExpense(NamedTuple):
    external_id: str
    employee: str
    project: str
    task: str
    spent_on: date
    amount: Decimal
    currency: str
    category: str
    description: str
    billable: bool
    receipt_ref: str
    revision: int


@dataclass(frozen=True, slots=True)
class ValidatedExpense:
    expense: ParsedExpense
    entity: str
    contract: str | None
    billable: bool

    @property
    def billing(self) -> Billing:
        return Billing.UNBILLED if self.billable else Billing.NON_BILLABLE


def _currency(row: Mapping[str, object], where: str, problems: list[Problem]) -> str | None:
    code = _text(row.get("currency"))
    if not code:
        return None  # reported as required
    if not is_currency(code):
        problems.append(Problem(
            "invalid_currency", f"currency {code!r} is not an ISO 4217 code (e.g. EUR, USD)",
            where, "currency"))
        return None
    return code


def _amount(row: Mapping[str, object], currency: str | None, where: str,
            problems: list[Problem]) -> Decimal | None:
    raw = row.get("amount")
    if raw is None or _text(raw) == "":
        return None  # reported as required
    if isinstance(raw, bool):
        problems.append(Problem("invalid_amount", "amount must be a number", where, "amount"))
        return None
    if isinstance(raw, float):
        raw = repr(raw)  # a JSON float as its shortest decimal text, never its binary value
    text = _text(raw)
    # ASCII decimals only: "1_5", "NaN", "Infinity" or other scripts' digits are typos
    if not _NUMBER.fullmatch(text):
        problems.append(Problem("invalid_amount", f"amount {text!r} is not a number",
                                where, "amount"))
        return None
    amount = Decimal(text)
    if amount <= 0:
        problems.append(Problem("invalid_amount", f"amount must be positive, got {text}",
                                where, "amount"))
        return None
    if amount >= MAX_AMOUNT:
        problems.append(Problem("invalid_amount", f"amount {text} is implausibly large",
                                where, "amount"))
        return None
    if currency is not None:
        exact = round_money(amount, currency)
        if exact != amount:
            problems.append(Problem(
                "invalid_amount",
                f"amount {text} has more decimals than {currency} allows "
                f"({minor_units(currency)} decimals)", where, "amount"))
            return None
        return exact
    return amount


_REQUIRED = ("external_id", "employee", "project", "date", "amount", "currency", "category")
# (field, limit, free text) of the texts of an expense row: see domain/limits
EXPENSE_TEXTS: tuple[tuple[str, int, bool], ...] = (
    ("external_id", limits.EXTERNAL_ID, False), ("employee", limits.CODE, False),
    ("project", limits.CODE, False), ("task", limits.CODE, False),
    ("category", limits.CATEGORY, False), ("description", limits.NOTE, True),
    ("receipt_ref", limits.RECEIPT_REF, False))


def parse_expense(row: Mapping[str, object], where: str) -> ParsedExpense | list[Problem]:
    problems = required_texts(row, _REQUIRED, where)
    problems += text_problems(row, EXPENSE_TEXTS, where)
    spent_on = local_date(row, where, problems)
    currency = _currency(row, where, problems)
    amount = _amount(row, currency, where, problems)
    billable = billable_flag(row, where, problems)
    revision = revision_number(row, where, problems)
    if problems or spent_on is None or amount is None or currency is None:
        return problems
    return ParsedExpense(
        external_id=_text(row.get("external_id")), employee=_text(row.get("employee")),
        project=_text(row.get("project")), task=_text(row.get("task")), spent_on=spent_on,
        amount=amount, currency=currency, category=_text(row.get("category")),
        description=_text(row.get("description")), billable=billable,
        receipt_ref=_text(row.get("receipt_ref")), revision=revision,
    )


def expense_content_key(e: ParsedExpense) -> str:
    """What was spent, independent of the source's id: finds a re-keyed copy of an expense.

    The receipt reference is part of it, so two equal taxi fares on one day with their own
    receipts are two expenses."""
    text = "\x1f".join((e.employee, e.project, e.task, e.spent_on.isoformat(),
                        format(e.amount, "f"), e.currency, e.category, e.description,
                        e.receipt_ref))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def validate_expense(parsed: ParsedExpense, md: MasterData, where: str = "",
                     fx: FxTable | None = None) -> ValidatedExpense | list[Problem]:
    """Every rule runs, so one rejection names every reason at once. (``fx``: the rate table
    of ``md``, built once by a caller that validates many rows.)"""
    problems: list[Problem] = []
    employee = md.employees.get(parsed.employee)
    if employee is None:
        problems.append(Problem(
            "unknown_employee", f"employee {parsed.employee!r} is not in master data",
            where, "employee"))
    project = md.projects.get(parsed.project)
    if project is None:
        problems.append(Problem(
            "unknown_project", f"project {parsed.project!r} is not in master data",
            where, "project"))
        return problems
    task = project.task(parsed.task) if parsed.task else None
    if parsed.task and task is None:
        problems.append(Problem(
            "unknown_task", f"task {parsed.task!r} is not a task of project {project.code}",
            where, "task"))
    if project.status is not ProjectStatus.ACTIVE:
        problems.append(Problem(
            "project_not_active", f"project {project.code} is {project.status.value}",
            where, "project"))
    entity = md.entities[project.entity]
    if entity.lock_date is not None and parsed.spent_on <= entity.lock_date:
        problems.append(Problem(
            "locked_period",
            f"{parsed.spent_on.isoformat()} is in the closed period of entity {entity.code} "
            f"(locked through {entity.lock_date.isoformat()})", where, "date"))
    if employee is not None and project.assignment_on(employee.id, parsed.spent_on) is None:
        problems.append(Problem(
            "not_assigned",
            f"employee {employee.id} is not assigned to project {project.code} on "
            f"{parsed.spent_on.isoformat()}", where, "employee"))
    contract = md.contracts.get(project.contract) if project.contract else None
    billable = parsed.billable and (task is None or task.billable) and contract is not None
    if billable and contract is not None:
        if not contract.covers(parsed.spent_on):
            end = contract.end_date.isoformat() if contract.end_date else "open"
            problems.append(Problem(
                "outside_contract_dates",
                f"{parsed.spent_on.isoformat()} is outside contract {contract.id} "
                f"({contract.start_date.isoformat()} to {end})", where, "date"))
        if parsed.currency != contract.currency and (
                contract.expenses.billing is not ExpenseBilling.NOT_BILLABLE):
            # converted when billed (domain.billing.expenses); a rate must be in force on
            # the day it was spent, never guessed: the exception waits until it is loaded.
            # A contract that keeps its expenses never converts them, so needs no rate.
            table = fx if fx is not None else FxTable(md.fx_rates.values())
            rate = table.rate_on(parsed.currency, contract.currency, parsed.spent_on)
            if isinstance(rate, Problem):
                problems.append(Problem(
                    "no_fx_rate", f"expense in {parsed.currency} on contract {contract.id} "
                    f"billed in {contract.currency}: {rate.message}", where, "currency",
                    {"expense_currency": parsed.currency,
                     "contract_currency": contract.currency}))
    if problems:
        return problems
    return ValidatedExpense(parsed, entity.code, contract.id if contract else None, billable)
