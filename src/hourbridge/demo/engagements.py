"""The demo firm's engagements: projects with their tasks and contracts, who is staffed on
them, and the rate cards (firm, customer and contract scopes)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from .calendar import add_months, month_end
from .roster import FIRM, INTERN, LIST_RATES, ROLES, list_rate

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


def make_tasks(ent: str, dev: bool, workshop: bool) -> list[dict[str, Any]]:
    codes = ["ANALYSIS", "PM"] + (["DEV"] if dev else []) + (["WORKSHOP"] if workshop else [])
    names = _TASK_NAMES[ent]
    return ([{"code": c, "name": names[c], "billable": True} for c in codes]
            + [{"code": "TRAVEL", "name": names["TRAVEL"], "billable": False}])


def make_projects(rng: random.Random, count: int, customers: list[dict[str, Any]],
                  start: date, through: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
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
                "tasks": make_tasks(ent, dev, workshop), "assignments": [],
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


def assign_staff(rng: random.Random, employees: list[dict[str, Any]],
                 projects: list[dict[str, Any]], contracts: list[dict[str, Any]], start: date,
                 through: date) -> None:
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


def make_rate_cards(rng: random.Random, employees: list[dict[str, Any]],
                    projects: list[dict[str, Any]], contracts: list[dict[str, Any]],
                    customers: list[dict[str, Any]], start: date) -> list[dict[str, Any]]:
    since = date(start.year - 1, 1, 1).isoformat()
    change = add_months(start, 1).replace(day=16)
    cards: list[dict[str, Any]] = []
    for cur, ent in (("USD", "US"), ("EUR", "DE")):
        rows: list[dict[str, Any]] = []
        for role, price in LIST_RATES[cur].items():
            row = {"id": f"{cur.lower()}-{role}", "rate": list_rate(price), "valid_from": since,
                   "role": role}
            if cur == "EUR" and role in ("consultant", "analyst"):  # annual increase mid-demo
                row["valid_until"] = (change - timedelta(days=1)).isoformat()
                rows.append(row)
                row = {"id": f"{cur.lower()}-{role}-{change.year}b", "role": role,
                       "rate": list_rate(price * 1.06), "valid_from": change.isoformat()}
            rows.append(row)
        staff = [e for e in employees if e["entity"] == ent]
        for role, factor in (("partner", 1.07), ("senior", 1.06)):
            emp = next(e for e in staff if e["role"] == role)
            rows.append({"id": f"{cur.lower()}-{emp['id'].lower()}", "employee": emp["id"],
                         "rate": list_rate(LIST_RATES[cur][role] * factor), "valid_from": since})
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
                         "rate": list_rate(LIST_RATES[cur][role] * discount),
                         "valid_from": k["start_date"]})
            if n == 0 and role == rows[0]["role"]:  # renegotiated mid-demo
                rows[-1]["valid_until"] = (change - timedelta(days=1)).isoformat()
                rows.append({"id": f"{k['id'].lower()}-{role}-v2", "role": role,
                             "rate": list_rate(LIST_RATES[cur][role] * (discount + 0.05)),
                             "valid_from": change.isoformat()})
        if any(t["code"] == "PM" for t in p["tasks"]):
            rows.append({"id": f"{k['id'].lower()}-manager-pm", "role": "manager", "task": "PM",
                         "rate": list_rate(LIST_RATES[cur]["manager"] * (discount - 0.05)),
                         "valid_from": k["start_date"]})
        cards.append({"id": f"RC-{k['id']}", "scope": "contract", "scope_id": k["id"],
                      "currency": cur, "rows": rows})
    parent = next(c for c in customers if any(x.get("parent") == c["id"] for x in customers)
                  and c["entity"] == "US")
    cards.append({"id": f"RC-{parent['id']}", "scope": "customer", "scope_id": parent["id"],
                  "currency": parent["currency"],
                  "rows": [{"id": f"{parent['id'].lower()}-{r}", "role": r, "valid_from": since,
                            "rate": list_rate(LIST_RATES[parent["currency"]][r] * 0.93)}
                           for r in ("senior", "consultant")]})
    proj = next(p for p in billable if p["entity"] == "DE" and p not in chosen)
    cards.append({"id": f"RC-{proj['code']}", "scope": "project", "scope_id": proj["code"],
                  "currency": "EUR",
                  "rows": [{"id": f"{proj['code'].lower()}-analyst", "role": "analyst",
                            "rate": list_rate(LIST_RATES["EUR"]["analyst"] * 1.1),
                            "valid_from": since}]})
    return cards


