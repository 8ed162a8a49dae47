"""Load a master-data bundle: all records or none."""

from __future__ import annotations

from datetime import datetime

from hourbridge.domain.bundle import Bundle, check_bundle
from hourbridge.domain.bundle_plan import LoadReport, plan_load
from hourbridge.domain.commands import LoadMasterData
from hourbridge.domain.contracts import hours_to_seconds
from hourbridge.domain.money import hours
from hourbridge.domain.problems import Problem
from hourbridge.errors import InvalidInput

from .deps import Collaborators
from .ports.uow import UnitOfWork


def load_master_data(cmd: LoadMasterData, uow: UnitOfWork, now: datetime,
                     deps: Collaborators) -> LoadReport:
    """Upsert the bundle in one transaction, nested parts merged by key (``plan_load``); raise
    ``InvalidInput`` listing every problem. A dry run checks and reports, writing nothing."""
    with uow:
        report = apply_bundle(cmd.bundle, uow, cmd.dry_run)
        if not cmd.dry_run:
            uow.commit()
    return report


def apply_bundle(bundle: Bundle, uow: UnitOfWork, dry_run: bool = False) -> LoadReport:
    """The load inside the caller's open unit of work (which commits): checked whole, then
    upserted; ``InvalidInput`` listing every problem. Confirming a CRM deal loads its draft
    through here, like any bundle."""
    stored = uow.masterdata.snapshot()
    plan = plan_load(bundle, stored)
    problems = plan.problems + check_bundle(plan.bundle, stored)
    problems += _caps_below_billed(plan.bundle, uow)
    if problems:
        raise InvalidInput(f"bundle refused: {len(problems)} problem(s)", list(problems))
    if not dry_run:
        uow.masterdata.upsert(plan.bundle)
    return LoadReport(dry_run, plan.counts, plan.changes, bundle.warnings)


def _caps_below_billed(bundle: Bundle, uow: UnitOfWork) -> list[Problem]:
    """A cap may be raised or lowered, never below what live invoices already bill."""
    capped = [k for k in bundle.contracts if k.cap is not None]
    usage = uow.contracts.usage([k.id for k in capped])
    problems: list[Problem] = []
    for k in capped:
        assert k.cap is not None
        seconds, amount = usage[k.id]
        where = bundle.origins.get(("contracts", k.id), f"contracts[{k.id}]")
        if k.cap.hours is not None and seconds > hours_to_seconds(k.cap.hours):
            problems.append(Problem(
                "cap_below_billed", f"cap of {k.cap.hours} h is below the {hours(seconds)} h "
                "already invoiced", f"{where}.cap.hours", "cap.hours"))
        if k.cap.amount is not None and amount > k.cap.amount:
            problems.append(Problem(
                "cap_below_billed", f"cap of {k.cap.amount} {k.currency} is below the "
                f"{amount} already invoiced", f"{where}.cap.amount", "cap.amount"))
    return problems
