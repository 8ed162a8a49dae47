"""Master data: snapshot into domain objects, and whole-record upserts from a bundle."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hourbridge.domain import model as m
from hourbridge.domain.bundle import Bundle
from hourbridge.domain.fx import FxRate, FxRateDate
from hourbridge.domain.masterdata import MasterData

from . import tables as t
from .parties import customer_party, customer_party_json, entity_party, entity_party_json
from .snapshot_cache import SnapshotCache


def canonical(record: object) -> object:
    """The record with nested parts in the store's order (the order of a file is not data)."""
    if isinstance(record, m.RateCard):
        return replace(record, rows=tuple(sorted(record.rows, key=lambda r: r.id)))
    if isinstance(record, m.Project):
        return replace(record, tasks=tuple(sorted(record.tasks, key=lambda t: t.code)))
    if isinstance(record, m.Contract):
        return replace(record, versions=tuple(sorted(record.versions, key=lambda v: v.version)))
    if isinstance(record, m.Employee):
        return replace(record, cost_rates=tuple(sorted(record.cost_rates,
                                                       key=lambda r: r.valid_from)))
    return record


REVISION = "masterdata"
# the customer fields kept in columns of their own (the rest is the party JSON)
_CUSTOMER_COLUMNS = ("id", "name", "entity", "currency", "country", "parent", "vat_id",
                     "tax_exempt", "tax_code", "business", "payment_terms_days", "po_number")


# built once: every command that reads master data asks for the revision first, and
# building the statement and its cache key cost more than the query (issue 16)
_REVISION_OF = select(t.revisions.c.value).where(t.revisions.c.name == REVISION)


