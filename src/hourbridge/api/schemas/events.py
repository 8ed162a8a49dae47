"""Response models of the ``api/v1/events.py`` router."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EventSchemaRef(BaseModel):
    type: str = Field(examples=["hourbridge.journal.entry.ready"])
    version: int = Field(examples=[1])
    event_type: str = Field(description="the CloudEvents `type` of this version",
                            examples=["hourbridge.journal.entry.ready.v1"])
    title: str
    href: str = Field(description="where its JSON Schema is served")
