"""Time-and-materials billing: priced entries to draft invoices whose lines link to the exact
entry quantities they bill.

Grouping: one invoice per contract and calendar month of work ("period"); within it lines at
the contract's detail level (``Detail``): ``summary`` one line per (project, task, role, rate
decision), ``employee`` that per employee too, ``entry`` one line per entry with its date and
notes. It is one grouping with a finer key, so every level bills the same seconds of the same
entries at the same rates, and each line links to exactly the entries it bills.

Rounding rule: a line's amount is its total billable hours x rate, rounded half-up once per
line (DESIGN §3); the invoice net is the sum of rounded lines, so a customer can re-add the
invoice. Each line's rounding moves it by at most half a minor unit from its exact value, so
the nets of one draft at two detail levels differ by at most half a minor unit per line of
both (``max_rounding_gap``); where every entry's exact amount is a whole number of minor
units (whole hours at whole rates, say) they are equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter

from ..display import two_or_more
from ..fx import ForeignAmount
from ..model import InvoiceDetail
from ..money import hours, quantum, time_amount
from ..rating import RateDecision

Detail = InvoiceDetail  # the contract's detail level, by the name billing reads it


@dataclass(frozen=True, slots=True)
class BillableItem:
    """An approved, unbilled, billable entry with its rate decided for its work date."""

    entry_id: int
    contract: str
    entity: str
    customer: str
    currency: str
    work_date: date
    project: str
    task: str
    role: str
    billable_seconds: int
    decision: RateDecision
    employee: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class LineLink:
    entry_id: int
    seconds: int


_link_seconds = attrgetter("seconds")


@dataclass(slots=True)
class DraftLine:
    project: str
    task: str
    role: str
    decision: RateDecision
    currency: str
    links: list[LineLink] = field(default_factory=list)
    kind: str = "time"  # or "retainer_hours": hours drawn from a retainer, at no charge
    charge_ref: str | None = None
    employee: str = ""  # at the employee and entry detail levels
    work_date: date | None = None  # at the entry detail level, with its notes
    notes: str = ""

    @property
    def seconds(self) -> int:
        return sum(map(_link_seconds, self.links))

    @property
    def quantity_hours(self) -> Decimal:
        return hours(self.seconds)

    @property
    def amount(self) -> Decimal:
        return time_amount(self.seconds, self.decision.rate, self.currency)

    def describe(self) -> str:
        if self.kind == "retainer_hours":
            where = f"{self.project} — " if self.project else ""
            return f"{where}hours included in the retainer, {self.charge_ref}"
        task = f" / {self.task}" if self.task else ""
        who = f"{self.role} {self.employee}" if self.employee else self.role
        what = f"{self.project}{task} — {who} @ {two_or_more(self.decision.rate)} " \
               f"{self.currency}/h"
        if self.work_date is None:
            return what
        notes = f": {self.notes}" if self.notes else ""
        return f"{self.work_date.isoformat()} {what}{notes}"


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """A non-hourly line: a fee installment, milestone, retainer fee, expenses or a cap
    write-down (negative). ``ref`` names what it bills, so it bills once."""

    kind: str
    ref: str
    description: str
    amount: Decimal
    contract_version: int
    project: str = ""
    expense_ids: tuple[int, ...] = ()
    # expenses spent in another currency: what was spent and the rate it was converted at
    foreign: ForeignAmount | None = None

    @property
    def bills_once(self) -> bool:
        return self.kind in ("fee", "milestone", "retainer_fee")


@dataclass(slots=True)
class DraftInvoice:
    contract: str
    entity: str
    customer: str
    currency: str
    period: str  # YYYY-MM of the work dates billed
    lines: list[DraftLine] = field(default_factory=list)
    charges: list[ChargeLine] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return (sum((line.amount for line in self.lines), Decimal(0))
                + sum((c.amount for c in self.charges), Decimal(0)))

    @property
    def entry_ids(self) -> list[int]:
        return [link.entry_id for line in self.lines for link in line.links]


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def build_drafts(items: Iterable[BillableItem], detail: Detail = Detail.SUMMARY
                 ) -> list[DraftInvoice]:
    """Group items into draft invoices at ``detail``; each entry lands on exactly one line
    (asserted)."""
    invoices: dict[tuple[str, str], DraftInvoice] = {}
    lines: dict[tuple[object, ...], DraftLine] = {}
    seen: set[int] = set()
    periods: dict[date, str] = {}  # many entries share a day: its period formatted once
    # what of a decision keys its line, per decision (items priced alike share one): taken
    # once, not once per item (by identity, the decision kept beside it)
    keys: dict[int, tuple[RateDecision, tuple[str, str, str, int]]] = {}
    summary, entry_level = detail is Detail.SUMMARY, detail is Detail.ENTRY
    for item in items:
        entry_id = item.entry_id
        if entry_id in seen:
            raise ValueError(f"entry {entry_id} offered twice to one billing run")
        seen.add(entry_id)
        work_date = item.work_date
        period = periods.get(work_date)
        if period is None:
            period = periods[work_date] = period_of(work_date)
        inv_key = (item.contract, period)
        invoice = invoices.get(inv_key)
        if invoice is None:
            invoice = DraftInvoice(item.contract, item.entity, item.customer, item.currency,
                                   period)
            invoices[inv_key] = invoice
        d = item.decision
        known = keys.get(id(d))
        if known is None or known[0] is not d:
            known = keys[id(d)] = (d, (str(d.rate), d.card, d.row, d.contract_version))
        line_key = (item.contract, period, item.project, item.task, item.role, *known[1],
                    *(() if summary else _finer(item, detail)))
        line = lines.get(line_key)
        if line is None:
            line = DraftLine(item.project, item.task, item.role, d, item.currency)
            if not summary:
                line.employee = item.employee
            if entry_level:
                line.work_date, line.notes = work_date, item.notes
            lines[line_key] = line
            invoice.lines.append(line)
        line.links.append(LineLink(entry_id, item.billable_seconds))
    result = sorted(invoices.values(), key=lambda i: (i.entity, i.contract, i.period))
    for inv in result:
        inv.lines.sort(key=lambda ln: (ln.work_date or date.min, ln.project, ln.task, ln.role,
                                       ln.employee, ln.decision.rate))
    return result


def _finer(item: BillableItem, detail: Detail) -> tuple[object, ...]:
    """What splits a summary line at ``detail``."""
    if detail is Detail.EMPLOYEE:
        return (item.employee,)
    if detail is Detail.ENTRY:
        return (item.employee, item.entry_id)
    return ()


def max_rounding_gap(a: DraftInvoice, b: DraftInvoice) -> Decimal:
    """The most two drafts of the same work at different detail levels may differ by: half a
    minor unit per line of either (each line rounds once, half up)."""
    return quantum(a.currency) / 2 * (len(a.lines) + len(b.lines))


def invoice_number(prefix: str, sequence: int) -> str:
    """An invoice's (or credit note's) number: the entity's prefix and its next sequence."""
    return f"{prefix}-{sequence:06d}"
