"""Bad data as a value: a reason code, where it was found and who should fix it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

# Reason codes and the role that owns each (who gets the exception in their queue).
REASON_OWNERS: Final[dict[str, str]] = {
    "invalid_format": "integration",
    "invalid_quantity": "consultant",
    "unknown_project": "project_manager",
    "unknown_task": "project_manager",
    "project_not_active": "project_manager",
    "unknown_employee": "resource_manager",
    "not_assigned": "project_manager",
    "outside_contract_dates": "project_manager",
    "no_contract": "finance",
    "no_rate": "finance",
    "rate_conflict": "finance",
    "no_fx_rate": "finance",
    "duplicate_entry": "consultant",
    "locked_period": "finance",
    "changed_after_approval": "finance",
    "missing_vat_id": "finance",
    "over_cap": "project_manager",
    "invalid_contract": "finance",
    "cap_below_billed": "finance",
    "no_transfer_price": "finance",
    "invalid_field": "integration",
    "invalid_reference": "integration",
    "duplicate_key": "integration",
    # a text value too long for its field or holding NUL/control characters (domain/limits)
    "invalid_text": "integration",
    # expenses
    "invalid_amount": "consultant",
    "invalid_currency": "integration",
    "currency_mismatch": "finance",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input. ``where`` is a file:line, JSON path or record id."""

    code: str
    message: str
    where: str = ""
    field: str = ""
    details: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def owner(self) -> str:
        return REASON_OWNERS.get(self.code, "finance")

    def __str__(self) -> str:
        loc = f"{self.where}: " if self.where else ""
        fld = f"[{self.field}] " if self.field else ""
        return f"{loc}{fld}{self.code}: {self.message}"
