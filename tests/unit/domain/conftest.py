"""Builders for a tiny firm: one EUR entity, a customer group, three consultants, one project
under one contract, a firm rate card and a contract rate card.

Everything is a frozen value, so the builders are exposed through one session-scoped fixture
(``build``) that hypothesis tests can use without the function-scoped-fixture health check.
Override any record with keyword arguments; ``dataclasses.replace`` does the rest.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.domain.intake import ParsedEntry
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import (
    Assignment,
    Contract,
    ContractVersion,
    Customer,
    Employee,
    LegalEntity,
    Project,
    RateCard,
    RateRow,
    RateScope,
    RoundingMode,
    RoundingPolicy,
    Task,
)
from hourbridge.domain.rating import RateBook

JAN1 = date(2026, 1, 1)
D = Decimal


class Builders:
    """Namespace of small builders; every one returns a fresh immutable value."""

    JAN1 = JAN1

    @staticmethod
    def entity(**kw: Any) -> LegalEntity:
        base = LegalEntity(
            code="DE", name="Firm GmbH", country="DE", currency="EUR", invoice_prefix="DE",
            tax_rates={"standard": D("0.19")},
        )
        return replace(base, **kw)

    @staticmethod
    def customer(id: str = "ACME-DE", **kw: Any) -> Customer:
        base = Customer(id=id, name=f"{id} Ltd", entity="DE", currency="EUR", country="DE",
                        parent="ACME" if id == "ACME-DE" else None)
        return replace(base, **kw)

    @staticmethod
    def employee(id: str = "alice", role: str = "consultant", **kw: Any) -> Employee:
        return replace(Employee(id=id, entity="DE", role=role), **kw)

    @staticmethod
    def project(code: str = "P1", **kw: Any) -> Project:
        base = Project(
            code=code, name=f"Project {code}", customer="ACME-DE", entity="DE", contract="K1",
            tasks=(Task("dev", "Development"), Task("admin", "Admin", billable=False)),
            assignments=(
                Assignment("alice", JAN1),
                Assignment("bob", JAN1, role="lead"),
                Assignment("carol", JAN1, valid_until=date(2026, 1, 31)),
            ),
        )
        return replace(base, **kw)

    @staticmethod
    def version(version: int = 1, effective_from: date = JAN1, increment: int = 15,
                mode: RoundingMode = RoundingMode.UP, minimum: int = 0,
                **kw: Any) -> ContractVersion:
        return ContractVersion(version, effective_from,
                               RoundingPolicy(increment, mode, minimum), **kw)

    @staticmethod
    def contract(id: str = "K1", **kw: Any) -> Contract:
        base = Contract(id=id, customer="ACME-DE", entity="DE", currency="EUR",
                        start_date=JAN1, versions=(Builders.version(),))
        return replace(base, **kw)

    @staticmethod
    def row(id: str, rate: str | int | Decimal, valid_from: date = JAN1,
            **kw: Any) -> RateRow:
        return RateRow(id=id, rate=D(rate), valid_from=valid_from, **kw)

    @staticmethod
    def card(id: str, scope: RateScope, *rows: RateRow, scope_id: str | None = None,
             currency: str = "EUR") -> RateCard:
        return RateCard(id=id, scope=scope, currency=currency, scope_id=scope_id, rows=rows)

    @staticmethod
    def firm_card() -> RateCard:
        r = Builders.row
        return Builders.card(
            "FIRM", RateScope.FIRM,
            r("f-default", 100), r("f-consultant", 120, role="consultant"),
            r("f-lead", 150, role="lead"),
        )

    @staticmethod
    def contract_card() -> RateCard:
        return Builders.card("K1-RATES", RateScope.CONTRACT,
                             Builders.row("k-consultant", 130, role="consultant"),
                             scope_id="K1")

    @staticmethod
    def md(*, entities: list[LegalEntity] | None = None,
           customers: list[Customer] | None = None,
           employees: list[Employee] | None = None,
           projects: list[Project] | None = None,
           contracts: list[Contract] | None = None,
           rate_cards: list[RateCard] | None = None) -> MasterData:
        b = Builders
        if entities is None:
            entities = [b.entity()]
        if customers is None:
            customers = [b.customer("ACME"), b.customer("ACME-DE")]
        if employees is None:
            employees = [b.employee("alice"), b.employee("bob", "senior"),
                         b.employee("carol")]
        if projects is None:
            projects = [b.project()]
        if contracts is None:
            contracts = [b.contract()]
        if rate_cards is None:
            rate_cards = [b.firm_card(), b.contract_card()]
        return MasterData(
            entities={e.code: e for e in entities},
            customers={c.id: c for c in customers},
            employees={e.id: e for e in employees},
            projects={p.code: p for p in projects},
            contracts={c.id: c for c in contracts},
            rate_cards={c.id: c for c in rate_cards},
        )

    @staticmethod
    def book(md: MasterData) -> RateBook:
        return RateBook(md)

    @staticmethod
    def parsed(**kw: Any) -> ParsedEntry:
        base = ParsedEntry(
            external_id="e-1", employee="alice", project="P1", task="dev",
            work_date=date(2026, 1, 15), worked_seconds=3600, notes="", billable=True,
            revision=1,
        )
        return base._replace(**kw)


@pytest.fixture(scope="session")
def build() -> type[Builders]:
    return Builders
