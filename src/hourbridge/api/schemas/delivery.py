"""Request and response models of the ``api/v1/delivery.py`` router."""

from __future__ import annotations

import datetime as dt

from .common import Out


class DeadLetter(Out):
    id: int
    key: str
    type: str
    attempts: int
    last_error: str | None
    processed_at: dt.datetime | None



class DrainStats(Out):
    delivered: int
    retried: int
    dead: int

