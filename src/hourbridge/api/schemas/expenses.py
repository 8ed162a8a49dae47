"""Request and response models of the ``api/v1/expenses.py`` router."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, model_validator

from hourbridge.formats.bundle import Code

from ..deprecation import RANGE_RENAMES, old_names_used, renamed_field
from .common import (
    MAX_ENTRIES_PER_REQUEST,
    MAX_IDS_PER_REQUEST,
    Actor,
    Id,
    In,
    IntakeRowIn,
    Money,
    Out,
    Skipped,
    StoredRowOut,
    Text,
    TextOrBoolean,
    TextOrInteger,
    TextOrNumber,
)


class ExpenseRowIn(IntakeRowIn):
    """One row in the canonical expense format (the same fields as the CSV header).

    Only JSON types are checked here; whether a row is acceptable (required fields, a positive
    amount in the currency's minor units, an ISO 4217 currency equal to the contract's, a known
    and active project, an assigned employee, an open period...) is decided by intake, and a
    refused row goes to the exception queue with its reason. Other fields are kept with the row.
    """

    date: Text = Field(None, description="date spent, YYYY-MM-DD (required)",
                       examples=["2026-07-01"])
    amount: TextOrNumber = Field(
        None, description="amount spent, > 0, at most the currency's decimals (required). "
        "Prefer a string (\"120.50\"); a JSON number is taken as its shortest decimal text.",
        examples=["120.50"])
    currency: Text = Field(None, description="ISO 4217 code (required)", examples=["EUR"])
    category: Text = Field(None, description="e.g. travel, hotel, meals (required)")
    description: Text = None
    billable: TextOrBoolean = Field(None, description="default true")
    receipt_ref: Text = Field(None, description="the receipt's id in the expense tool")
    revision: TextOrInteger = Field(None, description="positive integer, default 1")



class ExpensesIn(In):
    source: Code = Field(description="source system name, part of every expense's identity",
                         examples=["expensify"])
    expenses: list[ExpenseRowIn] = Field(min_length=1, max_length=MAX_ENTRIES_PER_REQUEST)



class Expense(StoredRowOut):
    task: str | None
    entity: str
    contract: str | None
    spent_on: dt.date
    category: str
    description: str
    amount: Money
    currency: str
    billable: bool
    receipt_ref: str | None
    approval: str
    billing: str = Field(description="unbilled, billed, written_off or non_billable")
    invoice_line: int | None = Field(description="the invoice line that bills it")



class ExpenseApprovalIn(In):
    actor: Actor = None
    expense_ids: list[Id] = Field([], max_length=MAX_IDS_PER_REQUEST)
    employee: Code | None = None
    project: Code | None = None
    # one name per concept (docs/GLOSSARY.md): `from`/`to` as on the command line
    date_from: dt.date | None = renamed_field("from", "date_from", description="first date spent")
    date_to: dt.date | None = renamed_field("to", "date_to", description="last date spent")

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return old_names_used(data, RANGE_RENAMES)



class ExpenseApprovalReport(Out):
    approved: int
    billable: int
    skipped: list[Skipped]
    billable_amount: dict[str, Money] = Field(
        description="currency -> billable amount approved (before any markup)")

