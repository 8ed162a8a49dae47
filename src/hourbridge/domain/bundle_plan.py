"""What a bundle load will do: nested parts merged by key, and the diff per record and part.

Merge rule: a record in the bundle replaces the stored record's own fields; its nested parts
(tasks, assignments, cost rates, contract versions, fee installments, milestones, rate rows)
merge by their natural key (``PART_KEYS``): a part named in the bundle is added or replaces
the stored part of the same key, a part the bundle does not name stays as it is. A part is
removed only by a removal marker on it (``Bundle.removals``) or by a whole-replace load
(``Bundle.replace_parts``), and every removal is listed in the diff.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from .aliases import IdAlias, alias_key
from .bundle import Bundle, fx_key
from .masterdata import MasterData
from .model import IntercompanyMarkup
from .problems import Problem

Value = str | int | bool | None


def _assignment_key(a: Any) -> str:
    return f"{a.employee}@{a.valid_from.isoformat()}"


# kind -> nested part -> the part's natural key, as text (the key a removal marker names)
PART_KEYS: dict[str, dict[str, Callable[[Any], str]]] = {
    "employees": {"cost_rates": lambda r: r.valid_from.isoformat()},
    "projects": {"tasks": lambda t: str(t.code), "assignments": _assignment_key},
    "contracts": {"versions": lambda v: str(v.version), "fee_schedule": lambda f: str(f.id),
                  "milestones": lambda ms: str(ms.id)},
    "rate_cards": {"rows": lambda r: str(r.id)},
}


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: Value
    new: Value


@dataclass(frozen=True, slots=True)
class PartChange:
    part: str  # "tasks", "assignments", ...
    key: str
    action: str  # added | changed | removed
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordChange:
    kind: str
    key: str
    action: str  # added | changed
    origin: str
    fields: tuple[FieldChange, ...] = ()
    parts: tuple[PartChange, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadReport:
    """Counts per kind (created/updated/unchanged) and every change, whether written or not."""

    dry_run: bool
    counts: dict[str, dict[str, int]]
    changes: tuple[RecordChange, ...]
    warnings: tuple[str, ...] = ()  # old names the bundle used (``Bundle.warnings``)

    @property
    def removals(self) -> list[tuple[RecordChange, PartChange]]:
        return [(r, p) for r in self.changes for p in r.parts if p.action == "removed"]

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "counts": self.counts,
                "changes": [dataclasses.asdict(c) for c in self.changes],
                "warnings": list(self.warnings)}


@dataclass(frozen=True, slots=True)
class LoadPlan:
    bundle: Bundle  # records with their nested parts merged over the stored ones
    changes: tuple[RecordChange, ...]
    counts: dict[str, dict[str, int]]
    problems: list[Problem]


def show(value: object) -> Value:
    """A field value as JSON-friendly text: decimals and dates as text, enums by value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return show(value.value)
    if isinstance(value, date | Decimal):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, tuple):  # address lines: as written, one after the other
        return "; ".join(str(show(v)) for v in value)
    return str(value)


def _flatten(obj: object, prefix: str = "", skip: Iterable[str] = ()) -> dict[str, object]:
    """Leaf values by dotted path; nested dataclasses and mappings are walked into. Values
    stay as they are, so 0.19 and 0.1900 (a database's scale) compare equal."""
    out: dict[str, object] = {}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name not in skip:
                out.update(_flatten(getattr(obj, f.name), f"{prefix}{f.name}."))
        return out
    if isinstance(obj, tuple) and any(dataclasses.is_dataclass(v) for v in obj):
        # bank accounts: each by its position (bank_accounts.0.iban)
        for i, v in enumerate(obj):
            out.update(_flatten(v, f"{prefix}{i}."))
        return out or {prefix[:-1]: None}
    if isinstance(obj, dict):
        if not obj:
            return {prefix[:-1]: None}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: obj}


def field_changes(old: object, new: object, skip: Iterable[str] = ()) -> tuple[FieldChange, ...]:
    a, b = _flatten(old, skip=skip), _flatten(new, skip=skip)
    return tuple(FieldChange(path, show(a.get(path)), show(b.get(path)))
                 for path in [*a, *(p for p in b if p not in a)] if a.get(path) != b.get(path))


