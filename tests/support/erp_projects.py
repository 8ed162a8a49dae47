"""The ``erp projects pull`` check every ERP that holds projects runs (NetSuite, Business
Central, F&O, Oracle Fusion, SAP): the ERP seeded with one project matching ours (by our
external id where the ERP keeps one, else by code), two that both carry another project's
exact name (ambiguous: an exception, never a guess) and some others (paged); the pull, the
list, a second pull that changes nothing, then the ambiguity settled in the ERP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.domain.erp import external_id


@dataclass(frozen=True)
class Seed:
    code: str
    name: str
    external_id: str | None = None


def seeds(hb: Hourbridge, entity: str, by_external_id: bool) -> tuple[list[Seed], str, str]:
    """What to put in the ERP, our project it matches and the one it makes ambiguous."""
    with hb.uow() as uow:
        ours = sorted((p for p in uow.masterdata.snapshot().projects.values()
                       if p.entity == entity), key=lambda p: p.code)
    assert len(ours) >= 2, "the firm needs two projects of the entity"
    first, second = ours[0], ours[1]
    match = (Seed("ERP-0001", f"{first.name} (ERP)", external_id(
        f"project:{entity}:{first.code}")) if by_external_id
        else Seed(first.code, f"{first.name} (ERP)"))
    return ([match, Seed("AMB-1", second.name), Seed("AMB-2", second.name),
             *(Seed(f"OTHER-{i}", f"Other project {i}") for i in range(3))],
            first.code, second.code)


def check_project_pull(hb: Hourbridge, destination: str, entity: str, by_external_id: bool,
                       seed: Callable[[list[Seed]], None], held: Callable[[], int],
                       rename: Callable[[str, str], None]) -> dict[str, Any]:
    """Run the check; ``seed`` puts projects into the ERP, ``held`` counts them there,
    ``rename`` renames one (by code) in the ERP."""
    rows, matched, ambiguous = seeds(hb, entity, by_external_id)
    seed(rows)
    before = held()
    first = hb.handle(c.PullErpProjects(destination))
    rule = "external_id" if by_external_id else "code"
    assert first["erp_projects"] == len(rows)
    assert first["matched_by"] == {rule: 1}
    assert [p["project"] for p in first["projects"]] == [matched]
    [why] = first["ambiguous"]
    assert ambiguous in why and "matches 2 projects" in why and "by name" in why
    listed = {r["project"]: r for r in hb.handle(c.ShowErpProjects(destination))}
    assert listed[matched]["matched_by"] == rule and listed[matched]["erp_id"]
    assert listed[ambiguous]["erp_id"] == "" and listed[ambiguous]["matched_by"] == "ambiguous"
    open_ = [e for e in hb.queries.exceptions() if e["reason"] == "ambiguous_erp_project"]
    assert len(open_) == 1

    second = hb.handle(c.PullErpProjects(destination))  # nothing new: nothing changes
    assert second == first and held() == before
    again = {r["project"]: r["erp_id"] for r in hb.handle(c.ShowErpProjects(destination))}
    assert again == {k: v["erp_id"] for k, v in listed.items()}
    assert len([e for e in hb.queries.exceptions()
                if e["reason"] == "ambiguous_erp_project"]) == 1

    rename("AMB-2", "Something else")  # settled in the ERP: one keeps the name
    third = hb.handle(c.PullErpProjects(destination))
    assert third["matched_by"] == {rule: 1, "name": 1} and not third["ambiguous"]
    assert [e["status"] for e in hb.queries.exceptions(status=None)
            if e["reason"] == "ambiguous_erp_project"] == ["resolved"]
    assert held() == before  # a pull never creates anything in the ERP
    print(f"erp projects {destination}: {first['erp_projects']} in the ERP, matched "
          f"{first['matched_by']}, ambiguous {len(first['ambiguous'])}; second pull same; "
          f"settled: {third['matched_by']}")
    return third
