"""Master-data bundles for the domain's bundle checks (``tests/unit/domain/test_bundle*.py``):
the ``build`` fixture's whole firm as one bundle, and the problems' (code, where) pairs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hourbridge.domain.bundle import Bundle
from hourbridge.domain.problems import Problem


def full_bundle(build: Any, **kw: object) -> Bundle:
    """Everything ``build.md()`` holds as one bundle, with ``kw`` replacing its parts."""
    md = build.md()
    base = Bundle(
        entities=tuple(md.entities.values()),
        customers=tuple(md.customers.values()),
        employees=tuple(md.employees.values()),
        projects=tuple(md.projects.values()),
        contracts=tuple(md.contracts.values()),
        rate_cards=tuple(md.rate_cards.values()),
    )
    return replace(base, **kw)


def found(problems: list[Problem]) -> list[tuple[str, str]]:
    """(code, where) pairs."""
    return [(p.code, p.where) for p in problems]
