"""The texts of a master-data bundle against their limits (domain/limits): every id, code and
name longer than its column or holding NUL or a control character is refused, naming the
record and field (``file: customers[3].name``), before any database sees it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from . import limits
from .problems import Problem

if TYPE_CHECKING:
    from .bundle import Bundle

TAX_CODE = 32  # customers.tax_code; an entity's tax-rate keys are tax codes
_Where = Callable[[str, str, str], str]
# (path, value, limit, free text)
_Text = tuple[str, str | None, int, bool]


def _code(path: str, value: str | None) -> _Text:
    return (path, value, limits.CODE, False)


def _name(path: str, value: str | None) -> _Text:
    return (path, value, limits.NAME, False)


def _record_texts(bundle: Bundle) -> Iterator[tuple[str, str, list[_Text]]]:
    for e in bundle.entities:
        a = e.accounts
        accounts = {"receivables": a.receivables,
                    "unbilled_receivables": a.unbilled_receivables,
                    "tax_payable": a.tax_payable, "revenue": a.revenue,
                    "revenue_adjustments": a.revenue_adjustments,
                    "deferred_revenue": a.deferred_revenue,
                    "expense_recoveries": a.expense_recoveries, "fx_gain_loss": a.fx_gain_loss,
                    "intercompany_receivable": a.intercompany_receivable,
                    "intercompany_revenue": a.intercompany_revenue,
                    "intercompany_cost": a.intercompany_cost,
                    "intercompany_payable": a.intercompany_payable}
        yield "entities", e.code, [
            _code("code", e.code), _name("name", e.name),
            _code("invoice_prefix", e.invoice_prefix), _code("vat_id", e.vat_id),
            _code("legal_registration_id", e.legal_registration_id),
            _code("tax_registration_id", e.tax_registration_id),
            *[_code(f"accounts.{role}", code) for role, code in accounts.items()],
            *[("tax_rates", key, TAX_CODE, False) for key in e.tax_rates]]
    for c in bundle.customers:
        yield "customers", c.id, [
            _code("id", c.id), _name("name", c.name), _code("entity", c.entity),
            _code("parent", c.parent), _code("vat_id", c.vat_id),
            ("tax_code", c.tax_code, TAX_CODE, False), _code("po_number", c.po_number)]
    for emp in bundle.employees:
        yield "employees", emp.id, [
            _code("id", emp.id), _code("entity", emp.entity), _code("role", emp.role),
            _name("department", emp.department), _code("timezone", emp.timezone)]
    for p in bundle.projects:
        yield "projects", p.code, [
            _code("code", p.code), _name("name", p.name), _code("customer", p.customer),
            _code("entity", p.entity), _code("contract", p.contract),
            *[t for i, task in enumerate(p.tasks)
              for t in (_code(f"tasks[{i}].code", task.code),
                        _name(f"tasks[{i}].name", task.name))],
            *[t for i, a in enumerate(p.assignments)
              for t in (_code(f"assignments[{i}].employee", a.employee),
                        _code(f"assignments[{i}].role", a.role))]]
    for k in bundle.contracts:
        yield "contracts", k.id, [
            _code("id", k.id), _code("customer", k.customer), _code("entity", k.entity),
            *[t for i, f in enumerate(k.fee_schedule)
              for t in (_code(f"fee_schedule[{i}].id", f.id),
                        (f"fee_schedule[{i}].description", f.description, limits.NOTE, True))],
            *[t for i, m in enumerate(k.milestones)
              for t in (_code(f"milestones[{i}].id", m.id),
                        _name(f"milestones[{i}].name", m.name))]]
    for card in bundle.rate_cards:
        yield "rate_cards", card.id, [
            _code("id", card.id), _code("scope_id", card.scope_id),
            *[t for i, r in enumerate(card.rows)
              for t in (_code(f"rows[{i}].id", r.id), _code(f"rows[{i}].employee", r.employee),
                        _code(f"rows[{i}].role", r.role), _code(f"rows[{i}].task", r.task))]]


def text_problems(bundle: Bundle, where: _Where) -> list[Problem]:
    """Every text of ``bundle`` too long for its field or holding NUL or control characters;
    ``where(kind, key, path)`` names the place."""
    problems: list[Problem] = []
    for kind, key, texts in _record_texts(bundle):
        for path, value, limit, free_text in texts:
            if value is None:
                continue
            problem = limits.text_problem(value, path, limit, where(kind, key, path),
                                          free_text=free_text)
            if problem is not None:
                problems.append(problem)
    return problems
