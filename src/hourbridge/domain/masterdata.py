"""A read-only snapshot of master data: what validation, rating and billing look things up in."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from .fx import FxRate
from .model import Contract, Customer, Employee, LegalEntity, Project, RateCard


@dataclass(frozen=True, slots=True)
class MasterData:
    entities: dict[str, LegalEntity] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    employees: dict[str, Employee] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    rate_cards: dict[str, RateCard] = field(default_factory=dict)
    # (from currency, to currency, valid from) -> rate; see domain.fx for the convention
    fx_rates: dict[tuple[str, str, date], FxRate] = field(default_factory=dict)
    # (selling entity, buying entity) -> transfer-price markup in percent
    intercompany: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    # (source, kind, tracker id) -> code: a tracker's user, project or task ids as Hourbridge's
    # employee, project or task codes (domain.aliases)
    aliases: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def limited_to(self, entities: frozenset[str] | None) -> MasterData:
        """The snapshot as a sender limited to ``entities`` (None: all) sees it for intake:
        only their projects, so another entity's project is unknown, by code or through an
        alias, and no message (an alias's suggestions) names one. One pass over the projects
        per payload, not a lookup per row."""
        if entities is None:
            return self
        return replace(self, projects={code: p for code, p in self.projects.items()
                                       if p.entity in entities})

    def customer_chain(self, customer_id: str) -> list[str]:
        """The customer and its ancestors, nearest first (cycles are refused at load)."""
        chain: list[str] = []
        current: str | None = customer_id
        while current is not None and current not in chain:
            chain.append(current)
            parent = self.customers.get(current)
            current = parent.parent if parent else None
        return chain
