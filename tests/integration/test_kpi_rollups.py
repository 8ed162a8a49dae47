"""The KPI rollups (kept by triggers, migrations 0024 and 0025) always equal their
definitions: whatever the order of ingest, approval on different days, rejection, source edits
(re-approval of a new revision, deletion), billing, issuing, credit notes, voids, a project
moving to another customer, every rollup-backed KPI (approval lag, both invoice lags, billed
time, cost, hours by employee) equals the same KPI computed from every entry or billed part
(``kpi_*_direct``, the written formulas), on SQLite and on PostgreSQL. And two processes
approving and rejecting at once on PostgreSQL lose no increment."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.errors import Conflict, InvalidInput
from hourbridge.formats import BundleDocument, to_domain
from hourbridge.formats.timefile import TimeFile
from hourbridge.store import tables as t
from support.firm import small_firm_bundle
from support.templates import create_postgres, migrated_sqlite

START = date(2026, 8, 1)
PG_ENV = "HOURBRIDGE_TEST_POSTGRES_URL"
days = st.integers(min_value=0, max_value=45).map(lambda n: START + timedelta(days=n))
entry = st.tuples(st.sampled_from(["E1", "E2"]), st.sampled_from(["P1", "INT"]),
                  days, st.integers(min_value=1, max_value=600))


def lag_histogram(rows: list[dict[str, Any]]) -> Counter[tuple[str, str, int]]:
    return Counter({(r["entity"], r["customer"], r["days"]): r["count"] for r in rows})


def assert_rollup_equals_definition(hb: Any) -> int:
    """The KPI from the rollup equals the KPI from every entry, over everything, over one
    month and for one entity; no rollup row below zero. Returns the entries counted."""
    q = hb.queries
    for first, last, entity in ((date(2000, 1, 1), date(2100, 1, 1), None),
                                (date(2026, 8, 1), date(2026, 8, 31), None),
                                (date(2000, 1, 1), date(2100, 1, 1), "DE")):
        got = lag_histogram(q.kpi_approval_lag(first, last, entity))
        want = lag_histogram(q.kpi_approval_lag_direct(first, last, entity))
        assert got == want, (first, last, entity)
        for since in ("work", "approved"):
            assert (lag_histogram(q.kpi_invoice_lag(first, last, entity, since=since))
                    == lag_histogram(q.kpi_invoice_lag_direct(first, last, entity,
                                                              since=since))), since
        for name in ("kpi_billed_time", "kpi_cost", "kpi_hours_by_employee"):
            rollup = getattr(q, name)(first, last, entity)
            direct = getattr(q, f"{name}_direct")(first, last, entity)
            assert sorted(map(repr, rollup)) == sorted(map(repr, direct)), name
    counted = sum(want.values())
    with hb.engine.connect() as conn:
        for table, column in ((t.kpi_approval_days, "entries"), (t.kpi_billed_days, "parts"),
                              (t.kpi_billed_lines, "links"), (t.kpi_work_days, "entries")):
            assert conn.execute(select(table).where(table.c[column] < 0)).all() == [], table
    return counted


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database at the schema head (uuid-named, dropped after) on the test
    server."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = os.environ[PG_ENV]
    name = f"hb_test_rollup_{uuid.uuid4().hex[:12]}"
    create_postgres(base, name, migrated=True)
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RollupMachine(RuleBasedStateMachine):
    postgres = False

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="hb-rollup-")
        self._pg = postgres_database() if self.postgres else None
        url = self._pg.__enter__() if self._pg else migrated_sqlite(f"{self.dir}/r.db")
        self.at = datetime(2026, 8, 2, 9, tzinfo=UTC)
        self.hb = bootstrap(Settings(database_url=url), clock=lambda: self.at)
        self.bundle = small_firm_bundle()
        self.load()
        self.next_id = 0
        self.edits = 0

    def teardown(self) -> None:
        self.hb.close()
        if self._pg:
            self._pg.__exit__(None, None, None)
        shutil.rmtree(self.dir, ignore_errors=True)

    def load(self) -> None:
        self.hb.handle(c.LoadMasterData(to_domain(
            [("r", BundleDocument.model_validate(self.bundle))])))

    def send(self, body: str) -> Any:
        self.edits += 1
        file = TimeFile.from_bytes(f"r{self.edits}.csv", "text/csv", body.encode())
        return self.hb.handle(c.IngestTimeEntries("rollup", file))

    def entries(self, *where: Any) -> list[Any]:
        te = t.time_entries
        with self.hb.engine.connect() as conn:
            return conn.execute(select(te.c.id, te.c.external_id, te.c.revision,
                                       te.c.employee, te.c.project, te.c.task, te.c.work_date)
                                .where(te.c.deleted_at.is_(None), *where)
                                .order_by(te.c.id)).all()

    @initialize(rows=st.lists(entry, max_size=8), wait=st.integers(min_value=0, max_value=20))
    def approved_work(self, rows: list[tuple[str, str, date, int]], wait: int) -> None:
        """Every example starts with approved work on both projects and both employees over
        several days (to move, reject, edit, bill), whatever else it draws."""
        base = [(("E1", "E2")[i % 2], ("P1", "P1", "INT")[i % 3], START + timedelta(days=3 * i),
                 30 + i) for i in range(12)]
        self.ingest(base + rows)
        self.approve(wait, START + timedelta(days=45), None)

    @rule(rows=st.lists(entry, min_size=1, max_size=8))
    def ingest(self, rows: list[tuple[str, str, date, int]]) -> None:
        lines = ["external_id,employee,project,task,date,minutes,notes"]
        for employee, project, day, minutes in rows:
            self.next_id += 1
            if project == "INT":  # only E1 is assigned to it
                employee, task = "E1", "ADMIN"
            else:
                task = "DEV"
            lines.append(f"x{self.next_id},{employee},{project},{task},{day.isoformat()},"
                         f"{minutes},n{self.next_id}")
        self.send("\n".join(lines) + "\n")

    @rule(wait=st.integers(min_value=0, max_value=20), through=days,
          project=st.sampled_from([None, "P1", "INT"]))
    def approve(self, wait: int, through: date, project: str | None) -> None:
        """Approval some days later than the last one (the lag's other end moves)."""
        self.at += timedelta(days=wait, hours=1)
        self.hb.handle(c.ApproveEntries(actor="pm", project=project, date_to=through))

    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        te = t.time_entries
        found = self.entries(te.c.approval.in_(("submitted", "approved")),
                             te.c.billing.in_(("unbilled", "non_billable")),
                             te.c.billed_seconds == 0, te.c.written_off_seconds == 0)
        if found:
            chosen = data.draw(st.lists(st.sampled_from([e.id for e in found]), min_size=1,
                                        max_size=3, unique=True))
            self.hb.handle(c.RejectEntries("pm", tuple(chosen), "rollup"))

    @rule(data=st.data(), minutes=st.integers(min_value=1, max_value=600),
          shift=st.integers(min_value=-5, max_value=5), deleted=st.booleans(),
          decision=st.sampled_from(["apply", "reject", "leave"]))
    def edit(self, data: st.DataObject, minutes: int, shift: int, deleted: bool,
             decision: str) -> None:
        """The tracker revises (another day, other minutes) or deletes an entry: rejected
        work comes back for approval, invoiced work becomes a correction to decide."""
        found = self.entries()
        if not found:
            return
        e = data.draw(st.sampled_from(found))
        if deleted:
            body = f"external_id,deleted,revision\n{e.external_id},true,{e.revision + 1}\n"
        else:
            day = e.work_date + timedelta(days=shift)
            body = ("external_id,employee,project,task,date,minutes,notes,revision\n"
                    f"{e.external_id},{e.employee},{e.project},{e.task},{day.isoformat()},"
                    f"{minutes},edited,{e.revision + 1}\n")
        report = self.send(body)
        if not report.corrections:
            return
        proposal = [p for p in self.hb.queries.corrections()
                    if p["external_id"] == e.external_id][-1]
        with contextlib.suppress(Conflict, InvalidInput):
            if decision == "apply":
                self.hb.handle(c.ApplyCorrection(proposal["id"], "controller"))
            elif decision == "reject":
                self.hb.handle(c.RejectCorrection(proposal["id"], "controller", "rollup"))

    @rule(through=days)
    def bill_and_issue(self, through: date) -> None:
        self.hb.handle(c.RunBilling(through))
        self.hb.handle(c.IssueInvoices(all_drafts=True))

    @rule(data=st.data(), mode=st.sampled_from(["rebill", "write_off", "void"]))
    def undo_invoice(self, data: st.DataObject, mode: str) -> None:
        """A credit note (to rebill or write off), or a void: billing state moves, approval
        does not (the rollup must not move either)."""
        issued = [i["id"] for i in self.hb.queries.invoices(status="issued")
                  if i["kind"] == "invoice"]
        if issued:
            chosen = data.draw(st.sampled_from(issued))
            with contextlib.suppress(Conflict, InvalidInput):
                if mode == "void":
                    self.hb.handle(c.VoidInvoice(chosen, "finance", "rollup"))
                else:
                    self.hb.handle(c.IssueCreditNote(chosen, "finance", "rollup", (), mode))

    @rule()
    def move_project(self) -> None:
        """Master data: project INT (no contract) now belongs to the other customer; its
        counted entries move with it."""
        project = self.bundle["projects"][1]
        project["customer"] = "ACME" if project["customer"] == "SELF" else "SELF"
        self.load()

    @rule()
    def switch_correction_policy(self) -> None:
        """Contract K1 switches between credit-and-rebill and next-invoice adjustment: under
        the latter an applied correction revises an entry (work date, minutes, approval)
        while the issued invoice that billed it stands, so its billed parts move with it."""
        contract = self.bundle["contracts"][0]
        contract["correction_policy"] = (
            "credit_and_rebill" if contract.get("correction_policy") == "next_invoice_adjustment"
            else "next_invoice_adjustment")
        self.load()

    @invariant()
    def rollup_equals_definition(self) -> None:
        assert_rollup_equals_definition(self.hb)


TestRollupSqlite = RollupMachine.TestCase
TestRollupSqlite.settings = settings(max_examples=25, stateful_step_count=12, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])


