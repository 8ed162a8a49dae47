"""ERP master data: the customers an ERP holds read into the identity map (so invoices name
the ERP's own customer and nothing is created there twice), its projects where it holds them
(so invoice lines name the ERP's own project), and a profile checked against the ERP before
the first posting (``erp check``).

The ERP is asked outside any transaction: profiles and our customers are read in one unit of
work, the answer matched (``domain.erp_identity``) and stored in another, all at once. An
ambiguous customer is an exception for finance (source ``erp``), never a guess.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from hourbridge.domain.commands import (
    CheckErp,
    PullErpCustomers,
    PullErpProjects,
    ShowErpIdentity,
    ShowErpProjects,
)
from hourbridge.domain.erp import ErpProfile, customer_party, external_id
from hourbridge.domain.erp_identity import (
    AMBIGUOUS,
    IdentityMatch,
    MapKind,
    OurCustomer,
    OurProject,
    match_customers,
    match_projects,
)
from hourbridge.domain.problems import Problem
from hourbridge.errors import InvalidInput, NotFound, SetupRefused

from .deps import Collaborators
from .ports.erp import HoldsProjects, Sink
from .ports.exceptions import NewException
from .ports.uow import UnitOfWork


def _sink(deps: Collaborators, destination: str) -> Sink:
    if deps.erp is None:
        raise SetupRefused("no ERP sinks in this process")
    return deps.erp(destination)


def _profiles(uow: UnitOfWork, destination: str | None, entity: str | None) -> list[
        ErpProfile]:
    return [p for p in uow.erp.profiles()
            if (destination is None or p.destination == destination)
            and (entity is None or p.entity == entity)]


def pull_erp_customers(cmd: PullErpCustomers, uow: UnitOfWork, now: datetime,
                       deps: Collaborators) -> dict[str, Any]:
    """Read every customer of the destination's companies and match ours to them; the
    destination's identity map becomes what this pull found."""
    with uow:
        profiles = _profiles(uow, cmd.destination, None)
        if not profiles:
            raise NotFound("ERP destination", cmd.destination)
        customers = uow.masterdata.snapshot().customers
        ours = {p.company: [] for p in profiles}  # type: dict[str, list[OurCustomer]]
        for p in profiles:
            for c in sorted(customers.values(), key=lambda c: c.id):
                if c.entity == p.entity:
                    party = customer_party(c.entity, c.id, {"name": c.name})
                    ours[p.company].append(OurCustomer(c.id, c.entity, party.external_id,
                                                       c.name, c.vat_id))
    sink = _sink(deps, cmd.destination)
    return _settle(uow, now, cmd.destination, "customer", ours, sink.customers,
                   match_customers)


def pull_erp_projects(cmd: PullErpProjects, uow: UnitOfWork, now: datetime,
                      deps: Collaborators) -> dict[str, Any]:
    """Read every project of the destination's companies and match ours to them (by our
    external id, else code, else exact name); the destination's project map becomes what
    this pull found. An ambiguous project is an exception for finance and keeps no ERP id:
    its invoice lines then name no ERP project, never a guessed one."""
    with uow:
        profiles = _profiles(uow, cmd.destination, None)
        if not profiles:
            raise NotFound("ERP destination", cmd.destination)
        projects = uow.masterdata.snapshot().projects
        ours = {p.company: [OurProject(pr.code, pr.entity,
                                       external_id(f"project:{pr.entity}:{pr.code}"), pr.name)
                            for pr in sorted(projects.values(), key=lambda pr: pr.code)
                            if pr.entity == p.entity] for p in profiles}
    sink = _sink(deps, cmd.destination)
    if not isinstance(sink, HoldsProjects):
        raise InvalidInput(f"ERP destination {cmd.destination!r} ({profiles[0].system}) "
                           "holds no projects Hourbridge reads")
    return _settle(uow, now, cmd.destination, "project", ours, sink.projects,
                   match_projects)


def _settle(uow: UnitOfWork, now: datetime, destination: str, one: MapKind,
            ours: Mapping[str, Sequence[Any]], read: Callable[[str], Iterable[Any]],
            match: Callable[[str, Sequence[Any], Sequence[Any]],
                            tuple[list[IdentityMatch], list[Problem]]]) -> dict[str, Any]:
    """One pull of ``one``'s kind (customers or projects), the same for both: what the ERP holds
    per company, matched to ``ours``; the map becomes what this pull found. An ambiguous one
    is kept without an ERP id and is an exception for finance: its documents wait (or name
    none) until a person resolves it, rather than create a third one or guess. An ambiguity
    settled since (in the ERP) has its exception resolved."""
    kind = one + "s"
    matches: list[IdentityMatch] = []
    problems: list[Problem] = []
    seen = 0
    for company, mine in ours.items():
        theirs = list(read(company))
        seen += len(theirs)
        found, trouble = match(destination, mine, theirs)
        matches += found
        problems += trouble
    held = [IdentityMatch(pr.where.rsplit(".", 1)[-1], "", AMBIGUOUS, pr.message[:200])
            for pr in problems]
    with uow:
        uow.erp.save_identity(destination, matches + held, now, one)
        uow.exceptions.add_open_once([NewException(None, "erp", None, pr, {})
                                      for pr in problems], now)
        uow.exceptions.resolve_all("erp", [f"erp_{kind}[{destination}].{m.customer}"
                                           for m in matches], now, f"erp {kind} pull")
        uow.commit()
    matched = {m.customer for m in matches}
    unsure = {pr.where.rsplit(".", 1)[-1] for pr in problems}
    return {"destination": destination, f"erp_{kind}": seen, "matched": len(matches),
            "matched_by": dict(sorted(Counter(m.matched_by for m in matches).items())),
            "missing": sorted(getattr(o, one) for os_ in ours.values() for o in os_
                              if getattr(o, one) not in matched | unsure),
            "ambiguous": [pr.message for pr in problems],
            kind: [{one: m.customer, "erp_id": m.erp_id, "matched_by": m.matched_by,
                    "erp_name": m.erp_name} for m in matches]}


def erp_projects(cmd: ShowErpProjects, uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        return uow.erp.identity_rows(cmd.destination, "project")


def erp_identity(cmd: ShowErpIdentity, uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        return uow.erp.identity_rows(cmd.destination)


def check_erp(cmd: CheckErp, uow: UnitOfWork, now: datetime,
              deps: Collaborators) -> dict[str, Any]:
    """Each profile of the entity checked by its ERP: what is missing there, per
    destination; ``ready`` when nothing is."""
    with uow:
        profiles = _profiles(uow, cmd.destination, cmd.entity)
    if not profiles:
        where = f" and destination {cmd.destination!r}" if cmd.destination else ""
        raise InvalidInput(f"no ERP profile for entity {cmd.entity!r}{where}")
    out = [{"destination": p.destination, "system": p.system,
            "missing": _sink(deps, p.destination).check(p)} for p in profiles]
    return {"entity": cmd.entity, "destinations": out,
            "ready": not any(d["missing"] for d in out)}
