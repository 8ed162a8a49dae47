"""The demo firm's people and clients: its entities, list and cost rates, customers and
employees (``random.Random`` streams passed in, so the firm stays deterministic)."""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stdnum.at import uid as at_uid
from stdnum.iso7064 import mod_11_10

from .calendar import add_months

FIRM = "Ashgrove Partners"
ROLES = ("partner", "manager", "senior", "consultant", "analyst")
INTERN = "intern"
# Share of each role in an entity's headcount (consultants take the remainder).
_ROLE_SHARE = {"partner": 0.08, "manager": 0.16, "senior": 0.24, "analyst": 0.2}
_DEPARTMENTS = ("Strategy", "Technology", "Operations", "Data & Analytics",
                "Finance Transformation")
# Hourly list prices by role, per currency; cost rates are a share of these.
LIST_RATES = {
    "USD": {"partner": 295, "manager": 240, "senior": 195, "consultant": 160, "analyst": 125},
    "EUR": {"partner": 270, "manager": 215, "senior": 175, "consultant": 140, "analyst": 105},
}
_COST = {"partner": 0.55, "manager": 0.5, "senior": 0.47, "consultant": 0.45, "analyst": 0.42,
         INTERN: 0.3}
ENTITIES: tuple[dict[str, Any], ...] = (
    # fictitious registrations: a Delaware file number (BT-30) and an EIN (BT-32); outside
    # VAT, the LLC has no tax rates at all (US sales tax on services is not modelled)
    {"code": "US", "name": f"{FIRM} LLC", "country": "US", "currency": "USD",
     "invoice_prefix": "US", "legal_registration_id": "DE-SOS 7712345",
     "tax_registration_id": "12-3456789"},
    # A German GmbH charging VAT states its VAT id on every invoice (and EN 16931 wants it:
    # BR-S-02, BR-AE-02); fictitious, with a valid check digit. The LLC has no VAT id.
    {"code": "DE", "name": f"{FIRM} GmbH", "country": "DE", "currency": "EUR",
     "invoice_prefix": "DE", "vat_id": "DE811000004", "legal_registration_id": "HRB 123456",
     "tax_rates": {"standard": "19", "reduced": "7"},  # percent
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


def money_text(value: Decimal | float | int) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def list_rate(value: float) -> str:
    """A list-price-like rate: a multiple of 5, kept inside the 95..320 band."""
    fives = Decimal(str(value / 5)).quantize(Decimal(1), ROUND_HALF_UP) * 5
    return money_text(min(max(fives, Decimal(95)), Decimal(320)))


def make_customers(rng: random.Random, count: int) -> list[dict[str, Any]]:
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
            if country == "DE":  # random digits, then the real check digit (stdnum checks it)
                digits = str(rng.randint(100_000_000, 999_999_999))[:8]
                vat = f"DE{digits}{mod_11_10.calc_check_digit(digits)}"
            elif country == "AT":
                digits = "U" + str(rng.randint(10_000_000, 99_999_999))[:7]
                vat = f"AT{digits}{at_uid.calc_check_digit(digits)}"
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
        e = next(x for x in ENTITIES if x["code"] == ent)
        out.append({"id": f"ASHGROVE-{ent}", "name": e["name"], "entity": ent,
                    "currency": e["currency"], "country": e["country"], "tax_code": "zero",
                    "payment_terms_days": 0})
    return out


def make_employees(rng: random.Random, count: int, start: date) -> list[dict[str, Any]]:
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
        base = LIST_RATES[cur].get(role, 80) * _COST[role] * rng.uniform(0.94, 1.06)
        costs = [{"valid_from": year_start.isoformat(), "rate": money_text(base), "currency": cur}]
        if rng.random() < 0.2:  # a raise during the demo
            costs.append({"valid_from": add_months(start, 1).isoformat(),
                          "rate": money_text(base * 1.05), "currency": cur})
        out.append({
            "id": f"E{1001 + i}", "entity": ent, "role": role,
            "department": rng.choice(_DEPARTMENTS),
            "timezone": "America/New_York" if ent == "US" else "Europe/Berlin",
            "hours_per_day": "8", "cost_rates": costs,
        })
    return out