class PostgresRollupMachine(RollupMachine):
    postgres = True


@pytest.mark.postgres
def test_rollup_equals_definition_on_postgres(postgres_url: str) -> None:
    """The same machine on PostgreSQL (statement-level triggers with transition tables), a
    few examples: each one is a fresh database. ``postgres_url`` only makes it skip (or
    fail in CI) without a server; the machine makes its own databases."""
    run = PostgresRollupMachine.TestCase
    run.settings = settings(max_examples=8, stateful_step_count=12, deadline=None,
                            suppress_health_check=[HealthCheck.too_slow])
    run("runTest").runTest()


@pytest.mark.postgres
def test_transition_table_triggers_run_one_pass_without_jit(postgres_url: str) -> None:
    """Migration 0031: a statement over a transition table is planned without statistics,
    and the planner's guess (38.7 million rows for a join of 87,940) had it JIT-compiled for
    longer than it ran. Every function a transition-table trigger calls runs with jit off,
    whoever replaced it last (``CREATE OR REPLACE FUNCTION`` without the setting drops
    it); and an UPDATE of time entries fires one such trigger, which joins the old and new
    rows once for every rollup. The rollups' values are the machine's above."""
    import psycopg

    with postgres_database() as url, psycopg.connect(url.replace("+psycopg", "")) as conn:
        functions = conn.execute(
            "SELECT DISTINCT p.proname, coalesce(p.proconfig, '{}') FROM pg_trigger t "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal "
            "AND (t.tgoldtable IS NOT NULL OR t.tgnewtable IS NOT NULL) ORDER BY 1").fetchall()
        assert {name for name, _ in functions} >= {
            "kpi_approval_days_entries", "kpi_rollups_entries", "kpi_rollups_links",
            "ref_inserted", "ref_removed", "billing_standing_inserted"}
        assert [name for name, config in functions if "jit=off" not in config] == []
        on_update = conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'time_entries'::regclass "
            "AND tgnewtable IS NOT NULL AND tgoldtable IS NOT NULL ORDER BY 1").fetchall()
        assert on_update == [("kpi_rollups_entries_upd",)]