class SqlMasterData:
    def __init__(self, conn: Connection, cache: SnapshotCache | None = None) -> None:
        self.conn = conn
        self.cache = cache

    def revision(self) -> int:
        value = self.conn.execute(_REVISION_OF).scalar()
        return int(value or 0)

    def _bump_revision(self) -> None:
        rv = t.revisions
        done = self.conn.execute(update(rv).where(rv.c.name == REVISION)
                                 .values(value=rv.c.value + 1))
        if done.rowcount == 0:
            self.conn.execute(insert(rv).values(name=REVISION, value=1))

    def put_alias(self, source: str, kind: str, external_id: str, code: str) -> str | None:
        ia = t.id_aliases
        key = (ia.c.source == source, ia.c.kind == kind, ia.c.external_id == external_id)
        before = self.conn.execute(select(ia.c.code).where(*key)).scalar()
        try:
            # a savepoint: a concurrent add of the same alias leaves this transaction usable
            with self.conn.begin_nested():
                if before is None:
                    self.conn.execute(insert(ia).values(source=source, kind=kind,
                                                        external_id=external_id, code=code))
                else:
                    self.conn.execute(update(ia).where(*key).values(code=code))
        except IntegrityError:
            self.conn.execute(update(ia).where(*key).values(code=code))
        self._bump_revision()
        return None if before is None else str(before)

    def snapshot(self) -> MasterData:
        if self.cache is None:
            return self._read()
        revision = self.revision()
        cached = self.cache.get(revision)
        if cached is None:
            cached = self._read()
            self.cache.put(revision, cached)
        return cached

    def _read(self) -> MasterData:
        c = self.conn
        entities = {
            r.code: m.LegalEntity(
                code=r.code, name=r.name, country=r.country, currency=r.currency,
                invoice_prefix=r.invoice_prefix, lock_date=r.lock_date, vat_id=r.vat_id,
                legal_registration_id=r.legal_registration_id,
                tax_registration_id=r.tax_registration_id,
                accounts=m.Accounts(**r.accounts),
                tax_rates={k: Decimal(v) for k, v in r.tax_rates.items()},
                timezone=r.timezone,
                **entity_party(r.party),
            )
            for r in c.execute(select(t.entities))
        }
        customers = {
            r.id: m.Customer(
                id=r.id, name=r.name, entity=r.entity, currency=r.currency, country=r.country,
                parent=r.parent, vat_id=r.vat_id, tax_exempt=r.tax_exempt, tax_code=r.tax_code,
                business=r.business,
                payment_terms_days=r.payment_terms_days, po_number=r.po_number,
                **customer_party(r.party),
            )
            for r in c.execute(select(t.customers))
        }
        costs: dict[str, list[m.CostRate]] = defaultdict(list)
        for r in c.execute(select(t.cost_rates).order_by(t.cost_rates.c.valid_from)):
            costs[r.employee].append(m.CostRate(r.valid_from, r.rate, r.currency))
        employees = {
            r.id: m.Employee(
                id=r.id, entity=r.entity, role=r.role, department=r.department,
                timezone=r.timezone, hours_per_day=r.hours_per_day,
                cost_rates=tuple(costs.get(r.id, ())),
            )
            for r in c.execute(select(t.employees))
        }
        versions: dict[str, list[m.ContractVersion]] = defaultdict(list)
        for r in c.execute(select(t.contract_versions).order_by(t.contract_versions.c.version)):
            versions[r.contract].append(m.ContractVersion(
                version=r.version, effective_from=r.effective_from, billing_model=r.billing_model,
                rounding=m.RoundingPolicy(r.rounding_increment_minutes,
                                          m.RoundingMode(r.rounding_mode),
                                          r.rounding_minimum_minutes,
                                          m.RoundingPer(r.rounding_per)),
            ))
        contracts = {
            r.id: m.Contract(id=r.id, customer=r.customer, entity=r.entity, currency=r.currency,
                             start_date=r.start_date, end_date=r.end_date,
                             versions=tuple(versions.get(r.id, ())),
                             fx_rate_date=FxRateDate(r.fx_rate_date),
                             fx_fixed_rate=r.fx_fixed_rate,
                             correction_policy=r.correction_policy, **terms_from_json(r.terms))
            for r in c.execute(select(t.contracts))
        }
        tasks: dict[str, list[m.Task]] = defaultdict(list)
        for r in c.execute(select(t.tasks).order_by(t.tasks.c.project, t.tasks.c.code)):
            tasks[r.project].append(m.Task(r.code, r.name, r.billable))
        assigns: dict[str, list[m.Assignment]] = defaultdict(list)
        for r in c.execute(select(t.assignments).order_by(t.assignments.c.id)):
            assigns[r.project].append(m.Assignment(r.employee, r.valid_from, r.valid_until,
                                                   r.role))
        projects = {
            r.code: m.Project(
                code=r.code, name=r.name, customer=r.customer, entity=r.entity,
                status=m.ProjectStatus(r.status), contract=r.contract,
                tasks=tuple(tasks.get(r.code, ())), assignments=tuple(assigns.get(r.code, ())),
            )
            for r in c.execute(select(t.projects))
        }
        rows: dict[str, list[m.RateRow]] = defaultdict(list)
        for r in c.execute(select(t.rate_rows).order_by(t.rate_rows.c.card, t.rate_rows.c.id)):
            rows[r.card].append(m.RateRow(
                id=r.id, rate=r.rate, valid_from=r.valid_from, valid_until=r.valid_until,
                employee=r.employee, role=r.role, task=r.task,
            ))
        cards = {
            r.id: m.RateCard(id=r.id, scope=m.RateScope(r.scope), currency=r.currency,
                             scope_id=r.scope_id, rows=tuple(rows.get(r.id, ())))
            for r in c.execute(select(t.rate_cards))
        }
        fx_rates = {
            (r.from_currency, r.to_currency, r.valid_from): FxRate(
                r.from_currency, r.to_currency, r.valid_from, r.rate)
            for r in c.execute(select(t.fx_rates))
        }
        markups = {(r.seller, r.buyer): r.markup_percent
                   for r in c.execute(select(t.intercompany_markups))}
        aliases = {(r.source, r.kind, r.external_id): r.code
                   for r in c.execute(select(t.id_aliases))}
        return MasterData(entities, customers, employees, projects, contracts, cards,
                          fx_rates=fx_rates, intercompany=markups, aliases=aliases)

    # --- upsert --------------------------------------------------------------------------
    def _put(self, table: Table, key: str, value: str, row: dict[str, Any]) -> None:
        exists = self.conn.execute(
            select(table.c[key]).where(table.c[key] == value)).first()
        if exists:
            self.conn.execute(update(table).where(table.c[key] == value).values(**row))
        else:
            self.conn.execute(insert(table).values(**row))

    def _children(self, table: Table, fk: str, value: str, rows: list[dict[str, Any]]) -> None:
        self.conn.execute(delete(table).where(table.c[fk] == value))
        if rows:
            self.conn.execute(insert(table), rows)

    def upsert(self, bundle: Bundle) -> dict[str, dict[str, int]]:
        """Replace each record (and its nested parts) by key; count created/updated/unchanged."""
        before = self._read()
        counts: dict[str, dict[str, int]] = {}

        def tally(kind: str, old: object | None, new: object) -> bool:
            bucket = counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
            same = old is not None and canonical(old) == canonical(new)
            state = "created" if old is None else ("unchanged" if same else "updated")
            bucket[state] += 1
            return state != "unchanged"

        # Order follows foreign keys: entities, customers (parents first), employees,
        # contracts, projects, rate cards.
        for e in bundle.entities:
            if tally("entities", before.entities.get(e.code), e):
                self._put(t.entities, "code", e.code, {
                    "code": e.code, "name": e.name, "country": e.country,
                    "currency": e.currency, "invoice_prefix": e.invoice_prefix,
                    "lock_date": e.lock_date, "vat_id": e.vat_id,
                    "legal_registration_id": e.legal_registration_id,
                    "tax_registration_id": e.tax_registration_id,
                    "accounts": asdict(e.accounts),
                    "tax_rates": {k: str(v) for k, v in e.tax_rates.items()},
                    "timezone": e.timezone,
                    "party": entity_party_json(e.address, e.electronic_address, e.contact,
                                               e.bank_accounts, e.payment_terms),
                })
        pending = list(bundle.customers)
        placed = set(before.customers)
        while pending:
            ready = [c for c in pending if c.parent is None or c.parent in placed
                     or c.parent == c.id]
            if not ready:  # check_bundle refuses cycles; keep order as given otherwise
                ready = pending[:1]
            for cust in ready:
                pending.remove(cust)
                placed.add(cust.id)
                if tally("customers", before.customers.get(cust.id), cust):
                    row = {f: getattr(cust, f) for f in _CUSTOMER_COLUMNS}
                    row["party"] = customer_party_json(cust.address, cust.electronic_address,
                                                       cust.contact)
                    self._put(t.customers, "id", cust.id, row)
        for emp in bundle.employees:
            if tally("employees", before.employees.get(emp.id), emp):
                row = asdict(emp)
                rates = row.pop("cost_rates")
                self._put(t.employees, "id", emp.id, row)
                self._children(t.cost_rates, "employee", emp.id,
                               [{"employee": emp.id, **r} for r in rates])
        for k in bundle.contracts:
            if tally("contracts", before.contracts.get(k.id), k):
                self._put(t.contracts, "id", k.id, {
                    "id": k.id, "customer": k.customer, "entity": k.entity,
                    "currency": k.currency, "start_date": k.start_date, "end_date": k.end_date,
                    "terms": terms_to_json(k),
                    "fx_rate_date": k.fx_rate_date.value, "fx_fixed_rate": k.fx_fixed_rate,
                    "correction_policy": k.correction_policy,
                })
                self._children(t.contract_versions, "contract", k.id, [
                    {"contract": k.id, "version": v.version, "effective_from": v.effective_from,
                     "billing_model": v.billing_model,
                     "rounding_increment_minutes": v.rounding.increment_minutes,
                     "rounding_mode": v.rounding.mode.value,
                     "rounding_minimum_minutes": v.rounding.minimum_minutes,
                     "rounding_per": v.rounding.per.value}
                    for v in k.versions
                ])
        for p in bundle.projects:
            if tally("projects", before.projects.get(p.code), p):
                self._put(t.projects, "code", p.code, {
                    "code": p.code, "name": p.name, "customer": p.customer, "entity": p.entity,
                    "status": p.status.value, "contract": p.contract,
                })
                self._children(t.tasks, "project", p.code, [
                    {"project": p.code, "code": x.code, "name": x.name, "billable": x.billable}
                    for x in p.tasks])
                self._children(t.assignments, "project", p.code, [
                    {"project": p.code, **asdict(a)} for a in p.assignments])
        for card in bundle.rate_cards:
            if tally("rate_cards", before.rate_cards.get(card.id), card):
                self._put(t.rate_cards, "id", card.id, {
                    "id": card.id, "scope": card.scope.value, "scope_id": card.scope_id,
                    "currency": card.currency,
                })
                self._children(t.rate_rows, "card", card.id, [
                    {"card": card.id, **asdict(r)} for r in card.rows])
        fx = t.fx_rates
        for rate in bundle.fx_rates:
            if tally("fx_rates", before.fx_rates.get(rate.key), rate):
                where = and_(fx.c.from_currency == rate.from_currency,
                             fx.c.to_currency == rate.to_currency,
                             fx.c.valid_from == rate.valid_from)
                if rate.key in before.fx_rates:
                    self.conn.execute(update(fx).where(where).values(rate=rate.rate))
                else:
                    self.conn.execute(insert(fx).values(**asdict(rate)))
        im = t.intercompany_markups
        for ic in bundle.intercompany:
            old = before.intercompany.get((ic.seller, ic.buyer))
            if tally("intercompany", None if old is None else replace(ic, markup_percent=old),
                     ic):
                self.conn.execute(delete(im).where(im.c.seller == ic.seller,
                                                   im.c.buyer == ic.buyer))
                self.conn.execute(insert(im).values(seller=ic.seller, buyer=ic.buyer,
                                                    markup_percent=ic.markup_percent))
        ia = t.id_aliases
        for a in bundle.aliases:
            old_code = before.aliases.get(a.key)
            if tally("aliases", None if old_code is None else replace(a, code=old_code), a):
                self.conn.execute(delete(ia).where(ia.c.source == a.source, ia.c.kind == a.kind,
                                                   ia.c.external_id == a.external_id))
                self.conn.execute(insert(ia).values(source=a.source, kind=a.kind,
                                                    external_id=a.external_id, code=a.code))
        if any(c["created"] or c["updated"] for c in counts.values()):
            self._bump_revision()
        return counts


