"""Property: whatever the order of ingest, approve, reject, bill, issue, credit (full or
partial, to rebill or write off), void, source edits of invoiced work (proposed, then applied
or rejected, under either correction policy), contract amendments, rate-card changes, rebill
and post, no billable second is on two
live invoice lines, every open approved second through the cutoff is billed by a run,
invoice totals are the sum of their rounded lines, credits never exceed what they credit,
and the ledger balances per currency and agrees with the sub-ledgers (WIP, receivables)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.domain.money import round_money, tax_amount, time_amount
from hourbridge.errors import Conflict, InvalidInput
from hourbridge.formats import BundleDocument, to_domain
from hourbridge.formats.timefile import TimeFile
from hourbridge.store import tables as t
from support.firm import small_firm_bundle
from support.templates import migrated_sqlite

START = date(2026, 8, 1)
days = st.integers(min_value=0, max_value=60).map(lambda n: START + timedelta(days=n))
entry = st.tuples(st.sampled_from(["E1", "E2"]), st.sampled_from(["DEV", "DEV", "TRAVEL"]),
                  days, st.integers(min_value=1, max_value=600))


class BillingMachine(RuleBasedStateMachine):
    per = "entry"  # the contract's rounding: per entry, or per day (PerDayBillingMachine)

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="hb-prop-")
        self.hb = bootstrap(Settings(database_url=migrated_sqlite(f"{self.dir}/p.db")),
                            clock=lambda: datetime(2026, 11, 2, tzinfo=UTC))
        bundle = small_firm_bundle()
        bundle["contracts"][0]["versions"][0]["rounding"]["per"] = self.per
        self.hb.handle(c.LoadMasterData(to_domain(
            [("p", BundleDocument.model_validate(bundle))])))
        self.next_id = 0
        self.edits = 0
        self.sent: list[bytes] = []
        self.bundle = bundle

    @initialize(rows=st.lists(entry, min_size=1, max_size=6),
                policy=st.sampled_from(["credit_and_rebill", "next_invoice_adjustment"]))
    def invoiced_work(self, rows: list[tuple[str, str, date, int]], policy: str) -> None:
        """Every example starts with some issued invoices, so credits have work to do."""
        bundle = small_firm_bundle()
        bundle["contracts"][0]["correction_policy"] = policy
        bundle["contracts"][0]["versions"][0]["rounding"]["per"] = self.per
        self.bundle = bundle
        self.load(bundle)
        self.ingest(rows)
        self.approve(START + timedelta(days=60))
        self.bill(START + timedelta(days=60), dry_run=False)
        self.issue()

    def teardown(self) -> None:
        self.hb.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def load(self, bundle: dict[str, object]) -> None:
        self.hb.handle(c.LoadMasterData(to_domain(
            [("p", BundleDocument.model_validate(bundle))])))

    @rule(offset=st.integers(min_value=1, max_value=60),
          increment=st.sampled_from([1, 6, 15, 30]),
          mode=st.sampled_from(["up", "nearest", "down"]))
    def amend_contract(self, offset: int, increment: int, mode: str) -> None:
        """A new contract version from a later date: entries of its dates round and price
        under it; what is invoiced stays as it was."""
        versions = self.bundle["contracts"][0]["versions"]  # type: ignore[index]
        last = max(date.fromisoformat(v["effective_from"]) for v in versions)
        versions.append({"version": len(versions) + 1,
                         "effective_from": (last + timedelta(days=offset)).isoformat(),
                         "rounding": {"increment_minutes": increment, "mode": mode,
                                      "per": self.per}})
        self.load(self.bundle)

    @rule(offset=st.integers(min_value=1, max_value=60),
          rate=st.integers(min_value=50, max_value=250))
    def change_rate_card(self, offset: int, rate: int) -> None:
        """The analyst rate changes from a later date: the open row ends, a new one starts."""
        rows = [r for r in self.bundle["rate_cards"][0]["rows"]  # type: ignore[index]
                if r["role"] == "analyst"]
        current = rows[-1]
        start = date.fromisoformat(current["valid_from"]) + timedelta(days=offset)
        current["valid_until"] = (start - timedelta(days=1)).isoformat()
        self.bundle["rate_cards"][0]["rows"].append({  # type: ignore[index]
            "id": f"analyst-{len(rows) + 1}", "role": "analyst", "rate": f"{rate}.00",
            "valid_from": start.isoformat()})
        self.load(self.bundle)

    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        """A manager sends unbilled work back (approved work is un-approved)."""
        with self.hb.engine.connect() as conn:
            te = t.time_entries
            ids = conn.execute(select(te.c.id).where(
                te.c.approval.in_(("submitted", "approved")), te.c.billing == "unbilled",
                te.c.billed_seconds == 0, te.c.written_off_seconds == 0)
                .order_by(te.c.id)).scalars().all()
        if ids:
            chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3,
                                        unique=True))
            report = self.hb.handle(c.RejectEntries("pm", tuple(chosen), "property"))
            assert report.rejected == len(chosen)

    @rule(rows=st.lists(entry, min_size=1, max_size=8))
    def ingest(self, rows: list[tuple[str, str, date, int]]) -> None:
        lines = ["external_id,employee,project,task,date,minutes,notes"]
        for employee, task, day, minutes in rows:
            self.next_id += 1
            lines.append(f"x{self.next_id},{employee},P1,{task},{day.isoformat()},{minutes},"
                         f"n{self.next_id}")
        payload = ("\n".join(lines) + "\n").encode()
        self.sent.append(payload)
        file = TimeFile.from_bytes(f"f{self.next_id}.csv", "text/csv", payload)
        self.hb.handle(c.IngestTimeEntries("prop", file))

    @rule(index=st.integers(min_value=0, max_value=50))
    def resend(self, index: int) -> None:
        if self.sent:
            payload = self.sent[index % len(self.sent)]
            file = TimeFile.from_bytes("again.csv", "text/csv", payload)
            report = self.hb.handle(c.IngestTimeEntries("prop", file))
            assert report.duplicate_payload and report.accepted == 0

    @rule(through=days)
    def approve(self, through: date) -> None:
        self.hb.handle(c.ApproveEntries(actor="pm", project="P1", date_to=through))

    @rule(through=days, dry_run=st.booleans())
    def bill(self, through: date, dry_run: bool) -> None:
        self.hb.handle(c.RunBilling(through, dry_run=dry_run))
        if not dry_run:
            # after a real run nothing approved through the cutoff is left open
            with self.hb.engine.connect() as conn:
                te = t.time_entries
                left = conn.execute(select(te.c.id).where(
                    te.c.approval == "approved", te.c.billable.is_(True),
                    te.c.work_date <= through,
                    te.c.billable_seconds > te.c.billed_seconds + te.c.written_off_seconds,
                )).all()
            assert left == []

    @rule()
    def issue(self) -> None:
        self.hb.handle(c.IssueInvoices(all_drafts=True))

    @rule()
    def post(self) -> None:
        assert self.hb.worker.drain().dead == 0
        # the ledger agrees with the sub-ledgers: WIP with the entries, receivables with the
        # issued documents
        balances = {r["account"]: Decimal(r["balance"])
                    for r in self.hb.queries.trial_balance()}
        with self.hb.engine.connect() as conn:
            entries = conn.execute(select(t.time_entries)).all()
            documents = conn.execute(select(t.invoices).where(
                t.invoices.c.status == "issued")).all()
        wip = sum(((e.wip_amount or 0) - (e.wip_relieved or 0) for e in entries
                   if e.approval == "approved" and e.billable), Decimal(0))
        receivable = sum((d.total if d.kind == "invoice" else -d.total for d in documents),
                         Decimal(0))
        assert balances.get("1210", Decimal(0)) == wip
        assert balances.get("1200", Decimal(0)) == receivable

    @rule(data=st.data(), mode=st.sampled_from(["rebill", "write_off"]),
          partial=st.booleans())
    def credit(self, data: st.DataObject, mode: str, partial: bool) -> None:
        issued = [i for i in self.hb.queries.invoices(status="issued")
                  if i["kind"] == "invoice"]
        if not issued:
            return
        inv = self.hb.queries.invoice(data.draw(st.sampled_from([i["id"] for i in issued])))
        assert inv is not None
        lines: tuple[tuple[int, int], ...] = ()
        if partial:
            positive = [ln for ln in inv["lines"] if ln["seconds"] > 0]
            if not positive:
                return
            line = data.draw(st.sampled_from(positive))
            lines = ((line["line_no"], data.draw(st.integers(1, line["seconds"]))),)
        # refused when credited in full already, or more than is left on the line
        with contextlib.suppress(Conflict, InvalidInput):
            self.hb.handle(c.IssueCreditNote(inv["id"], "finance", "property", lines, mode))

    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        """Void a draft or an issued invoice; refused (a credit note instead) once credited."""
        live = [i for i in self.hb.queries.invoices()
                if i["kind"] == "invoice" and i["status"] in ("draft", "issued")]
        if live:
            chosen = data.draw(st.sampled_from([i["id"] for i in live]))
            with contextlib.suppress(Conflict):
                self.hb.handle(c.VoidInvoice(chosen, "finance", "property"))

    @rule(data=st.data(), minutes=st.integers(min_value=1, max_value=600),
          deleted=st.booleans(), decision=st.sampled_from(["apply", "reject", "leave"]))
    def source_edit(self, data: st.DataObject, minutes: int, deleted: bool,
                    decision: str) -> None:
        """The tracker changes or deletes work that is on an invoice: a proposal, then a
        decision (or none yet)."""
        with self.hb.engine.connect() as conn:
            te = t.time_entries
            found = conn.execute(select(te.c.external_id, te.c.revision, te.c.employee,
                                        te.c.task, te.c.work_date)
                                 .where(te.c.deleted_at.is_(None), te.c.billable.is_(True),
                                        (te.c.billed_seconds > 0) | (te.c.billing == "on_draft"))
                                 .order_by(te.c.id)).all()
        if not found:
            return
        ext, revision, employee, task, day = data.draw(st.sampled_from(found))
        if deleted:
            body = f"external_id,deleted,revision\n{ext},true,{revision + 1}\n"
        else:
            body = (f"external_id,employee,project,task,date,minutes,notes,revision\n"
                    f"{ext},{employee},P1,{task},{day.isoformat()},{minutes},edited,"
                    f"{revision + 1}\n")
        self.edits += 1
        file = TimeFile.from_bytes(f"edit{self.edits}.csv", "text/csv", body.encode())
        report = self.hb.handle(c.IngestTimeEntries("prop", file))
        if report.unchanged or report.duplicate_payload:  # the same content again
            return
        assert report.corrections == 1 and report.rejected == 0
        proposal = [p for p in self.hb.queries.corrections() if p["external_id"] == ext][-1]
        if decision == "apply":
            with contextlib.suppress(Conflict):  # entry_written_off: corrected by hand
                self.hb.handle(c.ApplyCorrection(proposal["id"], "controller"))
        elif decision == "reject":
            self.hb.handle(c.RejectCorrection(proposal["id"], "controller", "property"))

    @invariant()
    def billed_quantity_is_the_sum_of_live_links(self) -> None:
        with self.hb.engine.connect() as conn:
            le, li, inv = t.invoice_line_entries, t.invoice_lines, t.invoices
            # a void keeps its lines and links, but they bill nothing
            links = conn.execute(select(le.c.entry, le.c.seconds)
                                 .join(li, li.c.id == le.c.line)
                                 .join(inv, inv.c.id == li.c.invoice)
                                 .where(inv.c.status != "void")).all()
            entries = {r.id: r for r in conn.execute(select(t.time_entries))}
            lines = conn.execute(select(t.invoice_lines)).all()
            invoices = {r.id: r for r in conn.execute(select(t.invoices))}
            corr = t.corrections
            # an applied next-invoice adjustment no run has billed yet: billable already
            # differs from billed, by exactly what the adjustment line will carry
            pending = set(conn.execute(select(corr.c.entry).where(
                corr.c.status == "applied", corr.c.action == "next_invoice_adjustment",
                corr.c.adjustment_line.is_(None))).scalars())
            adjustment_lines = set(conn.execute(select(corr.c.adjustment_line).where(
                corr.c.adjustment_line.is_not(None))).scalars())
        billed: dict[int, int] = defaultdict(int)
        for entry_id, seconds in links:
            billed[entry_id] += seconds
        for e in entries.values():
            # a unit of billable quantity is on at most one live invoice line at any moment
            assert billed.get(e.id, 0) == e.billed_seconds
            assert e.billed_seconds >= 0
            if e.billed_seconds or e.written_off_seconds:
                assert e.billable and e.approval == "approved"
            if e.id in pending:
                assert e.billing == "invoiced"
                continue
            assert e.billed_seconds + e.written_off_seconds <= e.billable_seconds
            open_seconds = e.billable_seconds - e.billed_seconds - e.written_off_seconds
            if e.billable and e.approval == "approved" and open_seconds > 0:
                assert e.billing in ("unbilled", "credited"), e.billing
        by_invoice: dict[int, Decimal] = defaultdict(Decimal)
        credited: dict[int, tuple[int, Decimal]] = {}
        for ln in lines:
            by_invoice[ln.invoice] += ln.amount
            if ln.id in adjustment_lines:
                assert ln.credits_line is None  # carries a priced difference, not s x rate
            elif invoices[ln.invoice].status == "void" and ln.credits_line is None:
                # a voided draft keeps its lines as they were, but an adjustment line on it
                # is released to its correction (the next run owes it again), so it is no
                # longer known as one here; it bills nothing
                continue
            elif ln.credits_line is None:
                assert ln.amount == time_amount(ln.seconds, ln.rate, "EUR")
            else:
                s0, a0 = credited.get(ln.credits_line, (0, Decimal(0)))
                credited[ln.credits_line] = (s0 + ln.seconds, a0 + ln.amount)
        originals = {ln.id: ln for ln in lines}
        for line_id, (seconds, amount) in credited.items():
            assert seconds <= originals[line_id].seconds
            assert amount <= originals[line_id].amount
        for inv in invoices.values():
            assert inv.net == by_invoice[inv.id]
            assert inv.total == round_money(inv.net + inv.tax, "EUR")
            if inv.kind == "invoice":
                assert inv.tax == tax_amount(inv.net, Decimal("0.19"), "EUR")

    @invariant()
    def numbers_are_gapless_with_voids(self) -> None:
        assert all(check["gapless"] for check in self.hb.queries.sequence_check())

    @invariant()
    def ledger_balances(self) -> None:
        total = sum((Decimal(r["balance"]) for r in self.hb.queries.trial_balance()),
                    Decimal(0))
        assert total == 0


TestBillingProperties = BillingMachine.TestCase
TestBillingProperties.settings = settings(
    max_examples=200, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class PerDayBillingMachine(BillingMachine):
    """The same operations under per-day rounding (15 minutes up), where late entries move
    the billable seconds of approved work: every property above still holds, and every day
    bills exactly its rounded total (work only grows here, so what was billed of a day never
    exceeds it)."""

    per = "day"

    def source_edit(self, data: st.DataObject, minutes: int, deleted: bool,  # type: ignore[override]
                    decision: str) -> None:
        """Not a rule here: a source edit may shrink a billed day, which then stays
        overbilled until a credit note (documented); this machine checks that days bill
        exactly their rounded total while work grows (tests/integration/test_day_rounding.py
        covers revisions and late entries)."""

    def amend_contract(self, offset: int, increment: int,  # type: ignore[override]
                       mode: str) -> None:
        """Not a rule here: the day invariant below is stated for 15 minutes up; the base
        machine exercises amendments."""

    @invariant()
    def every_day_bills_its_rounded_total(self) -> None:
        with self.hb.engine.connect() as conn:
            te = t.time_entries
            rows = conn.execute(select(te.c.employee, te.c.work_date, te.c.worked_seconds,
                                       te.c.billable_seconds)
                                # rejected work is rightly left out of its day
                                .where(te.c.billable.is_(True),
                                       te.c.approval != "rejected")).all()
        worked: dict[tuple[str, date], int] = defaultdict(int)
        billed: dict[tuple[str, date], int] = defaultdict(int)
        for employee, day, seconds, billable in rows:
            worked[(employee, day)] += seconds
            billed[(employee, day)] += billable
        for key, seconds in worked.items():
            assert billed[key] == -(-seconds // 900) * 900, key


TestPerDayBillingProperties = PerDayBillingMachine.TestCase
TestPerDayBillingProperties.settings = settings(
    max_examples=30, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
