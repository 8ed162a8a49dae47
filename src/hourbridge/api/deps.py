"""Request dependencies: the ``Hourbridge`` the app was created with, and paging bounds."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from hourbridge.bootstrap import Hourbridge


def get_hourbridge(request: Request) -> Hourbridge:
    hb: Hourbridge = request.app.state.hourbridge
    return hb


HourbridgeDep = Annotated[Hourbridge, Depends(get_hourbridge)]

MAX_PAGE = 1000
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most this many (<= {MAX_PAGE})")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="skip this many first")]