def terms_to_json(k: m.Contract) -> dict[str, Any]:
    """Contract terms as JSON: decimals and dates as text, so nothing is rounded by a float."""
    def dec(v: Decimal | None) -> str | None:
        return None if v is None else str(v)

    r, cap = k.retainer, k.cap
    return {
        "fee_schedule": [{"id": f.id, "bill_on": f.bill_on.isoformat(), "amount": str(f.amount),
                          "description": f.description} for f in k.fee_schedule],
        "estimate_hours": dec(k.estimate_hours),
        "estimate_cost": dec(k.estimate_cost),
        "milestones": [{"id": ms.id, "name": ms.name, "amount": str(ms.amount)}
                       for ms in k.milestones],
        "retainer": None if r is None else {
            "monthly_fee": str(r.monthly_fee), "included_hours": str(r.included_hours),
            "unused": r.unused.value, "rollover_limit_hours": dec(r.rollover_limit_hours)},
        "cap": None if cap is None else {"hours": dec(cap.hours), "amount": dec(cap.amount),
                                         "over_cap": cap.over_cap.value},
        "expenses": {"billing": k.expenses.billing.value,
                     "markup_percent": str(k.expenses.markup_percent)},
        "detail": k.detail.value,
        "timesheet_attachment": k.timesheet_attachment,
        "buyer_reference": k.buyer_reference,
        "purchase_order": k.purchase_order,
    }


