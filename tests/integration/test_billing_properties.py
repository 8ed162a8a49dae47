"""Property: whatever the order of ingest, approve, bill, issue and post, no billable second is
billed twice, every billable approved second through the cutoff is billed once, invoice totals
are the sum of their rounded lines, and the ledger balances per currency."""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.domain.money import round_money, tax_amount, time_amount
from hourbridge.formats import BundleDocument, to_domain
from hourbridge.formats.timefile import TimeFile
from hourbridge.store import tables as t
from support.firm import small_firm_bundle

START = date(2026, 8, 1)
days = st.integers(min_value=0, max_value=60).map(lambda n: START + timedelta(days=n))
entry = st.tuples(st.sampled_from(["E1", "E2"]), st.sampled_from(["DEV", "DEV", "TRAVEL"]),
                  days, st.integers(min_value=1, max_value=600))


class BillingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="hb-prop-")
        self.hb = bootstrap(Settings(database_url=f"sqlite:///{self.dir}/p.db"),
                            clock=lambda: datetime(2026, 11, 2, tzinfo=UTC))
        self.hb.handle(c.LoadMasterData(to_domain(
            [("p", BundleDocument.model_validate(small_firm_bundle()))])))
        self.next_id = 0
        self.sent: list[bytes] = []

    def teardown(self) -> None:
        self.hb.close()
        shutil.rmtree(self.dir, ignore_errors=True)

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
            # after a real run nothing approved through the cutoff is left unbilled
            left = [e for e in self.hb.queries.entries(approval="approved", billing="unbilled",
                                                       limit=10_000)
                    if e["billable"] and date.fromisoformat(e["work_date"]) <= through]
            assert left == []

    @rule()
    def issue(self) -> None:
        self.hb.handle(c.IssueInvoices(all_drafts=True))

    @rule()
    def post(self) -> None:
        assert self.hb.worker.drain().dead == 0

    @invariant()
    def billed_at_most_once_and_exactly(self) -> None:
        with self.hb.engine.connect() as conn:
            links = conn.execute(select(t.invoice_line_entries.c.entry,
                                        t.invoice_line_entries.c.seconds)).all()
            entries = {r.id: r for r in conn.execute(select(t.time_entries))}
            lines = conn.execute(select(t.invoice_lines)).all()
            invoices = conn.execute(select(t.invoices)).all()
        linked = [entry_id for entry_id, _ in links]
        assert len(linked) == len(set(linked)), "an entry is on two invoice lines"
        for entry_id, seconds in links:
            e = entries[entry_id]
            assert e.billable and e.approval == "approved"
            assert seconds == e.billable_seconds
            assert e.billing in ("on_draft", "invoiced")
        unlinked_billed = [e.id for e in entries.values()
                           if e.billing in ("on_draft", "invoiced") and e.id not in set(linked)]
        assert unlinked_billed == []
        by_invoice: dict[int, Decimal] = defaultdict(Decimal)
        for ln in lines:
            assert ln.amount == time_amount(ln.seconds, ln.rate, "EUR")
            by_invoice[ln.invoice] += ln.amount
        for inv in invoices:
            assert inv.net == by_invoice[inv.id]
            assert inv.tax == tax_amount(inv.net, Decimal("0.19"), "EUR")
            assert inv.total == round_money(inv.net + inv.tax, "EUR")

    @invariant()
    def ledger_balances(self) -> None:
        total = sum((Decimal(r["balance"]) for r in self.hb.queries.trial_balance()),
                    Decimal(0))
        assert total == 0


TestBillingProperties = BillingMachine.TestCase
TestBillingProperties.settings = settings(
    max_examples=60, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
