"""A master-data bundle: records to upsert together, and the cross-reference rules they obey.

Shape problems (a missing field, a bad date) are caught at the edge that parsed the file;
here we check what needs the whole picture: references between records, including records
already stored, and contradictions inside a record.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .aliases import KINDS as ALIAS_KINDS
from .aliases import IdAlias, alias_key
from .bundle_texts import text_problems
from .contracts import term_problems
from .fx import FxRate, FxRateDate, FxTable, rate_problem
from .masterdata import MasterData
from .model import (
    Contract,
    Customer,
    Employee,
    IntercompanyMarkup,
    LegalEntity,
    Project,
    RateCard,
    RateRow,
    RateScope,
)
from .money import is_currency
from .problems import Problem
from .tax import outside_vat

KINDS = ("entities", "customers", "employees", "projects", "contracts", "rate_cards",
         "fx_rates")


@dataclass(frozen=True, slots=True)
class Bundle:
    entities: tuple[LegalEntity, ...] = ()
    customers: tuple[Customer, ...] = ()
    employees: tuple[Employee, ...] = ()
    projects: tuple[Project, ...] = ()
    contracts: tuple[Contract, ...] = ()
    rate_cards: tuple[RateCard, ...] = ()
    # (kind, key) -> "file: kind[index]" so a problem names where the record came from
    origins: dict[tuple[str, str], str] = field(default_factory=dict)
    fx_rates: tuple[FxRate, ...] = ()  # keyed "FROM/TO/YYYY-MM-DD" in origins
    intercompany: tuple[IntercompanyMarkup, ...] = ()
    aliases: tuple[IdAlias, ...] = ()  # keyed "source/kind/external id" in origins
    # nested parts marked for removal: (kind, record key, part, part key); see bundle_plan
    removals: frozenset[tuple[str, str, str, str]] = frozenset()
    # True: each record's nested parts are exactly the bundle's (the stored others go)
    replace_parts: bool = False
    # what the load reports without refusing, still read for one version: old names the
    # files used (docs/GLOSSARY.md), tax rates written as fractions; the load report
    # repeats them
    warnings: tuple[str, ...] = ()

    def merged_over(self, stored: MasterData) -> MasterData:
        """Stored master data with this bundle's records replacing same-key records."""
        return MasterData(
            entities={**stored.entities, **{e.code: e for e in self.entities}},
            customers={**stored.customers, **{c.id: c for c in self.customers}},
            employees={**stored.employees, **{e.id: e for e in self.employees}},
            projects={**stored.projects, **{p.code: p for p in self.projects}},
            contracts={**stored.contracts, **{c.id: c for c in self.contracts}},
            rate_cards={**stored.rate_cards, **{r.id: r for r in self.rate_cards}},
            fx_rates={**stored.fx_rates, **{r.key: r for r in self.fx_rates}},
            intercompany={**stored.intercompany,
                          **{(i.seller, i.buyer): i.markup_percent for i in self.intercompany}},
            aliases={**stored.aliases, **{a.key: a.code for a in self.aliases}},
        )


def _dupes(bundle: Bundle) -> list[Problem]:
    problems: list[Problem] = []
    keyed: list[tuple[str, list[str]]] = [
        ("entities", [e.code for e in bundle.entities]),
        ("customers", [c.id for c in bundle.customers]),
        ("employees", [e.id for e in bundle.employees]),
        ("projects", [p.code for p in bundle.projects]),
        ("contracts", [c.id for c in bundle.contracts]),
        ("rate_cards", [r.id for r in bundle.rate_cards]),
        ("fx_rates", [fx_key(r) for r in bundle.fx_rates]),
        ("aliases", [alias_key(a) for a in bundle.aliases]),
    ]
    for kind, keys in keyed:
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                problems.append(Problem("duplicate_key", f"{kind} key {key!r} appears twice",
                                        bundle.origins.get((kind, key), kind)))
            seen.add(key)
    return problems


def fx_key(rate: FxRate) -> str:
    return f"{rate.from_currency}/{rate.to_currency}/{rate.valid_from.isoformat()}"


