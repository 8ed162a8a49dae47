"""Request dependencies: the app's ``Hourbridge``, paging bounds, the background drain."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Query, Request

from hourbridge.bootstrap import Hourbridge

log = logging.getLogger(__name__)


def get_hourbridge(request: Request) -> Hourbridge:
    hb: Hourbridge = request.app.state.hourbridge
    return hb


HourbridgeDep = Annotated[Hourbridge, Depends(get_hourbridge)]

MAX_PAGE = 1000
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most this many (<= {MAX_PAGE})")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="skip this many first")]
# keyset paging: the next page starts after the last id of this one (stable while rows are
# added, unlike an offset)
After = Annotated[int | None, Query(ge=1, le=2**63 - 1,
                                    description="only rows with a greater id (the next page)")]


def drain_later(tasks: BackgroundTasks, hb: Hourbridge) -> None:
    """Deliver the postings a write just enqueued, after the response (the embedded worker).

    A failed drain loses nothing: the jobs stay in the outbox for the next drain.
    """
    tasks.add_task(_drain, hb)


def _drain(hb: Hourbridge) -> None:
    try:
        hb.worker.drain()
    except Exception:
        log.exception("background drain failed; the outbox keeps the jobs for the next one")
