"""What stands invoiced per contract and month, and how it moved between two billing runs.

A run's "changes since the last run" compare what was invoiced (live invoices, drafts
included), what was credited and the net of both, per contract and month, as they stood after
the last real run of the same scope and as they stand after this one. Comparing standings
rather than each run's new drafts keeps the report honest: a draft left waiting between two
runs is unchanged (not "removed"), and a credit note with its rebilled draft moves invoiced
and credited by the same amount while the net stays put (not "changed" by the credit).
A dry run compares with the same baseline and adds its drafts as if written; it is never
itself a baseline, so a rehearsal never hides the real run's changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .money import round_money

# "contract|period" -> {"currency", "invoiced", "credited", "net", "documents"} as strings
Standing = dict[str, dict[str, str]]

FIGURES = ("invoiced", "credited", "net")


@dataclass(frozen=True, slots=True)
class Document:
    """One live invoice or credit note as the standing counts it (credit notes carry their
    credited net as a positive amount, as they are stored)."""

    contract: str
    period: str
    currency: str
    net: Decimal
    credit_note: bool = False


def standing_key(contract: str, period: str) -> str:
    return f"{contract}|{period}"


def standing_of(documents: Iterable[Document]) -> Standing:
    """Sum live documents per contract and month."""
    sums: dict[str, list[Any]] = {}
    for d in documents:
        acc = sums.setdefault(standing_key(d.contract, d.period),
                              [d.currency, Decimal(0), Decimal(0), 0])
        acc[2 if d.credit_note else 1] += d.net
        acc[3] += 1
    return {key: _figures(cur, invoiced, credited, count)
            for key, (cur, invoiced, credited, count) in sorted(sums.items())}


def with_drafts(standing: Mapping[str, Mapping[str, str]],
                drafts: Iterable[Mapping[str, Any]]) -> Standing:
    """The standing as if a dry run's drafts (``contract``, ``period``, ``currency``,
    ``net``) had been written."""
    out: Standing = {k: dict(v) for k, v in standing.items()}
    for d in drafts:
        key = standing_key(d["contract"], d["period"])
        old = out.get(key)
        invoiced = Decimal(old["invoiced"]) if old else Decimal(0)
        credited = Decimal(old["credited"]) if old else Decimal(0)
        count = int(old["documents"]) if old else 0
        out[key] = _figures(d["currency"], invoiced + Decimal(d["net"]), credited, count + 1)
    return dict(sorted(out.items()))


def is_standing(stored: Mapping[str, Any] | None) -> bool:
    """Whether a stored baseline has this shape: runs recorded before standings were kept
    stored their own drafts only, which cannot serve as a baseline."""
    return stored is not None and all(
        isinstance(v, Mapping) and "invoiced" in v for v in stored.values())


def diff_standing(before: Mapping[str, Mapping[str, str]] | None, after: Standing
                  ) -> list[dict[str, Any]]:
    """Per contract and month whose figures moved: before, after and the deltas. ``change``
    is ``added`` (nothing stood before), ``removed`` (nothing live stands now: voided),
    ``rebilled`` (invoiced and credited moved, the net did not) or ``changed``. No baseline
    (the scope's first real run) reports nothing."""
    if before is None:
        return []
    changes: list[dict[str, Any]] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and all(
                Decimal(old[f]) == Decimal(new[f]) for f in FIGURES):
            continue  # an unchanged draft (or invoice) is unchanged
        contract, period = key.split("|", 1)
        row: dict[str, Any] = {"contract": contract, "period": period,
                               "before": dict(old) if old else None,
                               "after": dict(new) if new else None}
        zero = {f: "0" for f in FIGURES}
        deltas = {f"{f}_delta": str(Decimal((new or zero)[f]) - Decimal((old or zero)[f]))
                  for f in FIGURES}  # both sides are in minor units already
        if old is None:
            row["change"] = "added"
        elif new is None:
            row["change"] = "removed"
        elif Decimal(deltas["net_delta"]) == 0:
            row["change"] = "rebilled"
        else:
            row["change"] = "changed"
        changes.append(row | deltas)
    return changes


def _figures(currency: str, invoiced: Decimal, credited: Decimal, count: int
             ) -> dict[str, str]:
    """Amounts in the currency's minor units: the same strings on SQLite and PostgreSQL."""
    return {"currency": currency, "invoiced": str(round_money(invoiced, currency)),
            "credited": str(round_money(credited, currency)),
            "net": str(round_money(invoiced - credited, currency)), "documents": str(count)}
