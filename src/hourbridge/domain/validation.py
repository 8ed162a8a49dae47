"""Policy rules an entry must pass before it is accepted: each failure is a ``Problem``.

Rules run in a fixed order and all of them run, so one rejection names every reason at once.
A non-billable task, a row marked non-billable or a project without contract makes a
non-billable entry, not a problem. Duplicates need stored state and are checked by the
ingest service with ``content_key``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from .intake import ParsedEntry
from .masterdata import MasterData
from .model import (
    Billing,
    Contract,
    ProjectStatus,
    TimeEntry,
)
from .problems import Problem
from .rating import RateBook, RateDecision
from .rounding import billable_seconds


@dataclass(frozen=True, slots=True)
class ValidatedEntry:
    entry: TimeEntry
    decision: RateDecision | None
    entity: str
    contract: str | None


def content_key(employee: str, project: str, task: str, work_date: date, seconds: int,
                notes: str) -> str:
    """Fingerprint of what was worked, independent of the source's id: finds re-keyed copies."""
    text = "\x1f".join((employee, project, task, work_date.isoformat(), str(seconds), notes))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def role_on(md: MasterData, employee: str, project_code: str, day: date) -> str:
    project = md.projects[project_code]
    assignment = project.assignment_on(employee, day)
    if assignment is not None and assignment.role:
        return assignment.role
    return md.employees[employee].role


def validate_entry(
    parsed: ParsedEntry, source: str, md: MasterData, rates: RateBook, where: str = ""
) -> ValidatedEntry | list[Problem]:
    problems: list[Problem] = []
    employee = md.employees.get(parsed.employee)
    if employee is None:
        problems.append(Problem(
            "unknown_employee", f"employee {parsed.employee!r} is not in master data",
            where, "employee",
        ))
    project = md.projects.get(parsed.project)
    if project is None:
        problems.append(Problem(
            "unknown_project", f"project {parsed.project!r} is not in master data",
            where, "project",
        ))
        return problems
    task = project.task(parsed.task) if parsed.task else None
    if parsed.task and task is None:
        problems.append(Problem(
            "unknown_task", f"task {parsed.task!r} is not a task of project {project.code}",
            where, "task",
        ))
    if project.status is not ProjectStatus.ACTIVE:
        problems.append(Problem(
            "project_not_active", f"project {project.code} is {project.status.value}",
            where, "project",
        ))
    entity = md.entities[project.entity]
    if entity.lock_date is not None and parsed.work_date <= entity.lock_date:
        problems.append(Problem(
            "locked_period",
            f"{parsed.work_date.isoformat()} is in the closed period of entity {entity.code} "
            f"(locked through {entity.lock_date.isoformat()})",
            where, "date",
        ))
    assignment = (project.assignment_on(employee.id, parsed.work_date)
                  if employee is not None else None)
    if employee is not None and assignment is None:
        problems.append(Problem(
            "not_assigned",
            f"employee {employee.id} is not assigned to project {project.code} on "
            f"{parsed.work_date.isoformat()}",
            where, "employee",
        ))
    contract: Contract | None = md.contracts.get(project.contract) if project.contract else None
    billable = parsed.billable and (task is None or task.billable) and contract is not None
    decision: RateDecision | None = None
    seconds_to_bill = 0
    if billable and contract is not None:
        version = contract.version_on(parsed.work_date)
        if not contract.covers(parsed.work_date) or version is None:
            end = contract.end_date.isoformat() if contract.end_date else "open"
            problems.append(Problem(
                "outside_contract_dates",
                f"{parsed.work_date.isoformat()} is outside contract {contract.id} "
                f"({contract.start_date.isoformat()} to {end})",
                where, "date",
            ))
        elif employee is not None and not problems:
            role = (assignment.role if assignment is not None and assignment.role
                    else employee.role)
            found = rates.decide(project, contract, employee.id, role, parsed.task,
                                 parsed.work_date)
            if isinstance(found, Problem):
                problems.append(Problem(found.code, found.message, where, found.field,
                                        found.details))
            else:
                decision = found
                seconds_to_bill = billable_seconds(parsed.worked_seconds, version.rounding)
    if problems:
        return problems
    entry = TimeEntry(
        source=source,
        external_id=parsed.external_id,
        employee=parsed.employee,
        project=project.code,
        task=parsed.task,
        work_date=parsed.work_date,
        worked_seconds=parsed.worked_seconds,
        billable_seconds=seconds_to_bill,
        billable=billable,
        notes=parsed.notes,
        revision=parsed.revision,
        billing=Billing.UNBILLED if billable else Billing.NON_BILLABLE,
    )
    return ValidatedEntry(entry, decision, entity.code, contract.id if contract else None)
