"""Master data: list each kind, load a bundle (the same format as ``hourbridge load``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, TypeAdapter

from hourbridge.domain.commands import LoadMasterData
from hourbridge.formats.bundle import (
    BundleDocument,
    ContractIn,
    CustomerIn,
    EmployeeIn,
    EntityIn,
    ProjectIn,
    RateCardIn,
    to_domain,
)
from hourbridge.formats.checks import STORED

from ..auth import PrincipalDep
from ..deprecation import note_deprecated
from ..deps import HourbridgeDep
from ..pages import Page, page_whole
from ..problems import BODY_ORIGIN, problem_responses
from ..schemas.common import LoadResult
from ..security import requires, scoped

router = APIRouter(prefix="/v1", tags=["master data"], responses=problem_responses(500),
                   dependencies=[scoped("masterdata:read", "masterdata:write")])

# path, read-model kind, record model, summary
_KINDS: tuple[tuple[str, str, type[BaseModel], str], ...] = (
    ("entities", "entities", EntityIn, "Legal entities"),
    ("customers", "customers", CustomerIn, "Customers"),
    ("employees", "employees", EmployeeIn, "Employees"),
    ("projects", "projects", ProjectIn, "Projects with tasks and assignments"),
    ("contracts", "contracts", ContractIn, "Contracts with their versions"),
    ("rate-cards", "rate_cards", RateCardIn, "Rate cards with their rows"),
)


# the field naming a record's legal entity; rate cards name none, so a key limited to
# entities sees none of them
_ENTITY_FIELD = {"entities": "code", "customers": "entity", "employees": "entity",
                 "projects": "entity", "contracts": "entity"}
# fields shown only to a principal with `people:read` (pay and personal data)
_PEOPLE_FIELDS = {"employees": ("cost_rates",)}


def _lister(kind: str, model: type[BaseModel]) -> Callable[[HourbridgeDep, PrincipalDep],
                                                           Response]:
    records = TypeAdapter(list[model])  # type: ignore[valid-type]

    def list_records(hb: HourbridgeDep, principal: PrincipalDep) -> Response:
        stored = hb.queries.masterdata(kind)
        if principal.entities is not None:
            field = _ENTITY_FIELD.get(kind)
            stored = [r for r in stored if field is not None and principal.sees(r.get(field))]
        # read back in the bundle's shape, without the load-time reference checks: a record an
        # earlier version stored (say a VAT id it took) stays listable
        rows = records.validate_python(stored, context=STORED)
        shown = records.dump_python(rows, mode="json", by_alias=True)
        if not principal.allows("people:read"):
            for row in shown:
                for hidden in _PEOPLE_FIELDS.get(kind, ()):
                    row.pop(hidden, None)
        return JSONResponse(page_whole(shown))

    return list_records


for _path, _kind, _model, _summary in _KINDS:
    router.add_api_route(
        f"/{_path}", _lister(_kind, _model), methods=["GET"], response_model=Page[_model],  # type: ignore[valid-type]
        summary=_summary, name=f"list_{_kind}",
        dependencies=[requires("masterdata:read", entities=True)],
        description=f"Every stored record, sorted by key, in the bundle's `{_kind}` shape"
        + (" (`cost_rates` only with the scope `people:read`)." if _kind == "employees"
           else "."),
    )


@router.post(
    "/master-data", response_model=LoadResult, summary="Load a master-data bundle",
    responses=problem_responses(422),
    description="Upsert every record of the bundle by its key, all or nothing; the body is one "
    "bundle document (see `hourbridge schema export`). Nested parts (tasks, assignments, "
    "versions, rate rows, ...) merge by their key: parts the body does not name stay; a part "
    "with `remove: true` is removed, and `replace=true` makes each record's parts exactly the "
    "body's. Shape errors and cross-reference errors (an unknown entity, a duplicate key, ...) "
    "come back as a 422 problem whose `errors` point into the body. Loading the same bundle "
    "again changes nothing (all `unchanged`), so a retry is safe. Returns created/updated/"
    "unchanged counts per kind and every change (added, changed field by field, removed) per "
    "record and nested part; `dry_run=true` returns the same and writes nothing.",
)
def load_master_data(doc: BundleDocument, hb: HourbridgeDep,
                     dry_run: Annotated[bool, Query(
                         description="check and report, write nothing")] = False,
                     replace: Annotated[bool, Query(
                         description="nested parts become exactly the body's")] = False,
                     ) -> dict[str, Any]:
    report = hb.handle(LoadMasterData(to_domain([(BODY_ORIGIN, doc)], replace_parts=replace),
                                      dry_run=dry_run))
    for warning in report.warnings:  # old names in the body: a Deprecation header too
        note_deprecated(warning)
    result: dict[str, Any] = report.as_dict()
    return result
