"""Id aliases over HTTP (issue 11 item 5): list a source's tracker ids as Hourbridge codes, and
add one; adding takes again at once the rows that waited in the exception queue for that id
(the same use case as ``hourbridge aliases add``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from hourbridge.domain.commands import AddAlias
from hourbridge.formats.bundle import Code

from ..auth import ActorDep
from ..deps import HourbridgeDep
from ..pages import Page, page_whole
from ..problems import problem_responses
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["master data"], responses=problem_responses(422, 500),
                   dependencies=[scoped("masterdata:read", "masterdata:write")])

Kind = Literal["user", "project", "task", "customer"]


class AliasIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Code = Field(description="a connection's name, or the `source` of an ingest")
    kind: Kind = Field(description="user -> employee id, project -> project code, task -> "
                       "task code, customer -> customer id")
    external_id: str = Field(min_length=1, max_length=200, description="the tracker's id")
    code: Code = Field(description="the Hourbridge code it means")


class Alias(BaseModel):
    source: str
    kind: str
    external_id: str
    code: str


class AliasAdded(Alias):
    was: str | None = Field(description="the code it meant before (null: new)")
    waiting: int = Field(description="rows that waited in the exception queue for this id")
    resolved: int = Field(description="of those, taken now")
    still_open: dict[str, str] = Field(description="exception id -> why it is still open")


@router.get("/aliases", response_model=Page[Alias], summary="List id aliases",
            description="Every tracker id with the Hourbridge code it means, sorted by "
            "source, kind and id; `source` limits the list to one source.")
def list_aliases(hb: HourbridgeDep, source: Annotated[str | None, Query(
        max_length=64, description="only this source's aliases")] = None) -> dict[str, Any]:
    return page_whole(hb.queries.aliases(source))


@router.post("/aliases", status_code=201, response_model=AliasAdded, summary="Add an alias",
             description="Say which code a tracker's id means (or change it); the rows that "
             "waited for that id (`unknown_alias` exceptions) are taken again at once. A code "
             "that does not exist is a 422 problem naming the codes most like it.")
def add_alias(body: AliasIn, hb: HourbridgeDep, actor: ActorDep) -> dict[str, Any]:
    shown: dict[str, Any] = hb.handle(AddAlias(body.source, body.kind, body.external_id,
                                               body.code, actor))
    shown["still_open"] = {str(k): str(v) for k, v in shown["still_open"].items()}
    return shown
