"""The identity map: which of an ERP's customers each of ours is, so that an invoice names the
ERP's own customer and nothing is created there twice.

A customer of ours matches the ERP's customer that holds our external id; else the one with
the same VAT id (compared without spaces, dots or dashes, upper case); else the one with
exactly the same name. When a rule finds several, or one ERP customer is claimed by several
of ours through VAT id or name, nothing is guessed: a problem names the candidates and the
customer's documents wait until a person settles it (``unsettled``). A customer the ERP
lacks is no problem: its first invoice creates it, once.

Projects, where the ERP holds them, are matched the same way by external id, then code
(project number), then exact name (``match_projects``); an ERP that holds none is asked
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .erp import ErpCustomer, ErpProject
from .problems import Problem

RULES = ("external_id", "vat_id", "name")
# what an identity map maps: our customers or our projects to the ERP's
MapKind = Literal["customer", "project"]
AMBIGUOUS = "ambiguous"  # an identity-map row of a customer no rule settled (no ERP id)


@dataclass(frozen=True, slots=True)
class OurCustomer:
    customer: str
    entity: str
    external_id: str
    name: str
    vat_id: str | None = None


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    customer: str  # ours: a customer id, or a project code in a project map
    erp_id: str
    matched_by: str  # one of RULES
    erp_name: str


def _vat(value: str | None) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def match_customers(destination: str, ours: Sequence[OurCustomer],
                    theirs: Iterable[ErpCustomer]) -> tuple[list[IdentityMatch],
                                                            list[Problem]]:
    """Each of ``ours`` the ERP holds, by the first rule that finds exactly one; a problem per
    ambiguous customer (``where`` ``erp_customers[<destination>].<customer>``)."""
    erp = list(theirs)
    claimed = {c.external_id for c in ours}
    # an ERP customer carrying another customer's external id of ours belongs to that one
    free = [c for c in erp if c.external_id not in claimed]
    matches: dict[str, IdentityMatch] = {}
    problems: dict[str, Problem] = {}

    def ambiguous(c: OurCustomer, rule: str, found: Sequence[ErpCustomer]) -> None:
        ids = ", ".join(f"{f.erp_id} ({f.name})" for f in found)
        problems[c.customer] = Problem(
            "ambiguous_erp_customer",
            f"customer {c.customer} ({c.name}) matches {len(found)} customers in "
            f"{destination} by {rule}: {ids}; link one by hand or merge them in the ERP",
            f"erp_customers[{destination}].{c.customer}", rule)

    loose: list[OurCustomer] = []
    for c in ours:
        found = [e for e in erp if e.external_id == c.external_id]
        if len(found) == 1:
            matches[c.customer] = IdentityMatch(c.customer, found[0].erp_id, "external_id",
                                                found[0].name)
        elif found:
            ambiguous(c, "external_id", found)
        else:
            loose.append(c)
    taken = {m.erp_id for m in matches.values()}
    candidates: dict[str, tuple[str, list[ErpCustomer]]] = {}
    for c in loose:
        pool = [e for e in free if e.erp_id not in taken]
        for rule, same in (("vat_id", lambda e, c=c: bool(_vat(c.vat_id))
                            and _vat(e.vat_id) == _vat(c.vat_id)),
                           ("name", lambda e, c=c: e.name == c.name)):
            found = [e for e in pool if same(e)]
            if found:
                candidates[c.customer] = (rule, found)
                break
    claims: dict[str, list[str]] = {}
    for customer, (_, found) in candidates.items():
        if len(found) == 1:
            claims.setdefault(found[0].erp_id, []).append(customer)
    by_id = {c.customer: c for c in ours}
    for customer, (rule, found) in candidates.items():
        c = by_id[customer]
        if len(found) > 1:
            ambiguous(c, rule, found)
        elif len(claims[found[0].erp_id]) > 1:
            others = [o for o in claims[found[0].erp_id] if o != customer]
            problems[customer] = Problem(
                "ambiguous_erp_customer",
                f"customer {customer} ({c.name}) and {', '.join(others)} all match "
                f"{found[0].erp_id} ({found[0].name}) in {destination} by {rule}; link one by "
                "hand", f"erp_customers[{destination}].{customer}", rule)
        else:
            matches[customer] = IdentityMatch(customer, found[0].erp_id, rule, found[0].name)
    return ([matches[c.customer] for c in ours if c.customer in matches],
            [problems[c.customer] for c in ours if c.customer in problems])


def unsettled(destination: str, customer: str, note: str) -> Problem:
    """Why a document of an ambiguous customer is not queued for ``destination``."""
    return Problem("ambiguous_erp_customer", f"customer {customer} is ambiguous in "
                   f"{destination}: {note}", f"erp_customers[{destination}].{customer}",
                   "customer")


# --- projects --------------------------------------------------------------------------
PROJECT_RULES = ("external_id", "code", "name")


@dataclass(frozen=True, slots=True)
class OurProject:
    project: str  # our project code
    entity: str
    external_id: str
    name: str


def match_projects(destination: str, ours: Sequence[OurProject],
                   theirs: Iterable[ErpProject]) -> tuple[list[IdentityMatch],
                                                          list[Problem]]:
    """Each of ``ours`` the ERP holds: the ERP project carrying our external id, else the
    one whose code (project number) is our project's code, else the one with exactly our
    name. A rule that finds several, or an ERP project two of ours claim by code or name, is
    a problem (``where`` ``erp_projects[<destination>].<project>``), never a guess; a
    project the ERP lacks is no problem (lines then name none)."""
    erp = list(theirs)
    claimed = {p.external_id for p in ours}
    free = [e for e in erp if e.external_id not in claimed]
    found: dict[str, tuple[str, list[ErpProject]]] = {}
    for p in ours:
        by_id = [e for e in erp if e.external_id == p.external_id]
        if by_id:
            found[p.project] = ("external_id", by_id)
            continue
        for rule, value in (("code", p.project), ("name", p.name)):
            hits = [e for e in free if (e.code if rule == "code" else e.name) == value]
            if hits:
                found[p.project] = (rule, hits)
                break
    claims: dict[str, list[str]] = {}
    for project, (rule, hits) in found.items():
        if len(hits) == 1 and rule != "external_id":
            claims.setdefault(hits[0].erp_id, []).append(project)
    matches: list[IdentityMatch] = []
    problems: list[Problem] = []
    for p in ours:
        if p.project not in found:
            continue
        rule, hits = found[p.project]
        where = f"erp_projects[{destination}].{p.project}"
        if len(hits) > 1:
            ids = ", ".join(f"{h.erp_id} ({h.name})" for h in hits)
            problems.append(Problem(
                "ambiguous_erp_project", f"project {p.project} ({p.name}) matches {len(hits)} "
                f"projects in {destination} by {rule}: {ids}; link one by hand or merge them "
                "in the ERP", where, rule))
        elif len(claims.get(hits[0].erp_id, [])) > 1:
            others = [o for o in claims[hits[0].erp_id] if o != p.project]
            problems.append(Problem(
                "ambiguous_erp_project", f"project {p.project} ({p.name}) and "
                f"{', '.join(others)} all match {hits[0].erp_id} ({hits[0].name}) in "
                f"{destination} by {rule}; link one by hand", where, rule))
        else:
            matches.append(IdentityMatch(p.project, hits[0].erp_id, rule, hits[0].name))
    return matches, problems
