"""What Hourbridge should bill for an entry of the benchmarks' data set, computed here
independently of Hourbridge (``expected.csv``, for the billing baseline and its
cross-check): the seconds after the contract version's rounding, and the rate in force by
the documented precedence."""

from __future__ import annotations

from datetime import date
from typing import Any

from .firm import Firm

_RULES = ("employee_task", "employee", "role_task", "role", "task", "default")


class Expected:
    """The expected outcome for the entries of one ``Firm`` (rates cached per employee,
    role, task, project and contract: the stream asks the same few often)."""

    def __init__(self, firm: Firm) -> None:
        self.firm = firm
        self._candidates: dict[tuple[str, str, str, str, str], list[tuple[Any, ...]]] = {}

    def billable_seconds(self, contract: str, day: date, worked: int) -> int:
        policy = None
        for eff, pol in self.firm.versions[contract]:
            if eff <= day:
                policy = pol
        assert policy is not None, (contract, day)
        inc, mode, minimum = policy
        step = inc * 60
        whole, rest = divmod(worked, step)
        if mode == "up":
            rounded = (whole + (1 if rest else 0)) * step
        elif mode == "down":
            rounded = whole * step
        else:
            rounded = (whole + (1 if rest * 2 >= step else 0)) * step
        return max(rounded, minimum * 60)

    def rate(self, project: dict[str, Any], employee: str, role: str, task: str,
             day: date) -> str:
        """Rate in force: employee+task > employee > role+task > role > task > default, then
        contract > project > customer (nearest first) > firm card; in the contract currency."""
        k = self.firm.contract_by_id[project["contract"]]
        key = (k["id"], project["code"], employee, role, task)
        found = self._candidates.get(key)
        if found is None:
            scoped: list[tuple[int, dict[str, Any]]] = []
            by_scope = self.firm.cards_by_scope
            scoped += [(0, c) for c in by_scope.get(("contract", k["id"]), [])]
            scoped += [(1, c) for c in by_scope.get(("project", project["code"]), [])]
            depth, cust = 0, project["customer"]
            while cust is not None:
                scoped += [(2 + depth, c) for c in by_scope.get(("customer", cust), [])]
                cust = self.firm.customer_by_id[cust].get("parent")
                depth += 1
            scoped += [(1000, c) for c in by_scope.get(("firm", None), [])]
            found = []
            for scope_rank, card in scoped:
                if card["currency"] != k["currency"]:
                    continue
                for row in card["rows"]:
                    e, r, t = row.get("employee"), row.get("role"), row.get("task")
                    if (e and e != employee) or (r and r != role) or (t and t != task):
                        continue
                    rule = ("employee_task" if e and t else "employee" if e else
                            "role_task" if r and t else "role" if r else
                            "task" if t else "default")
                    until = row.get("valid_until")
                    found.append(((_RULES.index(rule), scope_rank),
                                  date.fromisoformat(row["valid_from"]),
                                  date.fromisoformat(until) if until else date.max,
                                  row["rate"], f"{card['id']}/{row['id']}"))
            found.sort(key=lambda c: c[0])
            self._candidates[key] = found
        in_force = [c for c in found if c[1] <= day <= c[2]]
        if not in_force:
            raise AssertionError(f"generator bug: no rate for {key} on {day}")
        if len(in_force) > 1 and in_force[1][0] == in_force[0][0]:
            raise AssertionError(f"generator bug: rate tie for {key} on {day}: {in_force[:2]}")
        return str(in_force[0][3])