def terms_from_json(j: dict[str, Any]) -> dict[str, Any]:
    def dec(v: str | None) -> Decimal | None:
        return None if v is None else Decimal(v)

    r, cap, exp = j.get("retainer"), j.get("cap"), j.get("expenses") or {}
    return {
        "fee_schedule": tuple(m.FeeInstallment(f["id"], date.fromisoformat(f["bill_on"]),
                                               Decimal(f["amount"]), f["description"])
                              for f in j.get("fee_schedule", ())),
        "estimate_hours": dec(j.get("estimate_hours")),
        "estimate_cost": dec(j.get("estimate_cost")),
        "milestones": tuple(m.Milestone(ms["id"], ms["name"], Decimal(ms["amount"]))
                            for ms in j.get("milestones", ())),
        "retainer": None if r is None else m.Retainer(
            Decimal(r["monthly_fee"]), Decimal(r["included_hours"]), m.UnusedHours(r["unused"]),
            dec(r["rollover_limit_hours"])),
        "cap": None if cap is None else m.Cap(dec(cap["hours"]), dec(cap["amount"]),
                                              m.OverCap(cap["over_cap"])),
        "expenses": m.ExpensePolicy(m.ExpenseBilling(exp.get("billing", "not_billable")),
                                    Decimal(exp.get("markup_percent", "0"))),
        # terms stored before detail levels existed read as today's summary lines
        "detail": m.InvoiceDetail(j.get("detail", "summary")),
        "timesheet_attachment": bool(j.get("timesheet_attachment", False)),
        "buyer_reference": j.get("buyer_reference"),
        "purchase_order": j.get("purchase_order"),
    }