def _merge_parts(part: str, keyf: Callable[[Any], str], old: Sequence[Any],
                 new: Sequence[Any], removed: set[str], whole: bool,
                 where: str) -> tuple[tuple[Any, ...], list[PartChange], list[Problem]]:
    problems: list[Problem] = []
    new_keys = [keyf(p) for p in new]
    given = dict(zip(new_keys, new, strict=True))
    for k in sorted({k for k in new_keys if new_keys.count(k) > 1}):
        problems.append(Problem("duplicate_key", f"{part} key {k!r} appears twice",
                                f"{where}.{part}", part))
    for k in sorted(removed & set(given)):
        problems.append(Problem("invalid_field", f"{part} {k!r} is both given and marked "
                                "remove", f"{where}.{part}", part))
    if whole or len(given) < len(new):  # duplicates: keep them all for check_bundle to see
        merged = tuple(p for p in old if not whole and keyf(p) not in given
                       and keyf(p) not in removed) + tuple(new)
    else:
        kept = tuple(given.get(keyf(p), p) for p in old if keyf(p) not in removed)
        stored = {keyf(p) for p in old}
        merged = kept + tuple(p for p in new if keyf(p) not in stored)
    before = {keyf(p): p for p in old}
    after = {keyf(p): p for p in merged}
    changes: list[PartChange] = []
    for k, p in after.items():
        if k not in before:
            changes.append(PartChange(part, k, "added"))
        elif p != before[k]:
            changes.append(PartChange(part, k, "changed", field_changes(before[k], p)))
    changes += [PartChange(part, k, "removed") for k in before if k not in after]
    return merged, changes, problems


def _records(bundle: Bundle, stored: MasterData) -> dict[str, list[tuple[str, Any, Any]]]:
    """(key, stored record or None, bundle record) per kind, in the order they are written
    and counted (foreign keys first)."""
    return {
        "entities": [(e.code, stored.entities.get(e.code), e) for e in bundle.entities],
        "customers": [(c.id, stored.customers.get(c.id), c) for c in bundle.customers],
        "employees": [(e.id, stored.employees.get(e.id), e) for e in bundle.employees],
        "contracts": [(k.id, stored.contracts.get(k.id), k) for k in bundle.contracts],
        "projects": [(p.code, stored.projects.get(p.code), p) for p in bundle.projects],
        "rate_cards": [(r.id, stored.rate_cards.get(r.id), r) for r in bundle.rate_cards],
        "fx_rates": [(fx_key(r), stored.fx_rates.get(r.key), r) for r in bundle.fx_rates],
        "intercompany": [
            (f"{i.seller}>{i.buyer}",
             None if (i.seller, i.buyer) not in stored.intercompany else IntercompanyMarkup(
                 i.seller, i.buyer, stored.intercompany[(i.seller, i.buyer)]), i)
            for i in bundle.intercompany],
        "aliases": [
            (alias_key(a), None if a.key not in stored.aliases
             else IdAlias(*a.key, stored.aliases[a.key]), a) for a in bundle.aliases],
    }


def plan_load(bundle: Bundle, stored: MasterData) -> LoadPlan:
    """Merge ``bundle`` over ``stored`` (see the module's rule) and say what changes."""
    problems: list[Problem] = []
    changes: list[RecordChange] = []
    counts: dict[str, dict[str, int]] = {}
    merged: dict[str, list[Any]] = {}
    for kind, records in _records(bundle, stored).items():
        parts = PART_KEYS.get(kind, {})
        for key, old, new in records:
            origin = bundle.origins.get((kind, key), f"{kind}[{key}]")
            part_changes: list[PartChange] = []
            updates: dict[str, tuple[Any, ...]] = {}
            for part, keyf in parts.items():
                removed = {pk for (k, rk, pt, pk) in bundle.removals
                           if (k, rk, pt) == (kind, key, part)}
                value, found, trouble = _merge_parts(
                    part, keyf, () if old is None else getattr(old, part), getattr(new, part),
                    removed, bundle.replace_parts, origin)
                updates[part] = value
                part_changes += found
                problems += trouble
            record = replace(new, **updates) if updates else new
            merged.setdefault(kind, []).append(record)
            fields = () if old is None else field_changes(old, record, skip=parts)
            bucket = counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
            if old is None:
                bucket["created"] += 1
                changes.append(RecordChange(kind, key, "added", origin, (), tuple(part_changes)))
            elif fields or part_changes:
                bucket["updated"] += 1
                changes.append(RecordChange(kind, key, "changed", origin, fields,
                                            tuple(part_changes)))
            else:
                bucket["unchanged"] += 1
    by_kind: dict[str, Any] = {k: tuple(v) for k, v in merged.items()}
    effective = replace(bundle, **by_kind)
    return LoadPlan(effective, tuple(changes), counts, problems)
