"""JSON Schema of every event type Hourbridge publishes, per version (DESIGN.md section 4.6).

A schema covers the whole CloudEvents 1.0 envelope (``events.envelope``) and its ``data``.
Types are named ``hourbridge.<noun>.<verb>.v<N>``; a new version is added beside the old ones,
never in their place, and must stay backward compatible with every earlier version of its
type: ``compatibility_problems`` lists what would break a consumer of an older one (a
required field removed, a field's type narrowed). The tests check every registered version
against all earlier ones and validate every event the demo emits against its schema.
"""

from __future__ import annotations

from typing import Any

from .erp import ERP_DOCUMENT_READY
from .events import JOURNAL_ENTRY_READY, JOURNAL_ENTRY_READY_V2, SOURCE
from .webhooks import WEBHOOK_TEST

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://hourbridge.dev/schemas/events/"

_TEXT: dict[str, Any] = {"type": "string"}
_OPT_TEXT: dict[str, Any] = {"type": ["string", "null"]}
_DECIMAL: dict[str, Any] = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
                            "description": "a decimal as a string, never a float"}
_OPT_DECIMAL: dict[str, Any] = {"type": ["string", "null"],
                                "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_DATE: dict[str, Any] = {"type": "string", "format": "date"}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required),
            "properties": {**required, **(optional or {})}}


def _event(type_: str, data: dict[str, Any], title: str) -> dict[str, Any]:
    """The CloudEvents envelope of ``type_`` around ``data``."""
    schema = _obj({
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "minLength": 1,
               "description": "the deterministic idempotency key of what happened"},
        "source": {"const": SOURCE},
        "type": {"const": type_},
        "subject": _TEXT,
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {"const": "application/json"},
        "dataschema": {"type": "string", "format": "uri"},
        "data": data,
    }, {"traceparent": {"type": "string", "pattern": r"^[0-9a-f]{2}-[0-9a-f]{32}-"
                                                    r"[0-9a-f]{16}-[0-9a-f]{2}$"}})
    return {"$schema": DRAFT, "$id": f"{BASE}{type_}.json", "title": title, **schema}


_POSTING = _obj({
    "account": _TEXT, "debit": _DECIMAL, "credit": _DECIMAL, "currency": _TEXT,
    "functional_amount": _DECIMAL, "fx_rate": _DECIMAL,
    "customer": _OPT_TEXT, "project": _OPT_TEXT,
    "employee": {"type": ["string", "null"], "description": "an employee id: a reference, "
                 "never a name"},
})
_JOURNAL_FIELDS: dict[str, Any] = {
    "key": _TEXT, "entity": _TEXT, "posted_on": _DATE, "memo": _TEXT, "source_type": _TEXT,
    "source_id": _TEXT, "postings": {"type": "array", "minItems": 2, "items": _POSTING}}
_JOURNAL = _obj(_JOURNAL_FIELDS)
# v2: what a consumer needs to read ``functional_amount`` and ``posted_on`` without a
# master-data lookup of its own; both optional, so every v1 payload is a valid v2 one
_JOURNAL_V2 = _obj(_JOURNAL_FIELDS, {
    "functional_currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$",
                            "description": "ISO 4217 code of the entity's functional "
                            "currency: the currency of every posting's functional_amount"},
    "entity_timezone": {"type": ["string", "null"], "description": "IANA time zone of the "
                        "entity, whose calendar day posted_on is"}})

_ERP_LINE = _obj({"description": _TEXT, "account": _TEXT, "quantity": _DECIMAL,
                  "unit_price": _DECIMAL, "amount": _DECIMAL, "debit": _DECIMAL,
                  "credit": _DECIMAL},
                 {"item": _OPT_TEXT, "tax": _OPT_TEXT, "currency": _OPT_TEXT,
                  "amount_currency": _OPT_DECIMAL,
                  "project": {"type": ["string", "null"],
                              "description": "the ERP's own project (its identity map's id)"}})
_ERP_PARTY = _obj({"external_id": _TEXT, "name": _TEXT},
                  {"country": _OPT_TEXT, "vat_id": _OPT_TEXT,
                   "email": {"type": ["string", "null"],
                             "description": "the customer's billing address, a company's"}})
