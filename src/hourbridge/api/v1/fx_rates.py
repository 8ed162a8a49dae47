"""FX rates: list them (optionally one pair, or the rate in force on a day) and load more."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from hourbridge.domain.commands import LoadMasterData
from hourbridge.formats.bundle import BundleDocument, Currency, FxRateIn, to_domain

from ..deps import HourbridgeDep
from ..pages import Page, page_whole
from ..problems import BODY_ORIGIN, problem_responses
from ..schemas.common import LoadCounts
from ..security import scoped

router = APIRouter(prefix="/v1/fx-rates", tags=["master data"],
                   responses=problem_responses(500),
                   dependencies=[scoped("masterdata:read", "masterdata:write")])

CONVENTION = ("A rate says 1 unit of `from_currency` = `rate` units of `to_currency` (the "
              "functional currency), in force from `valid_from` until the pair's next rate; "
              "only the declared direction is used.")


class FxRatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fx_rates: list[FxRateIn] = Field(min_length=1, max_length=10_000)


@router.get("", response_model=Page[FxRateIn], summary="FX rates",
            responses=problem_responses(422),
            description="Stored rates sorted by pair and date; `from_currency` and "
            "`to_currency` narrow to one pair, and `on` keeps only the rate in force on that "
            "day (the latest on or before it) per pair. " + CONVENTION)
def list_fx_rates(
    hb: HourbridgeDep,
    from_currency: Annotated[Currency | None, Query()] = None,
    to_currency: Annotated[Currency | None, Query()] = None,
    on: Annotated[dt.date | None, Query(description="only the rate in force on this day")] = None,
) -> dict[str, Any]:
    rows = [r for r in hb.queries.masterdata("fx_rates")
            if from_currency in (None, r["from_currency"])
            and to_currency in (None, r["to_currency"])]
    if on is None:
        return page_whole(rows)
    in_force: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:  # sorted by pair, then date: the last one not after ``on`` wins
        if r["valid_from"] <= on.isoformat():
            in_force[(r["from_currency"], r["to_currency"])] = r
    return page_whole(list(in_force.values()))


@router.post("", response_model=dict[str, LoadCounts], summary="Load FX rates",
             responses=problem_responses(422),
             description="Upsert rates by pair and `valid_from`, all or nothing, exactly as "
             "the bundle's `fx_rates` section (a problem's `pointer` points into this body). "
             "A rate is positive with at most 8 decimals. " + CONVENTION + " Journal "
             "entries keep the rate they used, so a later correction changes only what is "
             "booked after it.")
def load_fx_rates(body: FxRatesIn, hb: HourbridgeDep) -> dict[str, Any]:
    doc = BundleDocument(fx_rates=body.fx_rates)
    counts: dict[str, Any] = hb.handle(LoadMasterData(to_domain([(BODY_ORIGIN, doc)]))).counts
    return counts
