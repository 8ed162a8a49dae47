"""What a billing run reports: the drafts (every line kind counted), what stands invoiced per
contract and month before and after (``domain.invoiced``), and for every contract that
produced nothing, why, with a reason code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from hourbridge.domain.billing import DraftInvoice
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.per_snapshot import PerSnapshot
from hourbridge.domain.problems import Problem, Skip


@dataclass
class BillingReport:
    through: str
    dry_run: bool
    run_id: int | None = None
    invoices: list[dict[str, Any]] = field(default_factory=list)
    entries_billed: int = 0
    held: int = 0
    skipped: list[Skip] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    entries_covered: int = 0
    settlements: list[dict[str, Any]] = field(default_factory=list)
    not_invoiced: list[dict[str, Any]] = field(default_factory=list)
    # rate decisions: kept from approval and reused, or decided by this run; ``repriced``:
    # entries whose kept decision master data changed since approval (issue 16, item 2)
    prices_reused: int = 0
    prices_decided: int = 0
    repriced: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        totals: dict[str, Decimal] = {}
        for inv in self.invoices:
            cur = inv["currency"]
            totals[cur] = totals.get(cur, Decimal(0)) + Decimal(inv["total"])
        return {"through": self.through, "dry_run": self.dry_run, "run_id": self.run_id,
                "invoices_created": 0 if self.dry_run else len(self.invoices),
                "invoices": self.invoices, "entries_billed": self.entries_billed,
                "entries_held": self.held, "entries_covered_by_fees": self.entries_covered,
                "retainer_months_settled": self.settlements,
                "changes_since_last_run": self.changes,
                "not_invoiced": self.not_invoiced,
                "prices": {"reused_from_approval": self.prices_reused,
                           "decided_by_run": self.prices_decided,
                           "repriced_after_change": len(self.repriced),
                           "repriced_entries": self.repriced[:100]},
                "totals": {k: str(v) for k, v in sorted(totals.items())},
                "skipped": [s.as_dict() for s in self.skipped]}


def draft_summary(draft: DraftInvoice, invoice_id: int | None, tax: Any,
                  net: Decimal | None = None) -> dict[str, Any]:
    """A draft as the run reports it: ``lines`` counts every line (hours, retainer hours,
    fees, milestones, retainer fees, expenses, write-downs, adjustments), ``line_kinds`` by
    kind, so the count matches the invoice the customer gets. ``net``: ``draft.net`` where
    the caller has it already (a sum over every line's links)."""
    kinds = Counter([ln.kind for ln in draft.lines] + [c.kind for c in draft.charges])
    if net is None:
        net = draft.net
    return {
        "id": invoice_id, "entity": draft.entity, "contract": draft.contract,
        "customer": draft.customer, "period": draft.period, "currency": draft.currency,
        "lines": len(draft.lines) + len(draft.charges), "line_kinds": dict(sorted(kinds.items())),
        "entries": len(draft.entry_ids), "net": str(net),
        "tax": str(tax.amount), "total": str(net + tax.amount),
    }


_NOTHING_OPEN = ("no approved unbilled work, expense, fee, milestone or retainer fee is due "
                 "through the run's date")


def why_nothing(contract: str, skips: list[Skip], refused: list[Problem]) -> dict[str, Any]:
    """Why a contract produced no invoice in this run: a refused draft's problem (missing VAT
    id, no tax rate) first, since everything else was ready; else the reason most of its
    passed-over work shares (on_hold, over_cap, no_rate, no_fx_rate, retainer_month_open...);
    else ``nothing_open``. ``reasons`` counts every reason seen."""
    if not skips and not refused:
        # most contracts of an incremental run (those idle since the last run): no counting
        return {"contract": contract, "reason": "nothing_open", "message": _NOTHING_OPEN,
                "reasons": {}}
    counts = Counter(s.problem.code for s in skips) + Counter(p.code for p in refused)
    if refused:
        first = refused[0]
        return _nothing(contract, first.code, first.message, counts)
    code = counts.most_common(1)[0][0]
    message = next(s.problem.message for s in skips if s.problem.code == code)
    return _nothing(contract, code, message, counts)


# per snapshot, scope and date: the ``nothing_open`` record of each contract in force in the
# month. An incremental run of a firm of 2,000 contracts tested them all and built a record
# for each of the 1,900 it did not look at, every run (about 1 ms at 1M entries, issue 16,
# item 4). The records are shared by the runs of one snapshot and date: they are the
# report's output, read and serialised, never changed.
_IDLE: PerSnapshot[dict[tuple[str | None, date], tuple[dict[str, Any], ...]]] = PerSnapshot(
    lambda md: {})


def idle_contracts(md: MasterData, entity: str | None, through: date, looked_at: set[str]
                   ) -> list[dict[str, Any]]:
    """``why_nothing`` of each contract of the run's scope that it did not look at because
    nothing of theirs was open, among those in force in the month of ``through`` (ended
    contracts stay quiet), by contract."""
    known = _IDLE(md)
    records = known.get((entity, through))
    if records is None:
        if len(known) >= 16:  # a long-lived snapshot billed through many dates
            known.clear()
        month_start = through.replace(day=1)
        records = known[(entity, through)] = tuple(
            {"contract": k, "reason": "nothing_open", "message": _NOTHING_OPEN, "reasons": {}}
            for k in sorted(k.id for k in md.contracts.values()
                            if (entity is None or k.entity == entity)
                            and k.start_date <= through
                            and (k.end_date is None or k.end_date >= month_start)))
    return [r for r in records if r["contract"] not in looked_at]


def _nothing(contract: str, code: str, message: str, counts: Counter[str]) -> dict[str, Any]:
    return {"contract": contract, "reason": code, "message": message,
            "reasons": dict(sorted(counts.items()))}
