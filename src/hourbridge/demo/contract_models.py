"""Give a few demo engagements the other contract models, so one demo shows them all: a fixed
fee by schedule, milestones, a retainer with rollover, not-to-exceed caps (hold and
write-down), a fee beside hourly work, and an amendment that changes the rounding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .calendar import add_months


@dataclass(frozen=True)
class ModelPlan:
    """Which contract shows which model, and the milestones the demo reports achieved."""

    contracts: dict[str, str]  # model -> contract id
    achievements: tuple[tuple[str, str, date], ...]  # (contract, milestone, achieved on)


def _eligible(bundle: dict[str, Any], entity: str, start: date, through: date) -> list[str]:
    """Client contracts running through the whole demo, on an active project that is not the
    one the demo puts on hold (the first client project by code)."""
    projects = sorted(bundle["projects"], key=lambda p: p["code"])
    held = next(p["code"] for p in projects if not p["code"].startswith("INTERNAL"))
    active = {p["contract"] for p in projects
              if p["contract"] and p["status"] == "active" and p["code"] != held}
    out = []
    currency = {e["code"]: e["currency"] for e in bundle["entities"]}
    for k in bundle["contracts"]:
        ends = date.fromisoformat(k["end_date"]) if k["end_date"] else None
        if (k["entity"] == entity and k["id"] in active
                and k["currency"] == currency[entity]  # foreign-currency work shows FX
                and date.fromisoformat(k["start_date"]) < start
                and (ends is None or ends > through)):
            out.append(k["id"])
    return out


def fee_only_contracts(bundle: dict[str, Any], start: date, through: date) -> frozenset[str]:
    """The contracts ``apply_contract_models`` makes fee-only (the fixed fee and the
    milestones), known before it runs: the demo's no_rate noise needs hourly work."""
    return frozenset({_eligible(bundle, "DE", start, through)[-1],
                      _eligible(bundle, "US", start, through)[-1]})


def apply_contract_models(bundle: dict[str, Any], start: date, through: date) -> ModelPlan:
    """Rewrite the terms of some contracts in ``bundle`` (in place), deterministically."""
    us = _eligible(bundle, "US", start, through)
    de = _eligible(bundle, "DE", start, through)
    kon = {k["id"]: k for k in bundle["contracts"]}
    first_day = start.replace(day=1)
    first = first_day.isoformat()

    def fee_only(k: dict[str, Any]) -> None:
        for v in k["versions"]:
            v["billing_model"] = "fee_only"

    plan: dict[str, str] = {}
    # a fixed fee in three installments; its hours count towards percent complete only
    # (this contract and the milestones' are ``fee_only_contracts``)
    k = kon[de[-1]]
    fee_only(k)
    k["estimate_hours"] = "600"
    k["fee_schedule"] = [
        {"id": f"{k['id']}-FF{i}", "bill_on": add_months(first_day, i - 1).isoformat(),
         "amount": "24000.00", "description": f"Fixed fee, installment {i} of 3"}
        for i in (1, 2, 3)]
    plan["fixed_fee"] = k["id"]
    # milestones reported by the PSA: two achieved in the demo, one still open
    k = kon[us[-1]]
    fee_only(k)
    k["milestones"] = [{"id": "M1", "name": "Discovery accepted", "amount": "18500.00"},
                       {"id": "M2", "name": "Solution design signed off", "amount": "27500.00"},
                       {"id": "M3", "name": "Go-live", "amount": "32000.00"}]
    plan["milestones"] = k["id"]
    # a monthly retainer billed in advance from the demo's first month
    k = kon[us[-2]]
    k["start_date"] = first
    k["versions"] = [dict(k["versions"][0], effective_from=first)]
    k["retainer"] = {"monthly_fee": "15000.00", "included_hours": "60", "unused": "roll_over",
                     "rollover_limit_hours": "20"}
    plan["retainer"] = k["id"]
    # not-to-exceed caps: one holds work beyond 120 hours, one writes the excess down
    k = kon[us[-3]]
    k["cap"] = {"hours": "120", "over_cap": "hold"}
    k["fee_schedule"] = [{"id": f"{k['id']}-SETUP", "bill_on": first, "amount": "2500.00",
                          "description": "Setup fee"}]
    plan["cap_hold"] = k["id"]
    plan["time_and_materials_with_fee"] = k["id"]
    k = kon[de[-2]]
    k["cap"] = {"amount": "20000.00", "over_cap": "write_down"}
    plan["cap_write_down"] = k["id"]
    # an amendment from mid-demo: finer rounding from the second month on
    k = kon[de[0]]
    amended = add_months(first_day, 1).isoformat()
    k["versions"] = k["versions"] + [{
        "version": max(v["version"] for v in k["versions"]) + 1, "effective_from": amended,
        "billing_model": "time_and_materials",
        "rounding": {"increment_minutes": 6, "mode": "nearest", "minimum_minutes": 0}}]
    plan["amendment"] = k["id"]
    plan["time_and_materials"] = de[1]
    # expenses: passed on at cost, with a markup, or kept by the firm
    kon[de[1]]["expenses"] = {"billing": "at_cost"}
    kon[de[-1]]["expenses"] = {"billing": "markup", "markup_percent": "10"}
    kon[us[-1]]["expenses"] = {"billing": "not_billable"}
    plan["expenses_at_cost"] = de[1]
    plan["expenses_with_markup"] = de[-1]
    achievements = ((plan["milestones"], "M1", first_day.replace(day=20)),
                    (plan["milestones"], "M2", add_months(first_day, 1).replace(day=24)))
    return ModelPlan(plan, achievements)


_CATEGORIES = (("travel", "Train tickets", "184.60"), ("hotel", "Hotel, 2 nights", "298.00"),
               ("meals", "Team dinner", "87.40"))


def demo_expenses(bundle: dict[str, Any], plan: ModelPlan, start: date) -> bytes:
    """An expense report (CSV) for the engagements whose contracts show expense billing:
    a few costs per month from a consultant assigned to the project."""
    contracts = {plan.contracts[m] for m in ("expenses_at_cost", "expenses_with_markup")}
    contracts.add(plan.contracts["milestones"])  # not billable: the firm keeps these
    lines = ["external_id,employee,project,task,date,amount,currency,category,description,"
             "billable"]
    currency = {k["id"]: k["currency"] for k in bundle["contracts"]}
    n = 0
    for p in sorted(bundle["projects"], key=lambda p: p["code"]):
        if p["contract"] not in contracts or not p["assignments"]:
            continue
        employee = p["assignments"][0]["employee"]
        for month in range(2):
            day = add_months(start.replace(day=1), month).replace(day=9 + 3 * month)
            for category, text, amount in _CATEGORIES[month:]:
                n += 1
                lines.append(f"X{n:04d},{employee},{p['code']},,{day.isoformat()},{amount},"
                             f"{currency[p['contract']]},{category},{text},true")
    return ("\n".join(lines) + "\n").encode()