def _fx_problems(bundle: Bundle, md: MasterData) -> list[Problem]:
    """Rates that cannot be rates, and contracts whose currency cannot be translated into
    their entity's functional currency (DESIGN: FX by a declared rate-date policy)."""
    problems: list[Problem] = []

    def where(kind: str, key: str, path: str) -> str:
        return f"{bundle.origins.get((kind, key), f'{kind}[{key}]')}.{path}"

    for r in bundle.fx_rates:
        key = fx_key(r)
        for path, code in (("from_currency", r.from_currency), ("to_currency", r.to_currency)):
            if not is_currency(code):
                problems.append(Problem("invalid_reference",
                                        f"{code!r} is not an ISO 4217 currency",
                                        where("fx_rates", key, path), path))
        if r.from_currency == r.to_currency:
            problems.append(Problem("invalid_reference", "a rate converts between two "
                                    "different currencies", where("fx_rates", key,
                                                                  "to_currency"), "to_currency"))
        why = rate_problem(r.rate)
        if why:
            problems.append(Problem("invalid_field", why, where("fx_rates", key, "rate"), "rate"))
    table = FxTable(md.fx_rates.values())
    # a contract is checked when it is loaded, and again when a rate load touches its pair
    touched = {(r.from_currency, r.to_currency) for r in bundle.fx_rates}
    loaded = {k.id for k in bundle.contracts}
    entities = {e.code for e in bundle.entities}
    for k in md.contracts.values():
        ent = md.entities.get(k.entity)
        if ent is None or (k.id not in loaded and k.entity not in entities
                           and (k.currency, ent.currency) not in touched):
            continue

        def refuse(path: str, message: str, code: str = "invalid_reference",
                   contract: str = k.id) -> None:
            problems.append(Problem(code, message, where("contracts", contract, path), path))

        foreign = k.currency != ent.currency
        if k.fx_rate_date is FxRateDate.FIXED:
            if not foreign:
                refuse("fx_rate_date", f"a fixed FX rate needs a contract in another currency "
                       f"than entity {ent.code}'s functional currency {ent.currency}")
            elif k.fx_fixed_rate is None:
                refuse("fx_fixed_rate", "fx_rate_date is fixed but no fx_fixed_rate is given")
            elif why := rate_problem(k.fx_fixed_rate):
                refuse("fx_fixed_rate", why, "invalid_field")
        else:
            if k.fx_fixed_rate is not None:
                refuse("fx_fixed_rate", f"fx_fixed_rate is only used when fx_rate_date is "
                       f"fixed (it is {k.fx_rate_date.value})")
            if foreign and not table.has_pair(k.currency, ent.currency):
                refuse("currency", f"contract currency {k.currency} differs from entity "
                       f"{ent.code}'s functional currency {ent.currency} and there is no "
                       f"{k.currency} -> {ent.currency} rate in fx_rates (or use fx_rate_date "
                       "fixed with fx_fixed_rate)", "no_fx_rate")
    return problems


def _overlapping_rates(bundle: Bundle, md: MasterData) -> list[Problem]:
    """Rows that would tie: same card scope, currency and dimensions, overlapping dates.

    Rating refuses a tie per entry (``rate_conflict``); refusing it at load says so once, at
    the source, before any time is priced.
    """
    problems: list[Problem] = []
    touched = {(c.scope, c.scope_id, c.currency) for c in bundle.rate_cards}
    groups: dict[tuple[object, ...], list[tuple[str, RateRow]]] = {}
    for card in md.rate_cards.values():
        if (card.scope, card.scope_id, card.currency) not in touched:
            continue
        for row in card.rows:
            dims = (card.scope, card.scope_id, card.currency, row.employee, row.role, row.task)
            groups.setdefault(dims, []).append((card.id, row))
    for rows in groups.values():
        rows.sort(key=lambda cr: cr[1].valid_from)
        for (card_a, a), (card_b, b) in itertools.pairwise(rows):
            if a.valid_until is None or a.valid_until >= b.valid_from:
                problems.append(Problem(
                    "invalid_reference",
                    f"rate rows {card_a}/{a.id} and {card_b}/{b.id} match the same people and "
                    f"tasks on overlapping dates (from {b.valid_from.isoformat()}); a tie is "
                    "never guessed: end one row before the other starts",
                    bundle.origins.get(("rate_cards", card_b), f"rate_cards[{card_b}]")
                    + ".rows", "valid_until"))
    return problems