def _approve_and_reject(url: str, ids: list[int], rounds: int, start: Any) -> None:
    """One writer process: approve its entries batch by batch, sending every other batch
    back and approving it again (each change an increment or decrement of rollup rows the
    other writer changes too)."""
    hb = bootstrap(Settings(database_url=url), upgrade=False,
                   clock=lambda: datetime(2026, 9, 1, 12, tzinfo=UTC))
    try:
        start.wait(timeout=60)
        batch = max(1, len(ids) // rounds)
        for k in range(0, len(ids), batch):
            chunk = tuple(ids[k:k + batch])
            hb.handle(c.ApproveEntries(actor="pm", entry_ids=chunk))
            if (k // batch) % 2:
                hb.handle(c.RejectEntries("pm", chunk[: len(chunk) // 2], "race"))
    finally:
        hb.close()


@pytest.mark.postgres
def test_two_processes_approving_at_once_lose_no_increment(postgres_url: str) -> None:
    """Two processes approve and reject interleaved entries of the same (entity, customer,
    work date, approval day) groups at the same time: the additive upserts serialise on the
    rollup rows, so the rollup still equals the count over every entry."""
    hb = bootstrap(Settings(database_url=postgres_url),
                   clock=lambda: datetime(2026, 9, 1, 12, tzinfo=UTC))
    try:
        hb.handle(c.LoadMasterData(to_domain(
            [("r", BundleDocument.model_validate(small_firm_bundle()))])))
        lines = ["external_id,employee,project,task,date,minutes,notes"]
        for i in range(600):  # three work days: every batch hits the same few rollup rows
            day = START + timedelta(days=i % 3)
            lines.append(f"c{i},{('E1', 'E2')[i % 2]},P1,DEV,{day.isoformat()},30,n{i}")
        file = TimeFile.from_bytes("race.csv", "text/csv", ("\n".join(lines) + "\n").encode())
        hb.handle(c.IngestTimeEntries("race", file))
        with hb.engine.connect() as conn:
            ids = conn.execute(select(t.time_entries.c.id).order_by(t.time_entries.c.id)
                               ).scalars().all()
        # fork (as tests/fault/test_audit_concurrency.py): the writer needs no second import
        fork = multiprocessing.get_context("fork")
        start = fork.Barrier(2)
        writers = [fork.Process(target=_approve_and_reject,
                                 args=(postgres_url, list(ids[n::2]), 30, start))
                   for n in range(2)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(timeout=120)
            assert w.exitcode == 0
        counted = assert_rollup_equals_definition(hb)
        with hb.engine.connect() as conn:
            approved = conn.execute(select(t.time_entries.c.id).where(
                t.time_entries.c.approval == "approved")).all()
        assert counted == len(approved) > 300
        print(f"two writers: {len(ids)} entries, {counted} approved after interleaved "
              "approvals and rejections; rollup equals the count over every entry")
    finally:
        hb.close()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_correction_under_a_standing_invoice_moves_its_billed_parts(database: str) -> None:
    """Next-invoice adjustment: a correction applied to invoiced work changes the entry's
    work date and minutes in place while the invoice that billed it stays issued, so the
    invoice lags and billed time must follow the entry (the rollups' time_entries triggers
    for linked entries; the machine reaches this only by chance)."""
    if database == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} not set")
    m = PostgresRollupMachine() if database == "postgres" else RollupMachine()
    try:
        m.bundle["contracts"][0]["correction_policy"] = "next_invoice_adjustment"
        m.load()
        m.ingest([("E1", "P1", START + timedelta(days=d), 60 + d) for d in range(6)])
        m.approve(1, START + timedelta(days=45), None)
        m.bill_and_issue(START + timedelta(days=40))
        before = m.hb.queries.kpi_billed_time(date(2000, 1, 1), date(2100, 1, 1), None)
        assert before and before[0]["worked_seconds"] > 0
        e = m.entries()[0]
        report = m.send("external_id,employee,project,task,date,minutes,notes,revision\n"
                        f"{e.external_id},{e.employee},{e.project},{e.task},"
                        f"{(e.work_date - timedelta(days=3)).isoformat()},500,edited,"
                        f"{e.revision + 1}\n")
        assert report.corrections
        proposal = [p for p in m.hb.queries.corrections()
                    if p["external_id"] == e.external_id][-1]
        assert proposal["policy"] == "next_invoice_adjustment"
        m.hb.handle(c.ApplyCorrection(proposal["id"], "controller"))
        after = m.hb.queries.kpi_billed_time(date(2000, 1, 1), date(2100, 1, 1), None)
        assert after != before  # the worked seconds of the billed entry moved
        assert_rollup_equals_definition(m.hb)
    finally:
        m.teardown()
