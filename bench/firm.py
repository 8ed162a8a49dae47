"""The large firm of the benchmarks' data set (``bench/generate.py``), as master-data
bundle dicts: two legal entities in two currencies, customers (some subsidiaries of others),
contracts with amendments of different rounding policies, projects with tasks, employees
by role, effective-dated assignments, and rate cards at firm, contract, customer and project
scope whose rows change mid-period; plus the indexes the entry stream and the expected
outcome (``bench/expected.py``) read. Everything from one ``random.Random`` stream seeded
by the data set's seed, in a fixed order: the same seed gives the same firm."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stdnum.at import uid as at_uid
from stdnum.iso7064 import mod_11_10

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
ENTITIES = (
    {"code": "US", "name": "Bench Partners LLC", "country": "US", "currency": "USD",
     "invoice_prefix": "US", "lock_date": LOCK.isoformat(),
     "tax_rates": {"standard": "6.25", "zero": "0"}},  # percent
    {"code": "DE", "name": "Bench Partners GmbH", "country": "DE", "currency": "EUR",
     "invoice_prefix": "DE", "lock_date": LOCK.isoformat(),
     "tax_rates": {"standard": "19", "reduced": "7"},
     "accounts": {"receivables": "1400", "unbilled_receivables": "1410",
                  "tax_payable": "1776", "revenue": "8400", "revenue_adjustments": "8700"}},
)
CURRENCY = {"US": "USD", "DE": "EUR"}
# (increment minutes, mode, minimum minutes)
_ROUNDING = ((6, "up", 0), (15, "up", 0), (6, "nearest", 0), (15, "nearest", 0),
             (15, "up", 15), (1, "up", 0))
_TASKS = (("ANALYSIS", "Analysis & design"), ("PM", "Project management"),
          ("DEV", "Development"), ("WORKSHOP", "Workshops"))


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


def _price(value: float) -> Decimal:
    fives = (Decimal(str(value)) / 5).quantize(Decimal(1), ROUND_HALF_UP) * 5
    return min(max(fives, Decimal(60)), Decimal(450)).quantize(Decimal("0.01"))


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


class Firm:
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
                    "currency": CURRENCY[ent], "country": country, "parent": parent,
                    "vat_id": _vat_id(country, rng),
                    "tax_exempt": ent == "US" and rng.random() < 0.03,
                    "tax_code": "zero" if country == "AT" else "standard",
                    "payment_terms_days": rng.choice((14, 30, 30, 45, 60)),
                })
            out += mine
        for ent in ("US", "DE"):  # the firm itself, for internal projects
            out.append({"id": f"FIRM-{ent}", "name": f"Bench Partners {ent}", "entity": ent,
                        "currency": CURRENCY[ent], "country": ent, "tax_code": "zero",
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
                 "cost_rates": [{"valid_from": SINCE.isoformat(), "currency": CURRENCY[ent],
                                 "rate": str(_price(_LIST[CURRENCY[ent]][role] * 0.45))}]}
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
        for ent, cur in CURRENCY.items():
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
            cur = CURRENCY[p["entity"]]
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

    def bundle(self) -> dict[str, Any]:
        return {"entities": list(ENTITIES), "customers": self.customers,
                "employees": self.employees, "projects": self.projects,
                "contracts": self.contracts, "rate_cards": self.cards}
