"""Request and response models of the ``api/v1/health.py`` router."""

from __future__ import annotations

from typing import Literal

from .common import Out


class Health(Out):
    status: Literal["ok"] = "ok"



class Ready(Out):
    status: Literal["ready"] = "ready"
    schema_revision: str
    schema_state: Literal["current"] = "current"