def check_bundle(bundle: Bundle, stored: MasterData) -> list[Problem]:
    """Every reason the bundle cannot be loaded over ``stored``; empty means load it."""
    problems = _dupes(bundle)
    md = bundle.merged_over(stored)

    def where(kind: str, key: str, path: str) -> str:
        return f"{bundle.origins.get((kind, key), f'{kind}[{key}]')}.{path}"

    def need(ok: bool, kind: str, key: str, path: str, message: str) -> None:
        if not ok:
            problems.append(Problem("invalid_reference", message, where(kind, key, path), path))

    problems += text_problems(bundle, where)

    for e in bundle.entities:
        need(is_currency(e.currency), "entities", e.code, "currency",
             f"{e.currency!r} is not an ISO 4217 currency")
        codes = [e.accounts.receivables, e.accounts.unbilled_receivables, e.accounts.tax_payable,
                 e.accounts.revenue, e.accounts.revenue_adjustments,
                 e.accounts.deferred_revenue, e.accounts.expense_recoveries,
                 e.accounts.fx_gain_loss,
                 e.accounts.intercompany_receivable, e.accounts.intercompany_revenue,
                 e.accounts.intercompany_cost, e.accounts.intercompany_payable]
        need(len(set(codes)) == len(codes), "entities", e.code, "accounts",
             "each account role needs its own account code (shared codes would merge "
             "revenue, receivables or tax in the ledger)")
        for code, rate in e.tax_rates.items():
            need(0 <= rate < 1, "entities", e.code, f"tax_rates.{code}",
                 f"tax rate {rate * 100} % must be at least 0 and below 100 %")
    for c in bundle.customers:
        need(c.entity in md.entities, "customers", c.id, "entity", f"unknown entity {c.entity!r}")
        need(is_currency(c.currency), "customers", c.id, "currency",
             f"{c.currency!r} is not an ISO 4217 currency")
        need(c.parent is None or c.parent in md.customers, "customers", c.id, "parent",
             f"unknown parent customer {c.parent!r}")
        if c.parent is not None and c.id in md.customer_chain(c.parent):
            need(False, "customers", c.id, "parent", "customer hierarchy has a cycle")
        ent = md.entities.get(c.entity)
        # an entity outside VAT charges none, so it needs no rate (tax.outside_vat)
        if ent is not None and not c.tax_exempt and not outside_vat(ent) \
                and c.tax_code not in ("zero", "exempt", "none"):
            need(c.tax_code in ent.tax_rates, "customers", c.id, "tax_code",
                 f"entity {ent.code} has no tax rate {c.tax_code!r}")
    for emp in bundle.employees:
        need(emp.entity in md.entities, "employees", emp.id, "entity",
             f"unknown entity {emp.entity!r}")
    for p in bundle.projects:
        need(p.customer in md.customers, "projects", p.code, "customer",
             f"unknown customer {p.customer!r}")
        need(p.entity in md.entities, "projects", p.code, "entity", f"unknown entity {p.entity!r}")
        if p.contract is not None:
            k = md.contracts.get(p.contract)
            need(k is not None, "projects", p.code, "contract", f"unknown contract {p.contract!r}")
            if k is not None:
                need(k.customer == p.customer, "projects", p.code, "contract",
                     f"contract {k.id} belongs to customer {k.customer}, not {p.customer}")
                need(k.entity == p.entity, "projects", p.code, "contract",
                     f"contract {k.id} is with entity {k.entity}, not {p.entity}")
        codes = [t.code for t in p.tasks]
        need(len(codes) == len(set(codes)), "projects", p.code, "tasks", "task codes repeat")
        for i, a in enumerate(p.assignments):
            need(a.employee in md.employees, "projects", p.code, f"assignments[{i}].employee",
                 f"unknown employee {a.employee!r}")
            need(a.valid_until is None or a.valid_until >= a.valid_from, "projects", p.code,
                 f"assignments[{i}].valid_until", "assignment ends before it starts")
    for k in bundle.contracts:
        cust = md.customers.get(k.customer)
        need(cust is not None, "contracts", k.id, "customer", f"unknown customer {k.customer!r}")
        ent = md.entities.get(k.entity)
        need(ent is not None, "contracts", k.id, "entity", f"unknown entity {k.entity!r}")
        need(cust is None or cust.currency == k.currency, "contracts", k.id, "currency",
             f"contract currency {k.currency} differs from the customer's "
             f"{cust.currency if cust else ''}")
        # a currency other than the entity's is translated by the FX table: _fx_problems
        need(k.end_date is None or k.end_date >= k.start_date, "contracts", k.id, "end_date",
             "contract ends before it starts")
        need(bool(k.versions), "contracts", k.id, "versions", "a contract needs a version")
        numbers = [v.version for v in k.versions]
        dates = [v.effective_from for v in k.versions]
        need(len(set(numbers)) == len(numbers), "contracts", k.id, "versions",
             "version numbers repeat")
        need(len(set(dates)) == len(dates), "contracts", k.id, "versions",
             "two versions take effect on the same date")
        need(not k.versions or min(dates) <= k.start_date, "contracts", k.id,
             "versions[0].effective_from", "no version is in force on the contract start date")
        problems += [Problem("invalid_contract", reason, where("contracts", k.id, term_field),
                             term_field) for term_field, reason in term_problems(k)]
        for i, v in enumerate(k.versions):
            r = v.rounding
            need(r.increment_minutes >= 1 and r.minimum_minutes >= 0, "contracts", k.id,
                 f"versions[{i}].rounding", "increment must be >= 1 minute, minimum >= 0")
    problems += _overlapping_rates(bundle, md)
    problems += _fx_problems(bundle, md)
    seen_pairs: set[tuple[str, str]] = set()
    for ic in bundle.intercompany:
        pair = f"{ic.seller}>{ic.buyer}"
        need(ic.seller in md.entities, "intercompany", pair, "from",
             f"unknown entity {ic.seller!r}")
        need(ic.buyer in md.entities, "intercompany", pair, "to", f"unknown entity {ic.buyer!r}")
        need(ic.seller != ic.buyer, "intercompany", pair, "to",
             "an entity does not charge itself: from and to must differ")
        need(0 <= ic.markup_percent <= 1000, "intercompany", pair, "markup_percent",
             f"markup {ic.markup_percent} % must be between 0 and 1000")
        need((ic.seller, ic.buyer) not in seen_pairs, "intercompany", pair, "from",
             f"the pair {ic.seller} -> {ic.buyer} appears twice")
        seen_pairs.add((ic.seller, ic.buyer))
    problems += _alias_problems(bundle, md)
    for card in bundle.rate_cards:
        need(is_currency(card.currency), "rate_cards", card.id, "currency",
             f"{card.currency!r} is not an ISO 4217 currency")
        scope_tables: dict[RateScope, dict[str, object]] = {
            RateScope.CONTRACT: dict(md.contracts), RateScope.PROJECT: dict(md.projects),
            RateScope.CUSTOMER: dict(md.customers),
        }
        if card.scope is RateScope.FIRM:
            need(card.scope_id is None, "rate_cards", card.id, "scope_id",
                 "a firm card has no scope_id")
        else:
            need(card.scope_id in scope_tables[card.scope], "rate_cards", card.id, "scope_id",
                 f"unknown {card.scope.value} {card.scope_id!r}")
        row_ids = [r.id for r in card.rows]
        need(len(row_ids) == len(set(row_ids)), "rate_cards", card.id, "rows", "row ids repeat")
        for i, row in enumerate(card.rows):
            need(row.rate >= 0, "rate_cards", card.id, f"rows[{i}].rate", "rate is negative")
            need(row.valid_until is None or row.valid_until >= row.valid_from, "rate_cards",
                 card.id, f"rows[{i}].valid_until", "row ends before it starts")
            need(row.employee is None or row.employee in md.employees, "rate_cards", card.id,
                 f"rows[{i}].employee", f"unknown employee {row.employee!r}")
    return problems


def _alias_problems(bundle: Bundle, md: MasterData) -> list[Problem]:
    """An alias names a code that exists: an employee, a project, or a task of some project."""
    problems: list[Problem] = []
    tasks = {t.code for p in md.projects.values() for t in p.tasks}
    for a in bundle.aliases:
        codes: dict[str, set[str]] = {"user": set(md.employees), "project": set(md.projects),
                                      "task": tasks, "customer": set(md.customers)}
        known = codes.get(a.kind)
        origin = bundle.origins.get(("aliases", alias_key(a)), f"aliases[{alias_key(a)}]")
        if known is None:
            problems.append(Problem("invalid_field", f"kind {a.kind!r} is not one of "
                                    f"{', '.join(ALIAS_KINDS)}", f"{origin}.kind", "kind"))
        elif a.code not in known:
            problems.append(Problem("invalid_reference", f"{a.kind} alias {a.external_id} "
                                    f"names an unknown code {a.code!r}", f"{origin}.code",
                                    "code"))
    return problems
