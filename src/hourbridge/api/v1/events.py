"""The JSON Schemas of the events Hourbridge publishes, one per type and version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from hourbridge.errors import NotFound
from hourbridge.services.event_schemas import EVENT_SCHEMAS, catalogue

from ..pages import Page, page_whole
from ..problems import problem_responses
from ..schemas.events import EventSchemaRef
from ..security import AUTHENTICATED, scoped

# the schemas document the API's own events: any authenticated client may read them
router = APIRouter(prefix="/v1/events/schemas", tags=["events"],
                   responses=problem_responses(422, 500), dependencies=[scoped(AUTHENTICATED)])


@router.get("", response_model=Page[EventSchemaRef], summary="Event schemas",
            description="Every event type the outbox, webhooks and NATS publish, each version "
            "with the path of its JSON Schema. A new version of a type stays backward "
            "compatible with every earlier one (no required field removed, no type narrowed).")
def list_event_schemas() -> dict[str, Any]:
    return page_whole(catalogue())


@router.get("/{event_type}/{version}", summary="One event schema",
            responses={**problem_responses(404),
                       200: {"description": "a JSON Schema (draft 2020-12) of the whole "
                                            "CloudEvents envelope and its data",
                             "content": {"application/schema+json": {}}}},
            description="The JSON Schema of `event_type` (without its version suffix, e.g. "
            "`hourbridge.journal.entry.ready`) at `version` (`1` or `v1`).")
def event_schema(
    event_type: Annotated[str, Path(min_length=1, max_length=200,
                                    pattern=r"^[a-z0-9_.]+$")],
    version: Annotated[str, Path(pattern=r"^v?[0-9]{1,4}$")],
) -> dict[str, Any]:
    schema = EVENT_SCHEMAS.get((event_type, int(version.lstrip("v"))))
    if schema is None:
        raise NotFound("event schema", f"{event_type}.v{version.lstrip('v')}")
    return schema
