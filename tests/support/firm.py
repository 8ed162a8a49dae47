"""Test data shared by every layer of tests."""

from __future__ import annotations

from typing import Any


def small_firm_bundle() -> dict[str, Any]:
    """A tiny firm: one EUR entity, one customer, three people, one T&M project and one
    internal project, a firm rate card with a rate change on 2026-08-16."""
    return {
        "entities": [{
            "code": "DE", "name": "Beispiel Beratung GmbH", "country": "DE", "currency": "EUR",
            "invoice_prefix": "DE", "lock_date": "2026-06-30",
            "tax_rates": {"standard": "19"},
        }],
        "customers": [
            {"id": "ACME", "name": "Acme AG", "entity": "DE", "currency": "EUR",
             "country": "DE", "vat_id": "DE123456788", "payment_terms_days": 14},
            {"id": "SELF", "name": "Beispiel (internal)", "entity": "DE", "currency": "EUR",
             "country": "DE", "tax_code": "zero"},
        ],
        "employees": [
            {"id": "E1", "entity": "DE", "role": "senior", "timezone": "Europe/Berlin"},
            {"id": "E2", "entity": "DE", "role": "analyst", "timezone": "Europe/Berlin"},
            {"id": "E3", "entity": "DE", "role": "analyst", "timezone": "Europe/Berlin"},
        ],
        "contracts": [{
            "id": "K1", "customer": "ACME", "entity": "DE", "currency": "EUR",
            "start_date": "2026-07-01", "end_date": "2026-12-31",
            "versions": [{"version": 1, "effective_from": "2026-07-01",
                          "rounding": {"increment_minutes": 15, "mode": "up"}}],
        }],
        "projects": [
            {"code": "P1", "name": "ERP rollout", "customer": "ACME", "entity": "DE",
             "contract": "K1",
             "tasks": [{"code": "DEV", "name": "Development"},
                       {"code": "TRAVEL", "name": "Travel", "billable": False}],
             "assignments": [{"employee": "E1", "valid_from": "2026-07-01"},
                             {"employee": "E2", "valid_from": "2026-07-01"}]},
            {"code": "INT", "name": "Internal", "customer": "SELF", "entity": "DE",
             "tasks": [{"code": "ADMIN", "name": "Admin"}],
             "assignments": [{"employee": "E1", "valid_from": "2026-01-01"}]},
        ],
        "rate_cards": [{
            "id": "FIRM-EUR", "scope": "firm", "currency": "EUR",
            "rows": [
                {"id": "senior-1", "role": "senior", "rate": "150.00",
                 "valid_from": "2026-01-01", "valid_until": "2026-08-15"},
                {"id": "senior-2", "role": "senior", "rate": "165.00",
                 "valid_from": "2026-08-16"},
                {"id": "analyst-1", "role": "analyst", "rate": "90.00",
                 "valid_from": "2026-01-01"},
            ],
        }],
    }


def two_entity_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    """The small firm plus an Austrian sister (EUR, like DE) and a US one (USD): each lends
    an analyst to the German project P1. AT -> DE carries a 10 % markup; US -> DE is not
    configured (charged at cost)."""
    bundle["entities"] += [
        {"code": "AT", "name": "Beispiel Beratung Wien GmbH", "country": "AT",
         "currency": "EUR", "invoice_prefix": "AT", "tax_rates": {"standard": "20"}},
        {"code": "US", "name": "Example Consulting LLC", "country": "US", "currency": "USD",
         "invoice_prefix": "US"},
    ]
    bundle["employees"] += [
        {"id": "X1", "entity": "AT", "role": "analyst",
         "cost_rates": [{"valid_from": "2026-01-01", "rate": "60.00", "currency": "EUR"}]},
        {"id": "Y1", "entity": "US", "role": "analyst",
         "cost_rates": [{"valid_from": "2026-01-01", "rate": "70.00", "currency": "USD"}]},
        {"id": "Z1", "entity": "AT", "role": "analyst"},
    ]
    p1 = bundle["projects"][0]
    p1["assignments"] += [{"employee": e, "valid_from": "2026-07-01"} for e in ("X1", "Y1", "Z1")]
    bundle["intercompany"] = [{"from": "AT", "to": "DE", "markup_percent": "10"}]
    return bundle


def api_firm_bundle() -> dict[str, Any]:
    """One EUR entity, one customer, a senior and an analyst on one T&M project (the API's
    end-to-end tests: ``tests/e2e/test_api.py``, ``test_api_errors.py``)."""
    return {
        "entities": [{
            "code": "DE", "name": "Beispiel Beratung GmbH", "country": "DE", "currency": "EUR",
            "invoice_prefix": "DE", "lock_date": "2026-06-30",
            "tax_rates": {"standard": "19"},
        }],
        "customers": [{"id": "ACME", "name": "Acme AG", "entity": "DE", "currency": "EUR",
                       "country": "DE", "vat_id": "DE123456788", "payment_terms_days": 14}],
        "employees": [
            {"id": "E1", "entity": "DE", "role": "senior"},
            {"id": "E2", "entity": "DE", "role": "analyst"},
        ],
        "contracts": [{
            "id": "K1", "customer": "ACME", "entity": "DE", "currency": "EUR",
            "start_date": "2026-07-01",
            "versions": [{"version": 1, "effective_from": "2026-07-01",
                          "billing_model": "time_and_materials",
                          "rounding": {"increment_minutes": 15, "mode": "up"}}],
        }],
        "projects": [{
            "code": "P1", "name": "ERP rollout", "customer": "ACME", "entity": "DE",
            "contract": "K1",
            "tasks": [{"code": "DEV", "name": "Development", "billable": True},
                      {"code": "ADMIN", "name": "Administration", "billable": False}],
            "assignments": [{"employee": "E1", "valid_from": "2026-07-01"},
                            {"employee": "E2", "valid_from": "2026-07-01"}],
        }],
        "rate_cards": [{
            "id": "FIRM-EUR", "scope": "firm", "currency": "EUR",
            "rows": [
                {"id": "senior", "role": "senior", "rate": "150.00", "valid_from": "2026-01-01"},
                {"id": "analyst", "role": "analyst", "rate": "90.00", "valid_from": "2026-01-01"},
            ],
        }],
    }


# the small firm's time on the whole path (tests/integration/test_flow*.py): a row per case
FLOW_ROWS = [
    ("h1", "E1", "P1", "DEV", "2026-08-10", "1.10", "design"),   # 15-min up: 1.25 h at 150
    ("h2", "E1", "P1", "DEV", "2026-08-20", "2", "build"),       # after the rate change: 165
    ("h3", "E2", "P1", "DEV", "2026-08-20", "0.5", "test"),      # analyst 90
    ("h4", "E1", "P1", "TRAVEL", "2026-08-20", "3", "train"),    # non-billable task
    ("h5", "E1", "INT", "ADMIN", "2026-08-21", "1", "timesheets"),  # no contract: internal
    ("h6", "E9", "P1", "DEV", "2026-08-21", "1", "x"),           # unknown_employee
    ("h7", "E3", "P1", "DEV", "2026-08-21", "1", "x"),           # not_assigned
    ("h8", "E1", "P1", "DEV", "2026-06-15", "1", "old"),         # locked_period
    ("h9", "E2", "P1", "DEV", "2026-09-02", "1", "sept"),        # September: 90
]
