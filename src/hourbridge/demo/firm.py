"""A seeded demo consultancy, "Ashgrove Partners": master-data bundle plus timesheet files.

Everything is built in memory from ``random.Random`` streams seeded by ``seed``, so the same
arguments always give the same bundle and the same file bytes. Standard library only; the
bundle is a JSON-ready dict in the shape of ``hourbridge.formats.bundle.BundleDocument``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .addresses import add_party_data
from .calendar import add_months, month_end
from .contract_models import fee_only_contracts
from .engagements import assign_staff, make_projects, make_rate_cards, make_tasks
from .noise import add_noise
from .roster import ENTITIES, INTERN, LIST_RATES, ROLES, list_rate, make_customers, make_employees
from .timesheets import Index, TimeFile, file_specs, regular_rows, render


@dataclass(frozen=True)
class DemoFirm:
    bundle: dict[str, Any]
    time_files: list[TimeFile]
    through: date
    expected_noise: dict[str, int]


def _bundle(seed: int, start: date, through: date, consultants: int, customers: int,
            projects: int) -> dict[str, Any]:
    rng = random.Random(f"hourbridge-demo:{seed}:masterdata")
    lock = (start - timedelta(days=1)).isoformat()
    entities = [{**e, "lock_date": lock} for e in ENTITIES]
    custs = make_customers(rng, customers)
    emps = make_employees(rng, consultants, start)
    projs, contracts = make_projects(rng, projects, custs, start, through)
    assign_staff(rng, emps, projs, contracts, start, through)
    cards = make_rate_cards(rng, emps, projs, contracts, custs, start)
    fx_rates = _swiss_client(custs, emps, projs, contracts, cards, start, through)
    # the GmbH books the LLC's intercompany charges (USD) in EUR
    fx_rates += [{"from_currency": "USD", "to_currency": "EUR",
                  "valid_from": add_months(start, i - 1).isoformat(), "rate": rate}
                 for i, rate in enumerate(("0.9212", "0.9187", "0.9235", "0.9198", "0.9241"))]
    intercompany = _cross_entity_and_day_rounding(emps, projs, contracts, start)
    return {"entities": entities, "customers": custs, "employees": emps, "projects": projs,
            "contracts": contracts, "rate_cards": cards, "fx_rates": fx_rates,
            "intercompany": intercompany}


def _swiss_client(custs: list[dict[str, Any]], emps: list[dict[str, Any]],
                  projs: list[dict[str, Any]], contracts: list[dict[str, Any]],
                  cards: list[dict[str, Any]], start: date,
                  through: date) -> list[dict[str, Any]]:
    """A Swiss client of the GmbH billed in CHF (multi-currency: WIP at each work date's
    CHF -> EUR rate, invoices at the issue date's); returns the rates for the demo period."""
    since = (start - timedelta(days=90)).isoformat()
    custs.append({"id": "ZURLINDEN", "name": "Zurlinden Maschinen AG", "entity": "DE",
                  "currency": "CHF", "country": "CH", "payment_terms_days": 30})
    contracts.append({
        "id": "SOW-DE-CH1", "customer": "ZURLINDEN", "entity": "DE", "currency": "CHF",
        "start_date": since, "end_date": None, "fx_rate_date": "work_date",
        "versions": [{"version": 1, "effective_from": since,
                      "rounding": {"increment_minutes": 15, "mode": "up"}}]})
    staff = [e for e in emps if e["entity"] == "DE" and e["role"] in ("senior", "consultant")]
    projs.append({
        "code": "ZURLINDEN-ERP", "name": "Zurlinden – ERP-Einführung", "customer": "ZURLINDEN",
        "entity": "DE", "status": "active", "contract": "SOW-DE-CH1",
        "tasks": make_tasks("DE", True, False),
        "assignments": [{"employee": e["id"], "valid_from": since, "valid_until": None,
                         "role": None} for e in staff[:2]]})
    cards.append({"id": "RC-SOW-DE-CH1", "scope": "contract", "scope_id": "SOW-DE-CH1",
                  "currency": "CHF",
                  "rows": [{"id": f"chf-{role}", "role": role, "valid_from": since,
                            "rate": list_rate(LIST_RATES["EUR"][role] * 0.95)} for role in ROLES]})
    # 1 CHF = rate EUR, one rate a month (a mid-month fixing), from before the work starts
    rates = ("1.0612", "1.0587", "1.0649", "1.0623", "1.0571", "1.0598")
    out = [{"from_currency": "CHF", "to_currency": "EUR", "valid_from": since,
            "rate": rates[0]}]
    month = start.replace(day=15)
    for rate in rates[1:]:
        if month > add_months(through, 2):
            break
        out.append({"from_currency": "CHF", "to_currency": "EUR",
                    "valid_from": month.isoformat(), "rate": rate})
        month = add_months(month, 1).replace(day=15)
    return out


def _cross_entity_and_day_rounding(employees: list[dict[str, Any]],
                                   projects: list[dict[str, Any]],
                                   contracts: list[dict[str, Any]],
                                   start: date) -> list[dict[str, Any]]:
    """A US senior also staffed on a DE engagement (an intercompany charge, US -> DE at cost
    plus 10 %), and a US contract amended to round per day from the second month. No random
    draws, so the rest of the firm stays as it was."""
    senior = next(e for e in employees if e["entity"] == "US" and e["role"] == "senior")
    open_ended = {k["id"] for k in contracts if k["end_date"] is None}
    de = next(p for p in projects if p["entity"] == "DE" and p["contract"] in open_ended
              and p["status"] == "active")
    de["assignments"].append({"employee": senior["id"], "valid_from": start.isoformat(),
                              "valid_until": None, "role": None})
    us = next(k for k in contracts if k["entity"] == "US" and k["end_date"] is None)
    us["versions"].append({"version": 2, "effective_from": add_months(start, 1).isoformat(),
                           "billing_model": "time_and_materials",
                           "rounding": {"increment_minutes": 15, "mode": "up",
                                        "minimum_minutes": 0, "per": "day"}})
    return [{"from": "US", "to": "DE", "markup_percent": "10"}]


def _intern_on_hourly_work(bundle: dict[str, Any], fee_only: frozenset[str], start: date,
                           through: date) -> None:
    """Staff the intern (on no rate card) on an hourly US engagement too: the billable hours
    the noise books there have no rate (``no_rate``). On the fee-only engagement the intern
    shadows, hours need no rate and are taken."""
    intern = next(e["id"] for e in bundle["employees"] if e["role"] == INTERN)
    kon = {k["id"]: k for k in bundle["contracts"]}
    project = next(
        p for p in sorted(bundle["projects"], key=lambda p: p["code"])
        if p["entity"] == "US" and p["status"] == "active" and p["contract"]
        and p["contract"] not in fee_only
        and date.fromisoformat(kon[p["contract"]]["start_date"]) <= start
        and (kon[p["contract"]]["end_date"] or "9999") > through.isoformat()
        and all(a["employee"] != intern for a in p["assignments"]))
    project["assignments"].append({"employee": intern, "valid_from": start.isoformat(),
                                   "valid_until": None, "role": None})


def generate_demo_firm(seed: int = 7, start: date = date(2026, 8, 1), months: int = 3,
                       consultants: int = 50, customers: int = 12,
                       projects: int = 32) -> DemoFirm:
    """A deterministic demo firm: same arguments, same bundle and same file bytes."""
    if months < 2 or consultants < 12 or customers < 6 or projects < 10:
        raise ValueError("the demo needs months >= 2, consultants >= 12, customers >= 6 "
                         "and projects >= 10")
    through = month_end(add_months(start, months - 1))
    bundle = _bundle(seed, start, through, consultants, customers, projects)
    add_party_data(bundle)
    index = Index(bundle, start, through)
    specs = file_specs(start, through)
    rng = random.Random(f"hourbridge-demo:{seed}:timesheets")
    rows = regular_rows(index, specs, rng)
    # after the regular timesheets are drawn, so they stay as they were
    fee_only = fee_only_contracts(bundle, start, through)
    _intern_on_hourly_work(bundle, fee_only, start, through)
    seen = index.seen
    index = Index(bundle, start, through, fee_only)
    index.seen = seen
    noisy, expected = add_noise(index, specs, rows, random.Random(f"hourbridge-demo:{seed}:noise"))
    files = render(specs, rows + noisy)
    files.append(files[len(specs) // 3])  # a file sent twice, byte for byte
    return DemoFirm(bundle=bundle, time_files=files, through=through, expected_noise=expected)
