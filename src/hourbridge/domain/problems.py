"""Bad data as a value: a reason code, where it was found and who should fix it; and what a
use case passed over (``Skip``), with the Problem saying why."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

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
    # an ERP profile that cannot post a document (domain/erp.check_profile, map_*)
    "invalid_erp_profile": "finance",
    # our customer matches several of the ERP's (or they one of ours): never guessed
    "ambiguous_erp_customer": "finance",
    "ambiguous_erp_project": "finance",
    "invalid_reference": "integration",
    "duplicate_key": "integration",
    # a text value too long for its field or holding NUL/control characters (domain/limits)
    "invalid_text": "integration",
    # expenses
    "invalid_amount": "consultant",
    "invalid_currency": "integration",
    "currency_mismatch": "finance",
    # tracker rows (connectors): a tracker id with no alias to a code; a timer still running
    "unknown_alias": "integration",
    "timer_running": "consultant",
    # a tracker's entry that is not work (Clockify's BREAK); a code an alias names that
    # master data lacks (``aliases add``)
    "not_work": "consultant",
    "unknown_code": "integration",
    # CRM won deals (domain/deals): an account several customers could be; a contract that
    # needs its legal entity named
    "crm_customer_ambiguous": "finance",
    "crm_entity_needed": "finance",
    # a contract a billing run looked at and found nothing due (services.billing_report)
    "nothing_open": "finance",
    # what a use case passes over (``Skip``)
    "not_found": "finance",
    "on_hold": "finance",
    "billed": "finance",
    "intercompany_charged": "finance",
    "retainer_month_open": "finance",
    # segregation of duties: an approver's own time waits for another approver
    "own_time": "project_manager",
    # why an entry did not bill (domain.lineage; read by the trace, never queued)
    "deleted_at_source": "consultant",
    "non_billable": "project_manager",
    "written_off": "finance",
    "rejected": "project_manager",
    "not_approved": "project_manager",
    "correction_open": "finance",
    "on_draft": "finance",
    "awaiting_billing_run": "finance",
    "covered_by_fee": "finance",
    "already draft": "consultant",
    "already approved": "project_manager",
    "already rejected": "project_manager",
}

# the codes domain.lineage explains unbilled work with: states, not rows to fix in a queue
UNBILLED_REASONS: Final = frozenset({
    "deleted_at_source", "non_billable", "written_off", "rejected", "not_approved",
    "correction_open", "on_draft", "awaiting_billing_run", "covered_by_fee"})

# the code of a row passed over because it already is in an approval state
ALREADY: Final[dict[str, str]] = {
    "draft": "already draft",
    "approved": "already approved",
    "rejected": "already rejected",
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


@dataclass(frozen=True, slots=True, eq=False)
class Skip(Mapping[str, Any]):
    """One thing a use case passed over (an entry not approved, not billed...) and why.

    Reads as the JSON object reports show (``{"id": ..., "reason": ..., "message": ...}``):
    ``subject_key`` names what the subject is, ``context`` adds what else the reader needs
    (the hold that keeps it, the charge it is), and an empty message is left out."""

    subject: int | str | None
    problem: Problem
    subject_key: str = "id"
    context: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def because(cls, subject: int | str | None, code: str, message: str = "",
                **context: Any) -> Skip:
        return cls(subject, Problem(code, message), context=tuple(context.items()))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {self.subject_key: self.subject, "reason": self.problem.code,
                               **dict(self.context)}
        if self.problem.message:
            out["message"] = self.problem.message
        return out

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())
