"""A seeded demo consultancy, "Ashgrove Partners": master-data bundle plus timesheet files.

Everything is built in memory from ``random.Random`` streams seeded by ``seed``, so the same
arguments always give the same bundle and the same file bytes. Standard library only; the
bundle is a JSON-ready dict in the shape of ``hourbridge.formats.bundle.BundleDocument``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .calendar import add_months, month_end
from .noise import add_noise
from .timesheets import Index, TimeFile, file_specs, regular_rows, render

FIRM = "Ashgrove Partners"
ROLES = ("partner", "manager", "senior", "consultant", "analyst")
INTERN = "intern"
# Share of each role in an entity's headcount (consultants take the remainder).
_ROLE_SHARE = {"partner": 0.08, "manager": 0.16, "senior": 0.24, "analyst": 0.2}
_DEPARTMENTS = ("Strategy", "Technology", "Operations", "Data & Analytics",
                "Finance Transformation")
# Hourly list prices by role, per currency; cost rates are a share of these.
_LIST = {
    "USD": {"partner": 295, "manager": 240, "senior": 195, "consultant": 160, "analyst": 125},
    "EUR": {"partner": 270, "manager": 215, "senior": 175, "consultant": 140, "analyst": 105},
}
_COST = {"partner": 0.55, "manager": 0.5, "senior": 0.47, "consultant": 0.45, "analyst": 0.42,
         INTERN: 0.3}
_ENTITIES: tuple[dict[str, Any], ...] = (
    # fictitious registrations: a Delaware file number (BT-30) and an EIN (BT-32)
    {"code": "US", "name": f"{FIRM} LLC", "country": "US", "currency": "USD",
     "invoice_prefix": "US", "legal_registration_id": "DE-SOS 7712345",
     "tax_registration_id": "12-3456789", "tax_rates": {"standard": "0.0000", "zero": "0"}},
    # A German GmbH charging VAT states its VAT id on every invoice (and EN 16931 wants it:
    # BR-S-02, BR-AE-02); fictitious, with a valid check digit. The LLC has no VAT id.
    {"code": "DE", "name": f"{FIRM} GmbH", "country": "DE", "currency": "EUR",
     "invoice_prefix": "DE", "vat_id": "DE811000004", "legal_registration_id": "HRB 123456",
     "tax_rates": {"standard": "0.19", "reduced": "0.07"},
     "accounts": {"receivables": "1400", "unbilled_receivables": "1410",
                  "tax_payable": "1776", "revenue": "8400", "revenue_adjustments": "8700"}},
)
# code, name, country, parent, tax exempt; the first rows always make it into the firm.
_CUSTOMERS = {
    "US": (
        ("MERIDIAN", "Meridian Holdings Corp.", "US", None, False),
        ("MERIDIAN-LOG", "Meridian Logistics LLC", "US", "MERIDIAN", False),
        ("LAKESIDE", "Lakeside Children's Health Foundation", "US", None, True),
        ("BLUEHARBOR", "Blue Harbor Financial Group", "US", None, False),
        ("GRANITE", "Granite Peak Insurance Co.", "US", None, False),
        ("CASCADIA", "Cascadia Outdoor Supply Co.", "US", None, False),
        ("NORTHSTAR", "Northstar Regional Airlines", "US", None, False),
        ("SUMMIT", "Summit Ridge Pharmaceuticals", "US", None, False),
        ("ATLAS", "Atlas Freight Systems Inc.", "US", None, False),
        ("PRAIRIE", "Prairie State Utilities", "US", None, False),
        ("CORALBAY", "Coral Bay Hospitality Group", "US", None, False),
        ("IRONWOOD", "Ironwood Manufacturing Inc.", "US", None, False),
    ),
    "DE": (
        ("RHEINWERK", "Rheinwerk Gruppe AG", "DE", None, False),
        ("RHEINWERK-NETZ", "Rheinwerk Netze GmbH", "DE", "RHEINWERK", False),
        ("HANSEBANK", "Hanseatische Handelsbank AG", "DE", None, False),
        ("DONAU", "Donau Energiehandel GmbH", "AT", None, False),
        ("SCHWARZWALD", "Schwarzwald Präzisionstechnik GmbH", "DE", None, False),
        ("ELBTAL", "Elbtal Logistik GmbH", "DE", None, False),
        ("ISARTEC", "Isartec Medizintechnik GmbH", "DE", None, False),
        ("NORDLICHT", "Nordlicht Versorgung AG", "DE", None, False),
        ("KRONBERG", "Kronberg Automotive Systeme GmbH", "DE", None, False),
        ("SPREEWALD", "Spreewald Feinkost KG", "DE", None, False),
    ),
}
# tag, English name, German name, has development work, has workshops
_ENGAGEMENTS = (
    ("ERP", "ERP rollout", "ERP-Einführung", True, False),
    ("DATA", "Data platform", "Datenplattform", True, False),
    ("PMO", "Transformation office", "Transformationsbüro", False, True),
    ("CX", "Customer portal redesign", "Kundenportal", True, True),
    ("CLOUD", "Cloud migration", "Cloud-Migration", True, False),
    ("OPS", "Operations excellence", "Prozessoptimierung", False, True),
    ("SEC", "Security assessment", "Sicherheitsaudit", False, True),
    ("FCST", "Demand forecasting", "Absatzprognose", True, False),
    ("CRM", "CRM implementation", "CRM-Einführung", True, False),
    ("FIN", "Finance transformation", "Finanztransformation", False, True),
)
_TASK_NAMES = {
    "US": {"ANALYSIS": "Analysis & design", "PM": "Project management", "DEV": "Development",
           "WORKSHOP": "Workshops", "TRAVEL": "Travel time"},
    "DE": {"ANALYSIS": "Analyse & Konzeption", "PM": "Projektmanagement", "DEV": "Umsetzung",
           "WORKSHOP": "Workshops", "TRAVEL": "Reisezeit"},
}
_LEGAL_FORMS = ("Corp.", "LLC", "Inc.", "Co.", "AG", "GmbH", "KG", "Group")
_ROUNDING = ((15, "up", 0), (6, "up", 0), (15, "nearest", 0), (6, "nearest", 0),
             (15, "up", 15), (6, "up", 15))


@dataclass(frozen=True)
class DemoFirm:
    bundle: dict[str, Any]
    time_files: list[TimeFile]
    through: date
    expected_noise: dict[str, int]


def _money(value: Decimal | float | int) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _rate(value: float) -> str:
    """A list-price-like rate: a multiple of 5, kept inside the 95..320 band."""
    fives = Decimal(str(value / 5)).quantize(Decimal(1), ROUND_HALF_UP) * 5
    return _money(min(max(fives, Decimal(95)), Decimal(320)))


def _customers(rng: random.Random, count: int) -> list[dict[str, Any]]:
    n_de = max(2, count * 5 // 12)
    out: list[dict[str, Any]] = []
    for ent, n in (("US", count - n_de), ("DE", n_de)):
        pool = _CUSTOMERS[ent]
        plain = [p for p in pool if p[3] is None and not p[4]]
        picked = list(pool[:n])
        for k in range(n - len(pool)):
            code, name, country, _, _ = plain[k % len(plain)]
            picked.append((f"{code}-{k // len(plain) + 2}",
                           f"{name} (unit {k // len(plain) + 2})", country, None, False))
        for code, name, country, parent, exempt in picked:
            vat = None
            if country == "DE":
                vat = f"DE{rng.randint(100_000_000, 999_999_999)}"
            elif country == "AT":
                vat = f"ATU{rng.randint(10_000_000, 99_999_999)}"
            out.append({
                "id": code, "name": name, "entity": ent,
                "currency": "USD" if ent == "US" else "EUR", "country": country,
                "parent": parent, "vat_id": vat, "tax_exempt": exempt,
                "tax_code": "exempt" if exempt else ("zero" if country == "AT" else "standard"),
                "payment_terms_days": rng.choice((30, 30, 45, 60) if ent == "US" else (14, 30)),
                "po_number": (f"PO-45{rng.randint(10_000_000, 99_999_999)}"
                              if ent == "US" and rng.random() < 0.4 else None),
            })
    for ent in ("US", "DE"):  # the firm itself, for internal projects
        e = next(x for x in _ENTITIES if x["code"] == ent)
        out.append({"id": f"ASHGROVE-{ent}", "name": e["name"], "entity": ent,
                    "currency": e["currency"], "country": e["country"], "tax_code": "zero",
                    "payment_terms_days": 0})
    return out


def _employees(rng: random.Random, count: int, start: date) -> list[dict[str, Any]]:
    n_de = count * 2 // 5
    staff: list[tuple[str, str]] = []
    for ent, n in (("US", count - n_de), ("DE", n_de)):
        roles = {r: max(1, round(n * s)) for r, s in _ROLE_SHARE.items()}
        roles["consultant"] = n - sum(roles.values())
        if ent == "US":  # one intern, on no rate card: the source of no_rate exceptions
            roles["consultant"] -= 1
            staff.append((ent, INTERN))
        staff += [(ent, r) for r in ROLES for _ in range(roles[r])]
    rng.shuffle(staff)
    year_start = date(start.year, 1, 1)
    out: list[dict[str, Any]] = []
    for i, (ent, role) in enumerate(staff):
        cur = "USD" if ent == "US" else "EUR"
        base = _LIST[cur].get(role, 80) * _COST[role] * rng.uniform(0.94, 1.06)
        costs = [{"valid_from": year_start.isoformat(), "rate": _money(base), "currency": cur}]
        if rng.random() < 0.2:  # a raise during the demo
            costs.append({"valid_from": add_months(start, 1).isoformat(),
                          "rate": _money(base * 1.05), "currency": cur})
        out.append({
            "id": f"E{1001 + i}", "entity": ent, "role": role,
            "department": rng.choice(_DEPARTMENTS),
            "timezone": "America/New_York" if ent == "US" else "Europe/Berlin",
            "hours_per_day": "8", "cost_rates": costs,
        })
    return out


def _tasks(ent: str, dev: bool, workshop: bool) -> list[dict[str, Any]]:
    codes = ["ANALYSIS", "PM"] + (["DEV"] if dev else []) + (["WORKSHOP"] if workshop else [])
    names = _TASK_NAMES[ent]
    return ([{"code": c, "name": names[c], "billable": True} for c in codes]
            + [{"code": "TRAVEL", "name": names["TRAVEL"], "billable": False}])


def _projects(rng: random.Random, count: int, customers: list[dict[str, Any]], start: date,
              through: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    n_client = count - 2
    by_ent = {e: [c for c in customers if c["entity"] == e and not c["id"].startswith("ASHGROVE")]
              for e in ("US", "DE")}
    n_us = round(n_client * 0.6)
    projects: list[dict[str, Any]] = []
    contracts: list[dict[str, Any]] = []
    rounding = list(_ROUNDING)
    rng.shuffle(rounding)
    for ent, n in (("US", n_us), ("DE", n_client - n_us)):
        custs = by_ent[ent]
        owners = [custs[i % len(custs)] for i in range(min(n, len(custs)))]
        owners += [rng.choice(custs) for _ in range(n - len(owners))]
        owners.sort(key=lambda c: custs.index(c))
        engagements = list(_ENGAGEMENTS)
        for i, cust in enumerate(owners):
            tag, en, de, dev, workshop = engagements[(i * 3 + len(projects)) % len(engagements)]
            code, n_same = f"{cust['id']}-{tag}", 1
            while any(p["code"] == code for p in projects):
                n_same += 1
                code = f"{cust['id']}-{tag}-{n_same}"
            kid = f"SOW-{ent}-{101 + i}"
            began = start - timedelta(days=rng.randint(60, 400))
            ends = rng.choice((None, None, None, date(through.year, 12, 31),
                               month_end(add_months(through, 6))))
            short = " ".join(w for w in cust["name"].split() if w not in _LEGAL_FORMS)
            projects.append({
                "code": code, "name": f"{short} – {en if ent == 'US' else de}",
                "customer": cust["id"], "entity": ent, "status": "active", "contract": kid,
                "tasks": _tasks(ent, dev, workshop), "assignments": [],
            })
            inc, mode, minimum = rounding[len(contracts) % len(rounding)]
            contracts.append({
                "id": kid, "customer": cust["id"], "entity": ent, "currency": cust["currency"],
                "start_date": began.isoformat(), "end_date": ends.isoformat() if ends else None,
                "versions": [{"version": 1, "effective_from": began.isoformat(),
                              "billing_model": "time_and_materials",
                              "rounding": {"increment_minutes": inc, "mode": mode,
                                           "minimum_minutes": minimum}}],
            })
    # One closed engagement that still gets late entries; a few contracts ending mid-demo.
    us = [p for p in projects if p["entity"] == "US"]
    us[-1]["status"] = "closed"  # wound down early; the SOW runs to year end
    closed = next(c for c in contracts if c["id"] == us[-1]["contract"])
    closed["end_date"] = max(date(through.year, 12, 31), through).isoformat()
    span = (through - start).days
    ending = [us[1], next(p for p in projects if p["entity"] == "DE"), us[-3]]
    for frac, proj in zip((0.33, 0.5, 0.7), ending, strict=True):
        k = next(c for c in contracts if c["id"] == proj["contract"])
        k["end_date"] = (start + timedelta(days=int(span * frac))).isoformat()
    for ent in ("US", "DE"):
        tasks = (("ADMIN", "Administration"), ("TRAINING", "Training & certification"),
                 ("PRESALES", "Business development"))
        projects.append({
            "code": f"INTERNAL-ADMIN-{ent}", "name": f"{FIRM} {ent} – internal time",
            "customer": f"ASHGROVE-{ent}", "entity": ent, "status": "active", "contract": None,
            "tasks": [{"code": c, "name": n, "billable": False} for c, n in tasks],
            "assignments": [],
        })
    return projects, contracts


def _assign(rng: random.Random, employees: list[dict[str, Any]], projects: list[dict[str, Any]],
            contracts: list[dict[str, Any]], start: date, through: date) -> None:
    kon = {k["id"]: k for k in contracts}
    mid = add_months(start, 1).replace(day=15) if start.day < 15 else start + timedelta(days=30)
    hired = date(start.year - 1, 1, 1).isoformat()

    def add(p: dict[str, Any], emp: str, since: str | None = None, until: str | None = None,
            role: str | None = None) -> None:
        valid_from = since or (kon[p["contract"]]["start_date"] if p["contract"] else hired)
        p["assignments"].append({"employee": emp, "valid_from": valid_from,
                                 "valid_until": until, "role": role})

    for ent in ("US", "DE"):
        staff = [e for e in employees if e["entity"] == ent]
        client = [p for p in projects if p["entity"] == ent and p["contract"]]
        active = [p for p in client if p["status"] == "active"]
        open_ = [p for p in active if (kon[p["contract"]]["end_date"] or "9999") > str(through)]
        internal = next(p for p in projects if p["code"] == f"INTERNAL-ADMIN-{ent}")
        regulars = [e for e in staff if e["role"] != INTERN]
        for i, emp in enumerate(regulars):
            add(internal, emp["id"])
            primary = open_[i % len(open_)]
            add(primary, emp["id"])
            extra = 2 if emp["role"] == "partner" else rng.choice((0, 1, 1, 2))
            others = [p for p in active if p is not primary]
            for j, p in enumerate(rng.sample(others, min(extra, len(others)))):
                role = None
                if emp["role"] == "senior" and rng.random() < 0.35:
                    role = "manager"  # acting engagement manager on a smaller project
                until = since = None
                if j == 0 and i % 9 == 4:
                    until = mid.isoformat()  # rolled off mid-demo
                elif j == 0 and i % 9 == 7:
                    since = add_months(start, 1).isoformat()  # staffed later
                add(p, emp["id"], since, until, role)
        for p in active:  # every live project needs at least two people on it
            on = [a["employee"] for a in p["assignments"]]
            for emp in [e for e in regulars if e["id"] not in on][: max(0, 2 - len(on))]:
                add(p, emp["id"])
        closed = [p for p in client if p["status"] == "closed"]
        for p in closed:
            for emp in regulars[-3:]:
                add(p, emp["id"])
        for emp in staff:
            if emp["role"] == INTERN:
                add(internal, emp["id"])
                add(open_[-1], emp["id"])


def _rate_cards(rng: random.Random, employees: list[dict[str, Any]],
                projects: list[dict[str, Any]], contracts: list[dict[str, Any]],
                customers: list[dict[str, Any]], start: date) -> list[dict[str, Any]]:
    since = date(start.year - 1, 1, 1).isoformat()
    change = add_months(start, 1).replace(day=16)
    cards: list[dict[str, Any]] = []
    for cur, ent in (("USD", "US"), ("EUR", "DE")):
        rows: list[dict[str, Any]] = []
        for role, price in _LIST[cur].items():
            row = {"id": f"{cur.lower()}-{role}", "rate": _rate(price), "valid_from": since,
                   "role": role}
            if cur == "EUR" and role in ("consultant", "analyst"):  # annual increase mid-demo
                row["valid_until"] = (change - timedelta(days=1)).isoformat()
                rows.append(row)
                row = {"id": f"{cur.lower()}-{role}-{change.year}b", "role": role,
                       "rate": _rate(price * 1.06), "valid_from": change.isoformat()}
            rows.append(row)
        staff = [e for e in employees if e["entity"] == ent]
        for role, factor in (("partner", 1.07), ("senior", 1.06)):
            emp = next(e for e in staff if e["role"] == role)
            rows.append({"id": f"{cur.lower()}-{emp['id'].lower()}", "employee": emp["id"],
                         "rate": _rate(_LIST[cur][role] * factor), "valid_from": since})
        cards.append({"id": f"FIRM-{cur}", "scope": "firm", "scope_id": None, "currency": cur,
                      "rows": rows})
    billable = [p for p in projects if p["contract"] and p["status"] == "active"]
    chosen = rng.sample(billable, max(3, len(billable) // 4))
    chosen.sort(key=lambda p: billable.index(p))
    kon = {k["id"]: k for k in contracts}
    for n, p in enumerate(chosen):
        k = kon[p["contract"]]
        cur = k["currency"]
        discount = rng.choice((0.85, 0.9, 0.92, 0.95))
        rows = []
        for role in rng.sample(ROLES[1:], 3):
            rows.append({"id": f"{k['id'].lower()}-{role}", "role": role,
                         "rate": _rate(_LIST[cur][role] * discount),
                         "valid_from": k["start_date"]})
            if n == 0 and role == rows[0]["role"]:  # renegotiated mid-demo
                rows[-1]["valid_until"] = (change - timedelta(days=1)).isoformat()
                rows.append({"id": f"{k['id'].lower()}-{role}-v2", "role": role,
                             "rate": _rate(_LIST[cur][role] * (discount + 0.05)),
                             "valid_from": change.isoformat()})
        if any(t["code"] == "PM" for t in p["tasks"]):
            rows.append({"id": f"{k['id'].lower()}-manager-pm", "role": "manager", "task": "PM",
                         "rate": _rate(_LIST[cur]["manager"] * (discount - 0.05)),
                         "valid_from": k["start_date"]})
        cards.append({"id": f"RC-{k['id']}", "scope": "contract", "scope_id": k["id"],
                      "currency": cur, "rows": rows})
    parent = next(c for c in customers if any(x.get("parent") == c["id"] for x in customers)
                  and c["entity"] == "US")
    cards.append({"id": f"RC-{parent['id']}", "scope": "customer", "scope_id": parent["id"],
                  "currency": parent["currency"],
                  "rows": [{"id": f"{parent['id'].lower()}-{r}", "role": r, "valid_from": since,
                            "rate": _rate(_LIST[parent["currency"]][r] * 0.93)}
                           for r in ("senior", "consultant")]})
    proj = next(p for p in billable if p["entity"] == "DE" and p not in chosen)
    cards.append({"id": f"RC-{proj['code']}", "scope": "project", "scope_id": proj["code"],
                  "currency": "EUR",
                  "rows": [{"id": f"{proj['code'].lower()}-analyst", "role": "analyst",
                            "rate": _rate(_LIST["EUR"]["analyst"] * 1.1), "valid_from": since}]})
    return cards


def _bundle(seed: int, start: date, through: date, consultants: int, customers: int,
            projects: int) -> dict[str, Any]:
    rng = random.Random(f"hourbridge-demo:{seed}:masterdata")
    lock = (start - timedelta(days=1)).isoformat()
    entities = [{**e, "lock_date": lock} for e in _ENTITIES]
    custs = _customers(rng, customers)
    emps = _employees(rng, consultants, start)
    projs, contracts = _projects(rng, projects, custs, start, through)
    _assign(rng, emps, projs, contracts, start, through)
    cards = _rate_cards(rng, emps, projs, contracts, custs, start)
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
        "tasks": _tasks("DE", True, False),
        "assignments": [{"employee": e["id"], "valid_from": since, "valid_until": None,
                         "role": None} for e in staff[:2]]})
    cards.append({"id": "RC-SOW-DE-CH1", "scope": "contract", "scope_id": "SOW-DE-CH1",
                  "currency": "CHF",
                  "rows": [{"id": f"chf-{role}", "role": role, "valid_from": since,
                            "rate": _rate(_LIST["EUR"][role] * 0.95)} for role in ROLES]})
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


def generate_demo_firm(seed: int = 7, start: date = date(2026, 8, 1), months: int = 3,
                       consultants: int = 50, customers: int = 12,
                       projects: int = 32) -> DemoFirm:
    """A deterministic demo firm: same arguments, same bundle and same file bytes."""
    if months < 2 or consultants < 12 or customers < 6 or projects < 10:
        raise ValueError("the demo needs months >= 2, consultants >= 12, customers >= 6 "
                         "and projects >= 10")
    through = month_end(add_months(start, months - 1))
    bundle = _bundle(seed, start, through, consultants, customers, projects)
    index = Index(bundle, start, through)
    specs = file_specs(start, through)
    rng = random.Random(f"hourbridge-demo:{seed}:timesheets")
    rows = regular_rows(index, specs, rng)
    noisy, expected = add_noise(index, specs, rows, random.Random(f"hourbridge-demo:{seed}:noise"))
    files = render(specs, rows + noisy)
    files.append(files[len(specs) // 3])  # a file sent twice, byte for byte
    return DemoFirm(bundle=bundle, time_files=files, through=through, expected_noise=expected)
