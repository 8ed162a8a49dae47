"""A seeded, streaming generator of a large firm for the benchmarks.

At ``entries=1_000_000``: 3,000 employees, 5,000 client projects (+ one internal project per
entity), 2,000 contracts (1–3 versions each = amendments, with different rounding policies),
rate cards with effective-dated rows that change mid-period, two legal entities in two
currencies (US/USD, DE/EUR) and 50,000 expenses. Smaller ``entries`` scale every count down
proportionally, keeping at least a handful of each.

Master data is built in memory (it is small); time entries and expenses are written row by
row while they are generated, so memory stays flat whatever the size. Everything comes from
``random.Random`` streams seeded by ``seed``: the same (seed, entries) gives the same bytes.

Files, in ``<workdir>/data/seed<seed>-<entries>/``:

``firm.json``      master-data bundle (``hourbridge load firm.json``)
``entries.csv``    canonical CSV, header ``external_id,employee,project,task,date,hours,notes``;
                   ids ``C0000001``…
``entries.json``   the same rows as a JSON list, ids ``J0000001``… (same content, so ingesting
                   both into one database would make the second file all ``duplicate_entry``:
                   the benchmarks ingest each into its own fresh database). One object per
                   line, so it can also be streamed line by line.
``expenses.csv``   external_id, employee, project, date, amount, currency, category, billable
``expected.csv``   per billable entry of ``entries.csv``: external_id, contract, month,
                   billable_seconds, rate, currency: what Hourbridge should bill, computed here
                   independently (rounding by contract version, rate by the documented
                   precedence) for the billing baseline and its cross-check
``manifest.json``  counts and dates; written last, so its presence means the data is complete

Every row is valid: the employee is assigned to the project on the date, the project is
active, the contract and one of its versions cover the date, exactly one rate row wins.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from stdnum.at import uid as at_uid
from stdnum.iso7064 import mod_11_10

GENERATOR_VERSION = 4
FULL_SCALE = 1_000_000
# counts at 1,000,000 entries, and the least we keep at small scales
_FULL = {"employees": 3000, "projects": 5000, "contracts": 2000, "customers": 800,
         "expenses": 50_000}
_MIN = {"employees": 12, "projects": 10, "contracts": 6, "customers": 4, "expenses": 10}

START = date(2025, 3, 1)
END = date(2025, 6, 30)  # ~4 months of work; bill through END
LOCK = START - timedelta(days=1)
FIRM_RATE_CHANGE = date(2025, 4, 16)  # annual increase of two roles on the firm cards
SINCE = date(2024, 1, 1)

ROLES = ("partner", "manager", "senior", "consultant", "analyst")
_ROLE_SHARE = (("partner", 0.08), ("manager", 0.16), ("senior", 0.24), ("analyst", 0.2))
_LIST = {
    "USD": {"partner": 295, "manager": 240, "senior": 195, "consultant": 160, "analyst": 125},
    "EUR": {"partner": 270, "manager": 215, "senior": 175, "consultant": 140, "analyst": 105},
}
_ENTITIES = (
    {"code": "US", "name": "Bench Partners LLC", "country": "US", "currency": "USD",
     "invoice_prefix": "US", "lock_date": LOCK.isoformat(),
     "tax_rates": {"standard": "6.25", "zero": "0"}},  # percent
    {"code": "DE", "name": "Bench Partners GmbH", "country": "DE", "currency": "EUR",
     "invoice_prefix": "DE", "lock_date": LOCK.isoformat(),
     "tax_rates": {"standard": "19", "reduced": "7"},
     "accounts": {"receivables": "1400", "unbilled_receivables": "1410",
                  "tax_payable": "1776", "revenue": "8400", "revenue_adjustments": "8700"}},
)
_CURRENCY = {"US": "USD", "DE": "EUR"}
# (increment minutes, mode, minimum minutes)
_ROUNDING = ((6, "up", 0), (15, "up", 0), (6, "nearest", 0), (15, "nearest", 0),
             (15, "up", 15), (1, "up", 0))
_TASKS = (("ANALYSIS", "Analysis & design"), ("PM", "Project management"),
          ("DEV", "Development"), ("WORKSHOP", "Workshops"))
_NOTES = {
    "US": ("Requirements analysis", "Code review", "Steering committee prep",
           "Data quality review", "Workshop facilitation", "Sprint planning",
           "Status report", "Process mapping", "Deployment prep", "Client check-in call"),
    "DE": ("Anforderungsanalyse – Einkauf", "Code-Review", "Lenkungskreis vorbereiten",
           "Datenqualitätsanalyse", "Workshop moderiert", "Sprintplanung", "Statusbericht",
           "Prozessaufnahme: Auftragsabwicklung", "Fehlerbehebung", "Jour fixe mit Kunde"),
}
_EXPENSE_CATEGORIES = (("travel", 80, 900), ("hotel", 90, 400), ("meals", 8, 120),
                       ("software", 10, 300), ("mileage", 5, 150))
CSV_HEADER = ("external_id", "employee", "project", "task", "date", "hours", "notes")
EXPENSE_HEADER = ("external_id", "employee", "project", "date", "amount", "currency",
                  "category", "billable")
EXPECTED_HEADER = ("external_id", "contract", "month", "billable_seconds", "rate", "currency")
_RULES = ("employee_task", "employee", "role_task", "role", "task", "default")


def scaled_counts(entries: int) -> dict[str, int]:
    scale = entries / FULL_SCALE
    counts = {k: max(_MIN[k], round(v * scale)) for k, v in _FULL.items()}
    counts["contracts"] = min(counts["contracts"], counts["projects"])
    counts["customers"] = min(counts["customers"], counts["contracts"])
    counts["entries"] = entries
    return counts



def _vat_id(country: str, rng: random.Random) -> str | None:
    """A fictitious VAT id with a valid check digit (load checks it): the same random draw as
    before, its last digit replaced by the check digit."""
    if country == "DE":
        digits = str(rng.randint(100_000_000, 999_999_999))[:8]
        return f"DE{digits}{mod_11_10.calc_check_digit(digits)}"
    if country == "AT":
        digits = "U" + str(rng.randint(10_000_000, 99_999_999))[:7]
        return f"AT{digits}{at_uid.calc_check_digit(digits)}"
    return None

@dataclass(frozen=True)
class Dataset:
    """A generated data set on disk."""

    directory: Path
    manifest: dict[str, Any]

    @property
    def firm(self) -> Path:
        return self.directory / "firm.json"

    @property
    def entries_csv(self) -> Path:
        return self.directory / "entries.csv"

    @property
    def entries_json(self) -> Path:
        return self.directory / "entries.json"

    @property
    def expenses_csv(self) -> Path:
        return self.directory / "expenses.csv"

    @property
    def expected_csv(self) -> Path:
        return self.directory / "expected.csv"

    @property
    def entries(self) -> int:
        return int(self.manifest["counts"]["entries"])

    @property
    def through(self) -> str:
        return str(self.manifest["through"])

    def bundle(self) -> dict[str, Any]:
        with self.firm.open(encoding="utf-8") as f:
            data: dict[str, Any] = json.load(f)
        return data


def iter_json_rows(path: Path) -> Iterator[str]:
    """The objects of an ``entries.json`` written here, one JSON text each, without parsing."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line in ("[", "]", ""):
                continue
            yield line.rstrip(",")


