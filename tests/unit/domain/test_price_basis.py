"""What keeps a rate decision stored at approval valid (``domain.pricing.PriceBasis``, issue
16 item 2): a change of anything pricing reads changes the basis; anything else does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from hourbridge.domain.model import Assignment, RateScope
from hourbridge.domain.pricing import PriceBasis


def _basis(build: Any, **kw: Any) -> str | None:
    return PriceBasis(build.md(**kw)).of("K1", "P1")


def test_the_basis_is_stable_and_unknown_work_has_none(build: Any) -> None:
    first = _basis(build)
    assert first is not None and first == _basis(build)  # same facts, same digest
    # card and row order as read from the store does not matter
    firm = build.firm_card()
    shuffled = replace(firm, rows=tuple(reversed(firm.rows)))
    assert _basis(build, rate_cards=[build.contract_card(), shuffled]) == first
    md = build.md()
    assert PriceBasis(md).of("K9", "P1") is None and PriceBasis(md).of("K1", "P9") is None


def test_every_fact_pricing_reads_changes_the_basis(build: Any) -> None:
    b, first = build, _basis(build)
    r = b.row
    raised = b.card("FIRM", RateScope.FIRM, r("f-default", 100),
                    r("f-consultant", 125, role="consultant"), r("f-lead", 150, role="lead"))
    project_card = b.card("P1-RATES", RateScope.PROJECT, r("p-x", 99), scope_id="P1")
    customer_card = b.card("ACME", RateScope.CUSTOMER, r("c-x", 98), scope_id="ACME")
    changed = {
        "firm rate": _basis(b, rate_cards=[raised, b.contract_card()]),
        "project card": _basis(b, rate_cards=[b.firm_card(), b.contract_card(), project_card]),
        "parent customer card": _basis(
            b, rate_cards=[b.firm_card(), b.contract_card(), customer_card]),
        "contract amended": _basis(b, contracts=[b.contract(versions=(
            b.version(), b.version(2, effective_from=date(2026, 3, 1))))]),
        "assignment": _basis(b, projects=[b.project(assignments=(
            Assignment("alice", date(2026, 1, 1), role="lead"),))]),
        "default role": _basis(b, employees=[b.employee("alice", "lead"),
                                             b.employee("bob", "senior"), b.employee("carol")]),
    }
    assert all(v is not None and v != first for v in changed.values()), changed
    # a card of another contract does not reach this work
    other = b.card("K2-RATES", RateScope.CONTRACT, r("k2", 1), scope_id="K2")
    assert _basis(b, rate_cards=[b.firm_card(), b.contract_card(), other]) == first


def test_one_basis_per_snapshot_with_the_same_digests(build: Any) -> None:
    """Approval asks for the basis of the snapshot it priced under; the same snapshot object
    (the store's cache hands out one per revision) gets the same basis back, digests kept,
    and another snapshot, even an equal one, gets its own (issue 16, item 4)."""
    md, other = build.md(), build.md()
    shared = PriceBasis.of_snapshot(md)
    first = shared.of("K1", "P1")
    assert PriceBasis.of_snapshot(md) is shared
    assert first is not None and first == PriceBasis(md).of("K1", "P1")
    fresh = PriceBasis.of_snapshot(other)
    assert fresh is not shared and fresh.of("K1", "P1") == first
    no_firm_card = build.md(rate_cards=[build.contract_card()])  # other facts: another basis
    assert PriceBasis.of_snapshot(no_firm_card).of("K1", "P1") != first
