"""What a billing run proposes, per contract and period, and how it differs from the last run.

A month-end dry run is run again and again while approvals arrive and holds are released;
the differences say what changed since the previous run, not the whole list again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

Proposals = dict[str, dict[str, str]]  # "contract|period" -> {currency, net, entries}


def proposal_key(contract: str, period: str) -> str:
    return f"{contract}|{period}"


def diff_proposals(before: Proposals | None, after: Proposals) -> list[dict[str, Any]]:
    """Added, removed and changed invoices between two runs' proposals, in key order."""
    if before is None:
        return []
    changes: list[dict[str, Any]] = []
    for key in sorted(set(before) | set(after)):
        contract, period = key.split("|", 1)
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        row: dict[str, Any] = {"contract": contract, "period": period, "change": change,
                               "before": old, "after": new}
        if old is not None and new is not None:
            row["net_delta"] = str(Decimal(new["net"]) - Decimal(old["net"]))
            row["entries_delta"] = int(new["entries"]) - int(old["entries"])
        changes.append(row)
    return changes
