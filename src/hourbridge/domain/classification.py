"""Which fields are classified, in one place: the rule is this table, not code scattered
over the adapters (DESIGN.md section 3, Employee: "never in logs or events, only by
reference").

``personal``: about a natural person (a worker's notes, a contact person's name, e-mail and
phone); ``pay``: what a person costs or earns (cost rates). Logs drop any value under a
classified key (``observability.logging``); events and spans carry ids, never these values;
tests seed recognisable values into every field listed here and scan logs, events and spans
for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

Classification = Literal["personal", "pay"]

# (record, field) -> classification, as the bundle and the intake files name them
CLASSIFIED: dict[tuple[str, str], Classification] = {
    ("employee", "name"): "personal",
    ("employee", "email"): "personal",
    ("cost_rate", "rate"): "pay",
    ("time_entry", "notes"): "personal",
    ("expense", "notes"): "personal",
    ("contact", "name"): "personal",
    ("contact", "email"): "personal",
    ("contact", "phone"): "personal",
}

# keys a log line must never carry a value under, whatever record it came from
CLASSIFIED_KEYS: frozenset[str] = frozenset(
    {field for (_, field) in CLASSIFIED} | {"notes", "note", "cost_rate", "email", "phone"})
REDACTED = "[classified]"


def redact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with every classified key's value replaced (nested mappings too)."""
    return {k: REDACTED if k in CLASSIFIED_KEYS and v not in (None, "")
            else redact(v) if isinstance(v, Mapping) else v for k, v in fields.items()}


def classified_values(bundle: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every classified value in a bundle (as the bundle file spells it): (where, value)."""
    for emp in bundle.get("employees", []):
        for field in ("name", "email"):
            if emp.get(field):
                yield f"employee {emp['id']}.{field}", str(emp[field])
        for i, rate in enumerate(emp.get("cost_rates", [])):
            if rate.get("rate") is not None:
                yield f"employee {emp['id']}.cost_rates[{i}].rate", str(rate["rate"])
    for party in [*bundle.get("customers", []), *bundle.get("entities", [])]:
        contact = party.get("contact") or {}
        for field in ("name", "email", "phone"):
            if contact.get(field):
                yield f"{party.get('id') or party.get('code')}.contact.{field}", str(
                    contact[field])
