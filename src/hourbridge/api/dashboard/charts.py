"""Chart geometry for the dashboard's inline SVG: numbers in, rectangles out (the templates
draw them). No JavaScript: a chart is readable without it, and every figure drawn is also
written beside it as text."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

WIDTH = 480  # the drawing area of a bar, in SVG user units
BUCKET_CLASSES = {"0-30": "age0", "31-60": "age1", "61-90": "age2", "90+": "age3"}


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    css: str
    title: str


@dataclass(frozen=True)
class Bar:
    label: str
    segments: tuple[Segment, ...]
    total: str


def wip_aging(wip: dict[str, Any]) -> list[Bar]:
    """One bar per entity and currency, stacked by age bucket, lengths by open hours on a
    scale shared by all bars."""
    rows = [w for w in wip["by_entity"] if Decimal(w["hours"]) > 0]
    top = max((Decimal(w["hours"]) for w in rows), default=Decimal(0))
    bars = []
    for w in rows:
        x, segments = 0.0, []
        for b in w["buckets"]:
            length = float(Decimal(b["hours"]) / top * WIDTH) if top else 0.0
            if length > 0:
                segments.append(Segment(round(x, 2), round(length, 2),
                                        BUCKET_CLASSES[b["bucket"]],
                                        f"{b['bucket']} days: {b['hours']} h, {b['value']} "
                                        f"{w['currency']}".rstrip()))
            x += length
        bars.append(Bar(f"{w['entity']} {w['currency'] or '(no value)'}", tuple(segments),
                        f"{w['hours']} h"))
    return bars


def time_to_invoice(tti: dict[str, Any]) -> list[Bar]:
    """One bar per stage: p50 drawn over p90, in days, on one scale."""
    stages = [s for s in tti["stages"] if s["count"]]
    top = max((s["p90"] or 0 for s in stages), default=0) or 1
    bars = []
    for s in stages:
        p50, p90 = s["p50"] or 0, s["p90"] or 0
        bars.append(Bar(s["stage"].replace("_", " "), (  # a negative lag draws no bar
            Segment(0, max(0, round(p90 / top * WIDTH, 2)), "p90", f"p90 {p90} days"),
            Segment(0, max(0, round(p50 / top * WIDTH, 2)), "p50", f"p50 {p50} days"),
        ), f"p50 {p50} d, p90 {p90} d"))
    return bars
