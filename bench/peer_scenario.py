"""The month of time both sides of the "peer" benchmark (``bench/peer_tryton.py``) invoice:
seeded and deterministic, each project's total a multiple of 3 minutes so that Tryton's
hours to 0.01 h and Hourbridge's exact seconds both price it exactly; written as an
Hourbridge bundle and canonical CSV, and as the spec the Tryton driver reads."""

from __future__ import annotations

import csv
import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

SOURCE = "peer"
CURRENCY = "USD"
MONTH_START = date(2026, 10, 1)
MONTH_END = date(2026, 10, 31)
VALID_FROM = date(2026, 1, 1)
PROJECT_RATES = ("120", "135", "150", "175", "210")  # whole dollars: exact at 0.01 h
ENTRIES_PER_EMPLOYEE_DAY = 4
MIN_MINUTES, MAX_MINUTES = 15, 180


@dataclass(frozen=True)
class Scenario:
    entries: int
    seed: int
    employees: list[str]
    projects: list[tuple[str, Decimal]]  # (code, hourly rate)
    rows: list[dict[str, str]]  # canonical CSV rows: external_id, employee, project, date, ...

    def minutes_by_project(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for row in self.rows:
            out[row["project"]] += int(row["minutes"])
        return dict(out)

    def expected_by_project(self) -> dict[str, Decimal]:
        """Amount per project computed here: minutes x rate / 60, rounded half up once."""
        minutes = self.minutes_by_project()
        return {code: (Decimal(minutes.get(code, 0)) * rate / 60).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP) for code, rate in self.projects}


def _weekdays(start: date, end: date) -> list[date]:
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def build_scenario(entries: int, seed: int) -> Scenario:
    if entries < len(PROJECT_RATES):
        raise ValueError(f"entries must be at least {len(PROJECT_RATES)}")
    rng = random.Random(seed)
    days = _weekdays(MONTH_START, MONTH_END)
    n_emp = max(3, math.ceil(entries / (len(days) * ENTRIES_PER_EMPLOYEE_DAY)))
    employees = [f"E{i:04d}" for i in range(1, n_emp + 1)]
    projects = [(f"P{i:02d}", Decimal(rate)) for i, rate in enumerate(PROJECT_RATES, 1)]
    codes = [code for code, _ in projects]
    rows = []
    for i in range(entries):
        # every project gets at least one entry, the rest at random
        project = codes[i] if i < len(codes) else rng.choice(codes)
        rows.append({
            "external_id": f"PEER-{i + 1:07d}",
            "employee": rng.choice(employees),
            "project": project,
            "date": rng.choice(days).isoformat(),
            "minutes": str(rng.randint(MIN_MINUTES, MAX_MINUTES)),
            "notes": f"peer entry {i + 1}",
        })
    # Make each project's total a multiple of 3 minutes (0.05 h): Tryton invoices hours
    # rounded to 0.01 h, Hourbridge the exact seconds; so both are exact.
    last: dict[str, int] = {}
    total: dict[str, int] = defaultdict(int)
    for index, row in enumerate(rows):
        last[row["project"]] = index
        total[row["project"]] += int(row["minutes"])
    for code, index in last.items():
        short = (-total[code]) % 3
        rows[index]["minutes"] = str(int(rows[index]["minutes"]) + short)
    return Scenario(entries, seed, employees, projects, rows)


def write_bundle(sc: Scenario, path: Path) -> None:
    assignments = [{"employee": e, "valid_from": VALID_FROM.isoformat()} for e in sc.employees]
    bundle = {
        "entities": [{"code": "US", "name": "Peer Consulting LLC", "country": "US",
                      "currency": CURRENCY, "invoice_prefix": "US"}],
        "customers": [{"id": "ACME", "name": "Acme Corp", "entity": "US",
                       "currency": CURRENCY, "country": "US", "tax_exempt": True}],
        "employees": [{"id": e, "entity": "US", "role": "consultant"} for e in sc.employees],
        "contracts": [{
            "id": f"K-{code}", "customer": "ACME", "entity": "US", "currency": CURRENCY,
            "start_date": VALID_FROM.isoformat(),
            "versions": [{"version": 1, "effective_from": VALID_FROM.isoformat(),
                          "rounding": {"increment_minutes": 1, "mode": "nearest",
                                       "minimum_minutes": 0}}],
        } for code, _ in sc.projects],
        "projects": [{
            "code": code, "name": f"Project {code}", "customer": "ACME", "entity": "US",
            "contract": f"K-{code}", "assignments": assignments,
        } for code, _ in sc.projects],
        "rate_cards": [{
            "id": f"RC-{code}", "scope": "project", "scope_id": code, "currency": CURRENCY,
            "rows": [{"id": f"{code}-default", "rate": f"{rate}.00",
                      "valid_from": VALID_FROM.isoformat()}],
        } for code, rate in sc.projects],
    }
    path.write_text(json.dumps(bundle, indent=1) + "\n", encoding="utf-8")


def write_entries(sc: Scenario, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, ["external_id", "employee", "project", "date", "minutes",
                                    "notes"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(sc.rows)


def tryton_spec(sc: Scenario, db: str, uri: str, csv_path: Path, result: Path) -> dict[str, Any]:
    return {
        "database": db, "database_uri": uri,
        "company": {"name": "Peer Consulting LLC"},
        "currency": {"name": "U.S. Dollar", "symbol": "$", "code": CURRENCY,
                     "rounding": "0.01", "digits": 2},
        "fiscal_year": {"start": date(MONTH_START.year, 1, 1).isoformat(),
                        "end": date(MONTH_START.year, 12, 31).isoformat()},
        "product": {"name": "Consulting hour", "list_price": f"{sc.projects[0][1]}.00"},
        "customer": {"name": "Acme Corp"},
        "employees": [{"id": e} for e in sc.employees],
        "projects": [{"code": code, "rate": f"{rate}.00"} for code, rate in sc.projects],
        "entries_csv": str(csv_path),
        "batch": 1000,
        "result_path": str(result),
    }