_ERP_DOCUMENT = _obj({
    "kind": {"enum": ["invoice", "credit_note", "journal_entry"]},
    "external_id": _TEXT, "company": _TEXT, "journal": _TEXT, "currency": _TEXT,
    "date": _DATE, "lines": {"type": "array", "items": _ERP_LINE},
    "net": _DECIMAL, "tax": _DECIMAL, "total": _DECIMAL,
}, {"memo": _TEXT, "number": _OPT_TEXT, "due_date": {"type": ["string", "null"]},
    "reference": _OPT_TEXT, "partner": {"anyOf": [{"type": "null"}, _ERP_PARTY]}})

# (type without its version suffix, version) -> schema; every published type, every version
EVENT_SCHEMAS: dict[tuple[str, int], dict[str, Any]] = {
    ("hourbridge.journal.entry.ready", 1): _event(
        JOURNAL_ENTRY_READY, _JOURNAL, "A balanced journal entry is ready to post"),
    ("hourbridge.journal.entry.ready", 2): _event(
        JOURNAL_ENTRY_READY_V2, _JOURNAL_V2,
        "A balanced journal entry is ready to post, with its entity's functional currency "
        "and time zone"),
    ("hourbridge.erp.document.ready", 1): _event(
        ERP_DOCUMENT_READY, _obj({"destination": _TEXT, "document": _ERP_DOCUMENT}),
        "A document mapped for one ERP destination is ready to deliver"),
    ("hourbridge.webhook.test", 1): _event(
        WEBHOOK_TEST, _obj({"webhook": _TEXT}), "A test delivery to one webhook"),
}


def split_type(type_: str) -> tuple[str, int]:
    """``hourbridge.invoice.issued.v2`` -> (``hourbridge.invoice.issued``, 2)."""
    name, _, version = type_.rpartition(".v")
    return name, int(version)


def schema_of(type_: str) -> dict[str, Any] | None:
    """The schema an event of ``type_`` (with its version suffix) must match."""
    try:
        return EVENT_SCHEMAS.get(split_type(type_))
    except ValueError:
        return None


def _types(prop: dict[str, Any]) -> set[str] | None:
    """The JSON types a property allows (None: anything, e.g. const/enum/anyOf judged apart)."""
    t = prop.get("type")
    if t is None:
        return None
    return {t} if isinstance(t, str) else set(t)


def compatibility_problems(old: dict[str, Any], new: dict[str, Any],
                           path: str = "") -> list[str]:
    """What in ``new`` would break a consumer written for ``old``: a required field no longer
    required, a field removed, a type narrowed, an enum or const changed, recursively."""
    problems: list[str] = []
    old_types, new_types = _types(old), _types(new)
    untyped = old_types is None and not {"const", "enum", "anyOf"} & set(old)
    if new_types is not None and (untyped or (old_types is not None
                                              and not old_types <= new_types)):
        problems.append(f"{path or '/'}: type narrowed from {sorted(old_types or ['any'])} "
                        f"to {sorted(new_types)}")
    for key in ("const", "enum", "pattern", "format"):
        if key in old and old.get(key) != new.get(key):
            if key == "enum" and set(old[key]) <= set(new.get(key, old[key])):
                continue
            problems.append(f"{path or '/'}: {key} changed")
    for name in old.get("required", []):
        if name not in new.get("required", []):
            problems.append(f"{path}/{name}: no longer required")
    for name, prop in old.get("properties", {}).items():
        if name not in new.get("properties", {}):
            problems.append(f"{path}/{name}: removed")
        else:
            problems += compatibility_problems(prop, new["properties"][name], f"{path}/{name}")
    if "items" in old and "items" in new:
        problems += compatibility_problems(old["items"], new["items"], f"{path}/items")
    return problems


def version_problems(name: str, older: int, newer: int) -> list[str]:
    """``compatibility_problems`` of ``name`` v``newer`` against v``older``: the envelope's
    ``type`` names its version, so that one constant is expected to differ."""
    old, new = EVENT_SCHEMAS[(name, older)], EVENT_SCHEMAS[(name, newer)]
    own_type = {**new, "properties": {**new["properties"],
                                      "type": old["properties"]["type"]}}
    return compatibility_problems(old, own_type)


def catalogue() -> list[dict[str, Any]]:
    """Every schema's type, version and where it is served."""
    return [{"type": name, "version": version, "event_type": f"{name}.v{version}",
             "title": schema["title"], "href": f"/v1/events/schemas/{name}/{version}"}
            for (name, version), schema in sorted(EVENT_SCHEMAS.items())]