# --- master data ---------------------------------------------------------------------------
def _price(value: float) -> Decimal:
    fives = (Decimal(str(value)) / 5).quantize(Decimal(1), ROUND_HALF_UP) * 5
    return min(max(fives, Decimal(60)), Decimal(450)).quantize(Decimal("0.01"))


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


class _Firm:
    """Master data as bundle dicts plus the indexes the entry stream and the rate resolver use."""

    def __init__(self, seed: int, counts: dict[str, int]) -> None:
        rng = random.Random(f"hourbridge-bench:{seed}:masterdata")
        self.rng = rng
        self.counts = counts
        self.customers = self._customers(counts["customers"])
        self.contracts = self._contracts(counts["contracts"])
        self.projects = self._projects(counts["projects"])
        self.employees = self._employees(counts["employees"])
        self._assign()
        self.cards = self._rate_cards()
        self._index()

    # customers -----------------------------------------------------------------------------
    def _customers(self, n: int) -> list[dict[str, Any]]:
        rng = self.rng
        n_de = max(2, n * 2 // 5)
        out: list[dict[str, Any]] = []
        for ent, count in (("US", n - n_de), ("DE", n_de)):
            mine: list[dict[str, Any]] = []
            for i in range(count):
                country = ent if ent == "US" or rng.random() > 0.1 else "AT"
                parent = None
                if i >= 2 and rng.random() < 0.06:  # a subsidiary of an earlier customer
                    parent = rng.choice([c for c in mine if c["parent"] is None])["id"]
                cid = f"{ent}C{len(mine) + 1:05d}"
                mine.append({
                    "id": cid, "name": f"Customer {cid}", "entity": ent,
                    "currency": _CURRENCY[ent], "country": country, "parent": parent,
                    "vat_id": _vat_id(country, rng),
                    "tax_exempt": ent == "US" and rng.random() < 0.03,
                    "tax_code": "zero" if country == "AT" else "standard",
                    "payment_terms_days": rng.choice((14, 30, 30, 45, 60)),
                })
            out += mine
        for ent in ("US", "DE"):  # the firm itself, for internal projects
            out.append({"id": f"FIRM-{ent}", "name": f"Bench Partners {ent}", "entity": ent,
                        "currency": _CURRENCY[ent], "country": ent, "tax_code": "zero",
                        "payment_terms_days": 0})
        return out

    # contracts (with amendments) ----------------------------------------------------------
    def _contracts(self, n: int) -> list[dict[str, Any]]:
        rng = self.rng
        clients = [c for c in self.customers if not c["id"].startswith("FIRM-")]
        out: list[dict[str, Any]] = []
        for i in range(n):
            cust = clients[i] if i < len(clients) else rng.choice(clients)
            r = rng.random()
            if r < 0.05:  # signed during the period
                start = _day_between(rng, START + timedelta(days=7), END - timedelta(days=45))
            else:
                start = START - timedelta(days=rng.randint(30, 400))
            r = rng.random()
            if r < 0.05:  # ends during the period
                end: date | None = _day_between(rng, max(start, START) + timedelta(days=30),
                                                END - timedelta(days=10))
            elif r < 0.4:
                end = date(2025, 12, 31)
            else:
                end = None
            n_versions = rng.choices((1, 2, 3), (50, 35, 15))[0]
            effective = [start]
            last = (end or END) - timedelta(days=7)
            for _ in range(n_versions - 1):  # amendments during the period
                lo = max(effective[-1], START) + timedelta(days=7)
                if lo >= last:
                    break
                effective.append(_day_between(rng, lo, min(last, lo + timedelta(days=60))))
            policies = rng.sample(_ROUNDING, len(effective))
            kid = f"K{i + 1:05d}"
            out.append({
                "id": kid, "customer": cust["id"], "entity": cust["entity"],
                "currency": cust["currency"], "start_date": start.isoformat(),
                "end_date": end.isoformat() if end else None,
                "versions": [
                    {"version": v + 1, "effective_from": eff.isoformat(),
                     "billing_model": "time_and_materials",
                     "rounding": {"increment_minutes": inc, "mode": mode,
                                  "minimum_minutes": minimum}}
                    for v, (eff, (inc, mode, minimum)) in enumerate(
                        zip(effective, policies, strict=True))
                ],
            })
        return out

    # projects -----------------------------------------------------------------------------
    def _projects(self, n: int) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []
        for i in range(n):
            k = self.contracts[i] if i < len(self.contracts) else rng.choice(self.contracts)
            tasks = [{"code": c, "name": name, "billable": True} for c, name in _TASKS
                     if c != "WORKSHOP" or rng.random() < 0.5]
            tasks.append({"code": "TRAVEL", "name": "Travel time", "billable": False})
            out.append({
                "code": f"P{i + 1:05d}", "name": f"Engagement {i + 1} for {k['customer']}",
                "customer": k["customer"], "entity": k["entity"], "status": "active",
                "contract": k["id"], "tasks": tasks, "assignments": [],
            })
        for ent in ("US", "DE"):
            out.append({
                "code": f"INTERNAL-{ent}", "name": f"Internal time {ent}",
                "customer": f"FIRM-{ent}", "entity": ent, "status": "active", "contract": None,
                "tasks": [{"code": "ADMIN", "name": "Administration", "billable": False},
                          {"code": "TRAINING", "name": "Training", "billable": False}],
                "assignments": [],
            })
        return out

    # employees ----------------------------------------------------------------------------
    def _employees(self, n: int) -> list[dict[str, Any]]:
        rng = self.rng
        n_de = max(6, n * 2 // 5)
        staff: list[tuple[str, str]] = []
        for ent, count in (("US", n - n_de), ("DE", n_de)):
            shares = {r: max(1, round(count * s)) for r, s in _ROLE_SHARE}
            shares["consultant"] = max(1, count - sum(shares.values()))
            staff += [(ent, r) for r in ROLES for _ in range(shares[r])]
        rng.shuffle(staff)
        return [{"id": f"E{i + 1:05d}", "entity": ent, "role": role,
                 "department": rng.choice(("Strategy", "Technology", "Operations", "Data")),
                 "timezone": "America/New_York" if ent == "US" else "Europe/Berlin",
                 "hours_per_day": "8",
                 "cost_rates": [{"valid_from": SINCE.isoformat(), "currency": _CURRENCY[ent],
                                 "rate": str(_price(_LIST[_CURRENCY[ent]][role] * 0.45))}]}
                for i, (ent, role) in enumerate(staff)]

    # assignments --------------------------------------------------------------------------
    def _assign(self) -> None:
        rng = self.rng
        kon = {k["id"]: k for k in self.contracts}

        def add(p: dict[str, Any], emp: dict[str, Any]) -> None:
            if any(a["employee"] == emp["id"] for a in p["assignments"]):
                return
            k = kon[p["contract"]]
            since = date.fromisoformat(k["start_date"])
            until = date.fromisoformat(k["end_date"]) if k["end_date"] else None
            r = rng.random()
            if r < 0.05 and since < START and until is None:  # staffed later
                since = _day_between(rng, START + timedelta(days=5), END - timedelta(days=40))
            elif r < 0.10 and since < START and (until is None or until > END):
                # rolled off during the period
                until = _day_between(rng, START + timedelta(days=40), END - timedelta(days=5))
            if emp["role"] == "senior" and rng.random() < 0.2:
                # acting engagement manager from a date on: a second assignment with a role
                switch = _day_between(rng, max(since, START) + timedelta(days=10),
                                      max(since, START) + timedelta(days=60))
                if until is None or switch < until:
                    p["assignments"].append({"employee": emp["id"],
                                             "valid_from": since.isoformat(),
                                             "valid_until": (switch - timedelta(days=1))
                                             .isoformat(), "role": None})
                    p["assignments"].append({"employee": emp["id"],
                                             "valid_from": switch.isoformat(),
                                             "valid_until": until.isoformat() if until else None,
                                             "role": "manager"})
                    return
            p["assignments"].append({"employee": emp["id"], "valid_from": since.isoformat(),
                                     "valid_until": until.isoformat() if until else None,
                                     "role": None})

        for ent in ("US", "DE"):
            staff = [e for e in self.employees if e["entity"] == ent]
            client = [p for p in self.projects if p["entity"] == ent and p["contract"]]
            internal = next(p for p in self.projects if p["code"] == f"INTERNAL-{ent}")
            for emp in staff:
                internal["assignments"].append({"employee": emp["id"],
                                                "valid_from": SINCE.isoformat(),
                                                "valid_until": None, "role": None})
            if not client:
                continue
            for j, p in enumerate(client):  # every project gets someone
                add(p, staff[j % len(staff)])
            load: dict[str, int] = {}
            for p in client:
                for a in p["assignments"]:
                    load[a["employee"]] = load.get(a["employee"], 0) + 1
            for emp in staff:  # and everyone gets two or three client projects
                want = rng.choice((2, 2, 3))
                for p in rng.sample(client, min(len(client), 4)):
                    if load.get(emp["id"], 0) >= want:
                        break
                    if not any(a["employee"] == emp["id"] for a in p["assignments"]):
                        add(p, emp)
                        load[emp["id"]] = load.get(emp["id"], 0) + 1

    # rate cards ---------------------------------------------------------------------------
    def _rate_cards(self) -> list[dict[str, Any]]:
        rng = self.rng
        cards: list[dict[str, Any]] = []
        for ent, cur in _CURRENCY.items():
            rows: list[dict[str, Any]] = []
            for role, price in _LIST[cur].items():
                rid = f"{cur.lower()}-{role}"
                if role in ("consultant", "analyst"):  # annual increase mid-period
                    rows.append({"id": rid, "role": role, "rate": str(_price(price)),
                                 "valid_from": SINCE.isoformat(), "valid_until":
                                 (FIRM_RATE_CHANGE - timedelta(days=1)).isoformat()})
                    rows.append({"id": f"{rid}-2025", "role": role,
                                 "rate": str(_price(price * 1.06)),
                                 "valid_from": FIRM_RATE_CHANGE.isoformat()})
                else:
                    rows.append({"id": rid, "role": role, "rate": str(_price(price)),
                                 "valid_from": SINCE.isoformat()})
            staff = [e for e in self.employees if e["entity"] == ent]
            named = rng.sample(staff, max(1, len(staff) // 100))
            for emp in named:  # a named person's negotiated rate beats any role rate
                rows.append({"id": f"{cur.lower()}-{emp['id'].lower()}", "employee": emp["id"],
                             "rate": str(_price(_LIST[cur][emp["role"]] * 1.1)),
                             "valid_from": SINCE.isoformat()})
                if rng.random() < 0.3:
                    rows.append({"id": f"{cur.lower()}-{emp['id'].lower()}-ws",
                                 "employee": emp["id"], "task": "WORKSHOP",
                                 "rate": str(_price(_LIST[cur][emp["role"]] * 1.2)),
                                 "valid_from": SINCE.isoformat()})
            cards.append({"id": f"FIRM-{cur}", "scope": "firm", "scope_id": None,
                          "currency": cur, "rows": rows})
        for k in self.contracts:
            if rng.random() >= 0.5:
                continue
            cur = k["currency"]
            start = date.fromisoformat(k["start_date"])
            discount = rng.choice((0.85, 0.9, 0.92, 0.95))
            rows = []
            for role in rng.sample(ROLES, rng.randint(2, 5)):
                rid = f"{k['id'].lower()}-{role}"
                rate = _price(_LIST[cur][role] * discount)
                first = max(start, START) + timedelta(days=14)
                if rng.random() < 0.3 and first < END - timedelta(days=14):
                    change = _day_between(rng, first, END - timedelta(days=14))
                    rows.append({"id": rid, "role": role, "rate": str(rate),
                                 "valid_from": start.isoformat(),
                                 "valid_until": (change - timedelta(days=1)).isoformat()})
                    rows.append({"id": f"{rid}-v2", "role": role,
                                 "rate": str(_price(float(rate) * 1.05)),
                                 "valid_from": change.isoformat()})
                else:
                    rows.append({"id": rid, "role": role, "rate": str(rate),
                                 "valid_from": start.isoformat()})
            if rng.random() < 0.4:
                rows.append({"id": f"{k['id'].lower()}-manager-pm", "role": "manager",
                             "task": "PM", "rate": str(_price(_LIST[cur]["manager"] * 0.8)),
                             "valid_from": start.isoformat()})
            cards.append({"id": f"RC-{k['id']}", "scope": "contract", "scope_id": k["id"],
                          "currency": cur, "rows": rows})
        for c in self.customers:
            if c["id"].startswith("FIRM-") or rng.random() >= 0.1:
                continue
            cur = c["currency"]
            cards.append({"id": f"RC-{c['id']}", "scope": "customer", "scope_id": c["id"],
                          "currency": cur,
                          "rows": [{"id": f"{c['id'].lower()}-{r}", "role": r,
                                    "rate": str(_price(_LIST[cur][r] * 0.93)),
                                    "valid_from": SINCE.isoformat()}
                                   for r in rng.sample(ROLES, 2)]})
        for p in self.projects:
            if not p["contract"] or rng.random() >= 0.05:
                continue
            cur = _CURRENCY[p["entity"]]
            cards.append({"id": f"RC-{p['code']}", "scope": "project", "scope_id": p["code"],
                          "currency": cur,
                          "rows": [{"id": f"{p['code'].lower()}-analyst", "role": "analyst",
                                    "rate": str(_price(_LIST[cur]["analyst"] * 1.1)),
                                    "valid_from": SINCE.isoformat()}]})
        return cards

    # indexes for the stream and the resolver ---------------------------------------------
    def _index(self) -> None:
        self.contract_by_id = {k["id"]: k for k in self.contracts}
        self.customer_by_id = {c["id"]: c for c in self.customers}
        self.versions: dict[str, list[tuple[date, tuple[int, str, int]]]] = {}
        for k in self.contracts:
            self.versions[k["id"]] = sorted(
                (date.fromisoformat(v["effective_from"]),
                 (v["rounding"]["increment_minutes"], v["rounding"]["mode"],
                  v["rounding"]["minimum_minutes"]))
                for v in k["versions"])
        self.cards_by_scope: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        for card in self.cards:
            self.cards_by_scope.setdefault((card["scope"], card["scope_id"]), []).append(card)
        # employee -> [(project, task codes, billable task codes, valid_from, valid_until, role)]
        self.work: dict[str, list[tuple[dict[str, Any], date, date, str | None]]] = {}
        for p in self.projects:
            for a in p["assignments"]:
                since = date.fromisoformat(a["valid_from"])
                until = date.fromisoformat(a["valid_until"]) if a["valid_until"] else END
                self.work.setdefault(a["employee"], []).append((p, since, until, a["role"]))
        self.role_of = {e["id"]: e["role"] for e in self.employees}
        self._candidates: dict[tuple[str, str, str, str, str], list[tuple[Any, ...]]] = {}

    def bundle(self) -> dict[str, Any]:
        return {"entities": list(_ENTITIES), "customers": self.customers,
                "employees": self.employees, "projects": self.projects,
                "contracts": self.contracts, "rate_cards": self.cards}

    # the expected outcome, computed independently of Hourbridge ---------------------------
    def billable_seconds(self, contract: str, day: date, worked: int) -> int:
        policy = None
        for eff, pol in self.versions[contract]:
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
        k = self.contract_by_id[project["contract"]]
        key = (k["id"], project["code"], employee, role, task)
        found = self._candidates.get(key)
        if found is None:
            scoped: list[tuple[int, dict[str, Any]]] = []
            scoped += [(0, c) for c in self.cards_by_scope.get(("contract", k["id"]), [])]
            scoped += [(1, c) for c in self.cards_by_scope.get(("project", project["code"]), [])]
            depth, cust = 0, project["customer"]
            while cust is not None:
                scoped += [(2 + depth, c) for c in self.cards_by_scope.get(("customer", cust), [])]
                cust = self.customer_by_id[cust].get("parent")
                depth += 1
            scoped += [(1000, c) for c in self.cards_by_scope.get(("firm", None), [])]
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


def _workdays(first: date, last: date) -> list[date]:
    days, d = [], first
    while d <= last:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    return days


def _share(total: int, slots: int, k: int) -> int:
    """How many of ``total`` items fall in slot ``k`` of ``slots`` (evenly, exactly total)."""
    return (k + 1) * total // slots - k * total // slots


def _write(directory: Path, seed: int, counts: dict[str, int]) -> dict[str, Any]:
    firm = _Firm(seed, counts)
    with (directory / "firm.json").open("w", encoding="utf-8") as f:
        json.dump(firm.bundle(), f, ensure_ascii=False, indent=1)
    rng = random.Random(f"hourbridge-bench:{seed}:entries")
    days = _workdays(START, END)
    people = firm.employees
    slots = len(days) * len(people)
    n_entries, n_expenses = counts["entries"], counts["expenses"]
    stats = {"billable": 0, "non_billable": 0, "expenses": 0, "hours": Decimal(0)}
    seq = 0
    slot = 0
    with (directory / "entries.csv").open("w", encoding="utf-8", newline="") as fc, \
         (directory / "entries.json").open("w", encoding="utf-8") as fj, \
         (directory / "expected.csv").open("w", encoding="utf-8", newline="") as fe, \
         (directory / "expenses.csv").open("w", encoding="utf-8", newline="") as fx:
        wc, we, wx = csv.writer(fc), csv.writer(fe), csv.writer(fx)
        wc.writerow(CSV_HEADER)
        we.writerow(EXPECTED_HEADER)
        wx.writerow(EXPENSE_HEADER)
        fj.write("[\n")
        first_json = True
        for day in days:
            month = day.isoformat()[:7]
            for emp in people:
                n = _share(n_entries, slots, slot)
                x = _share(n_expenses, slots, slot)
                slot += 1
                if not n and not x:
                    continue
                eid = emp["id"]
                open_ = [w for w in firm.work[eid] if w[1] <= day <= w[2]]
                client = [w for w in open_ if w[0]["contract"]]
                internal = [w for w in open_ if not w[0]["contract"]]
                for _ in range(n):
                    seq += 1
                    if not client or rng.random() < 0.08:
                        project, _, _, role_override = internal[0]
                        task = rng.choice(("ADMIN", "TRAINING"))
                    else:
                        project, _, _, role_override = rng.choice(client)
                        tasks = [t["code"] for t in project["tasks"]]
                        task = ("TRAVEL" if rng.random() < 0.04 else
                                rng.choice([t for t in tasks if t != "TRAVEL"]))
                    hours = Decimal(rng.randint(10, 400)) / 100  # 0.10 .. 4.00
                    hours_text = f"{hours:.2f}"
                    note = f"{rng.choice(_NOTES[emp['entity']])} #{seq}"
                    row = (f"C{seq:07d}", eid, project["code"], task, day.isoformat(),
                           hours_text, note)
                    wc.writerow(row)
                    obj = {"external_id": f"J{seq:07d}", "employee": eid,
                           "project": project["code"], "task": task, "date": day.isoformat(),
                           "hours": hours_text, "notes": note}
                    fj.write(("" if first_json else ",\n")
                             + json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
                    first_json = False
                    stats["hours"] += hours
                    if project["contract"] and task != "TRAVEL":
                        worked = int((hours * 3600).to_integral_value(ROUND_HALF_UP))
                        k = project["contract"]
                        role = role_override or firm.role_of[eid]
                        we.writerow((row[0], k, month,
                                     firm.billable_seconds(k, day, worked),
                                     firm.rate(project, eid, role, task, day),
                                     firm.contract_by_id[k]["currency"]))
                        stats["billable"] += 1
                    else:
                        stats["non_billable"] += 1
                for _ in range(x):
                    stats["expenses"] += 1
                    project = (rng.choice(client) if client else internal[0])[0]
                    cat, lo, hi = rng.choice(_EXPENSE_CATEGORIES)
                    amount = Decimal(rng.randint(lo * 100, hi * 100)) / 100
                    wx.writerow((f"X{stats['expenses']:07d}", eid, project["code"],
                                 day.isoformat(), f"{amount:.2f}",
                                 _CURRENCY[emp["entity"]], cat,
                                 "true" if project["contract"] and rng.random() < 0.7
                                 else "false"))
        fj.write("\n]\n")
    assert seq == n_entries, (seq, n_entries)
    return {
        "generator_version": GENERATOR_VERSION, "seed": seed, "counts": counts,
        "start": START.isoformat(), "through": END.isoformat(),
        "workdays": len(days),
        "entities": [e["code"] for e in _ENTITIES],
        "currencies": sorted(set(_CURRENCY.values())),
        "master_data": {
            "customers": len(firm.customers), "employees": len(firm.employees),
            "projects": len(firm.projects), "contracts": len(firm.contracts),
            "contract_versions": sum(len(k["versions"]) for k in firm.contracts),
            "rate_cards": len(firm.cards),
            "rate_rows": sum(len(c["rows"]) for c in firm.cards),
            "assignments": sum(len(p["assignments"]) for p in firm.projects),
        },
        "billable_entries": stats["billable"], "non_billable_entries": stats["non_billable"],
        "expenses": stats["expenses"], "hours": str(stats["hours"]),
    }


def ensure_dataset(workdir: Path, entries: int, seed: int, log: Any = None) -> Dataset:
    """The data set for (seed, entries), generated once and reused while its manifest says
    it is complete and of this generator version."""
    directory = workdir / "data" / f"seed{seed}-{entries}"
    manifest_path = directory / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("generator_version") == GENERATOR_VERSION:
            return Dataset(directory, manifest)
    if directory.exists():
        shutil.rmtree(directory)
    tmp = directory.with_name(directory.name + f".tmp{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    if log:
        log(f"generating {entries:,} entries (seed {seed}) in {directory}")
    manifest = _write(tmp, seed, scaled_counts(entries))
    manifest["generated_in_seconds"] = round(time.perf_counter() - t0, 2)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.rename(directory)
    if log:
        log(f"generated in {manifest['generated_in_seconds']} s")
    return Dataset(directory, manifest)
