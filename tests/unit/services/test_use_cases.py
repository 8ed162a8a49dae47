"""Use cases through the command table on the in-memory unit of work (``support.fakes``): no
database, milliseconds each. What is stored is read back from the fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.domain import commands as c
from hourbridge.domain.credits import CreditableLink
from hourbridge.domain.ledger import balanced
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.rating import RateBook
from hourbridge.formats.bundle import to_domain
from hourbridge.formats.bundle_models import BundleDocument
from hourbridge.formats.timefile import TimeFile
from hourbridge.services.deps import NO_DEPS
from hourbridge.services.events import journal_from_data
from hourbridge.services.handlers import COMMAND_HANDLERS
from hourbridge.services.intake import store_batch
from hourbridge.services.intake_kinds import TIME
from hourbridge.services.ports import DocumentRow, LineState, NewEntry
from support.fakes import FakeUnitOfWork
from support.firm import small_firm_bundle

NOW = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
HEADER = "external_id,employee,project,task,date,hours,notes,revision\n"


@pytest.fixture(scope="module")
def md() -> MasterData:
    return to_domain([("firm", BundleDocument.model_validate(small_firm_bundle()))]
                     ).merged_over(MasterData())


def handle(command: Any, uow: FakeUnitOfWork) -> Any:
    return COMMAND_HANDLERS[type(command)](command, uow, NOW, NO_DEPS)


def ingest(uow: FakeUnitOfWork, name: str, *rows: str,
           entities: frozenset[str] | None = None) -> dict[str, Any]:
    payload = TimeFile.from_bytes(name, "text/csv", (HEADER + "\n".join(rows) + "\n").encode())
    report: dict[str, Any] = handle(c.IngestTimeEntries("tracker", payload,
                                                        entities=entities), uow).as_dict()
    return report


def test_intake_new_unchanged_revised_duplicate(md: MasterData) -> None:
    uow = FakeUnitOfWork(md)
    first = ingest(uow, "day1.csv", "a,E1,P1,DEV,2026-07-06,2,design,1",
                   "b,E2,P1,DEV,2026-07-06,3,build,1")
    assert (first["accepted"], first["rejected"], first["duplicate_payload"]) == (2, 0, False)
    again = ingest(uow, "day1.csv", "a,E1,P1,DEV,2026-07-06,2,design,1",
                   "b,E2,P1,DEV,2026-07-06,3,build,1")
    assert again["duplicate_payload"] and again["accepted"] == 0

    second = ingest(uow, "day1-fix.csv",
                    "a,E1,P1,DEV,2026-07-06,2,design,1",    # unchanged
                    "b,E2,P1,DEV,2026-07-06,4,build,2",     # revised: 3 h -> 4 h
                    "c,E1,P1,DEV,2026-07-06,2,design,1")    # a's content under another id
    assert {k: second[k] for k in ("rows", "accepted", "unchanged", "revised", "rejected")} == {
        "rows": 3, "accepted": 0, "unchanged": 1, "revised": 1, "rejected": 1}
    assert second["reasons"] == {"duplicate_entry": 1}

    stored = {r.external_id: r for r in uow.entries.rows.values()}
    assert sorted(stored) == ["a", "b"]
    assert stored["b"].worked_seconds == 4 * 3600 and uow.entries.revisions[stored["b"].id] == 2
    [refused] = uow.exceptions.items
    assert (refused.external_id, refused.problem.code) == ("c", "duplicate_entry")
    assert [p["status"] for p in uow.inbox.payloads.values()] == ["processed", "processed"]


def test_intake_limited_to_entities_keeps_off_another_entitys_projects_and_rows(
        md: MasterData) -> None:
    """A sender limited to AT (the small firm's projects are all DE's): P1 is unknown to it,
    DE's stored row under its id is neither revised nor deleted, and the payload keeps the
    limit for a recovery."""
    uow = FakeUnitOfWork(md)
    ingest(uow, "de.csv", "a,E1,P1,DEV,2026-07-06,2,design,1")
    at = frozenset({"AT"})
    report = ingest(uow, "at.csv", "b,E1,P1,DEV,2026-07-06,3,build,1", entities=at)
    assert (report["accepted"], report["reasons"]) == (0, {"unknown_project": 1})
    assert uow.exceptions.items[0].problem.message == "project 'P1' is not in master data"
    assert [p["entities"] for p in uow.inbox.payloads.values()] == [None, at]

    # a candidate under DE's id (validated as the unlimited sender would: this is the store
    # half on its own), and a deletion of it
    entries = TimeFile.from_bytes("x.csv", "text/csv", (
        HEADER + "a,E1,P1,DEV,2026-07-06,5,design,2\n").encode())
    rows = list(entries.rows())
    candidates = TIME.validate(rows, "tracker", 9, md, RateBook(md))
    out = store_batch(uow, TIME, "tracker", rows, candidates, NOW, entities=at)
    assert [(i, [p.code for p in ps]) for i, ps in out.rejected] == [(0, ["duplicate_key"])]
    [(_, gone)] = candidates[0]
    deletion = store_batch(uow, TIME, "tracker", rows,
                           ([(0, gone._replace(deleted=True))], []), NOW, entities=at)
    assert (deletion.unchanged, deletion.deleted) == (1, 0)
    [stored] = uow.entries.rows.values()
    assert stored.worked_seconds == 2 * 3600 and stored.id not in uow.entries.deleted


def test_intake_refuses_a_change_of_approved_work(md: MasterData) -> None:
    uow = FakeUnitOfWork(md)
    ingest(uow, "one.csv", "a,E1,P1,DEV,2026-07-06,2,design,1")
    entry_id = next(iter(uow.entries.rows))
    uow.entries.rows[entry_id] = replace(uow.entries.rows[entry_id], approval="approved")
    report = ingest(uow, "two.csv", "a,E1,P1,DEV,2026-07-06,5,design,2")
    assert report["reasons"] == {"changed_after_approval": 1}
    assert "after it was approved/unbilled" in uow.exceptions.items[0].problem.message
    assert uow.entries.rows[entry_id].worked_seconds == 2 * 3600


def _approved(uow: FakeUnitOfWork, external_id: str, employee: str, seconds: int) -> int:
    return uow.entries.add(NewEntry(
        source="tracker", external_id=external_id, revision=1, inbox_id=1, employee=employee,
        project="P1", task="DEV", entity="DE", contract="K1", work_date=date(2026, 7, 7),
        worked_seconds=seconds, billable_seconds=seconds, billable=True, notes="",
        content_key=external_id, approval="approved", billing="unbilled"))


def test_billing_run_drafts_one_invoice(md: MasterData) -> None:
    uow = FakeUnitOfWork(md)
    senior = _approved(uow, "a", "E1", 2 * 3600)   # senior: 150.00 an hour in July
    analyst = _approved(uow, "b", "E2", 3 * 3600)  # analyst: 90.00
    report = handle(c.RunBilling(through=date(2026, 7, 31)), uow)

    [invoice] = report.invoices
    assert (invoice["contract"], invoice["period"], invoice["currency"]) == ("K1", "2026-07",
                                                                            "EUR")
    assert Decimal(invoice["net"]) == Decimal("570.00")  # 2 h x 150 + 3 h x 90
    assert Decimal(invoice["tax"]) == Decimal("108.30")  # 19 %
    assert report.entries_billed == 2 and report.skipped == []
    assert {i: (r.billing, r.billed_seconds) for i, r in uow.entries.rows.items()} == {
        senior: ("on_draft", 2 * 3600), analyst: ("on_draft", 3 * 3600)}
    assert uow.invoices.runs[0]["invoices"] == 1 and uow.commits == 1

    again = handle(c.RunBilling(through=date(2026, 7, 31)), uow)
    assert again.invoices == [] and again.run_id is None  # nothing left to bill


def test_credit_note_of_part_of_an_issued_invoice(md: MasterData) -> None:
    uow = FakeUnitOfWork(md)
    entry = _approved(uow, "a", "E1", 4 * 3600)
    uow.entries.bill_open([(entry, 4 * 3600)], NOW)
    uow.invoices.documents[7] = DocumentRow(
        7, "invoice", "issued", "DE", "K1", "ACME", "EUR", "2026-07", "DE-2026-0001",
        Decimal("600.00"), Decimal("114.00"), Decimal("0.19"), "standard", "S", None, None)
    uow.invoices.lines[7] = [LineState(
        70, 1, "ERP rollout: Development", "P1", "DEV", "senior", 4 * 3600, Decimal("150.00"),
        Decimal("600.00"), "FIRM-EUR", "senior-1", "role", "firm", 1, 0, Decimal(0),
        (CreditableLink(70, entry, 4 * 3600, 0),))]

    report = handle(c.IssueCreditNote(7, "finance", "one hour billed twice", ((1, 3600),),
                                      mode="write_off", issue_date=date(2026, 8, 3)), uow)

    assert (report.net, report.tax) == (Decimal("150.00"), Decimal("28.50"))
    [note] = uow.invoices.credit_notes
    assert (note["invoice"], note["mode"], note["net"]) == (7, "write_off", Decimal("150.00"))
    assert uow.entries.credited == [(entry, 3600, "write_off")]
    assert uow.entries.rows[entry].billed_seconds == 3 * 3600
    [event] = uow.outbox.events.values()
    journal = balanced(journal_from_data(event["data"]))
    assert journal.source_type and sum(p.debit for p in journal.postings) == Decimal("178.50")


def test_a_refused_command_leaves_nothing_behind(md: MasterData) -> None:
    uow = FakeUnitOfWork(md)
    with pytest.raises(Exception, match="not found"):
        handle(c.IssueCreditNote(99, "finance", "no such invoice"), uow)
    assert uow.invoices.credit_notes == [] and uow.outbox.events == {}


def test_a_published_event_queues_one_delivery_per_subscribed_webhook(md: MasterData) -> None:
    from hourbridge.services.events import JOURNAL_ENTRY_READY
    from hourbridge.services.ports import Subscription

    uow = FakeUnitOfWork(md)
    for name, types, status in (("erp", (JOURNAL_ENTRY_READY,), "active"),
                                ("all", ("*",), "active"), ("off", ("*",), "disabled"),
                                ("other", ("hourbridge.invoice.issued.v1",), "active")):
        uow.webhooks.add(Subscription(name, "https://x.test/h", types, "sealed",
                                      status=status), NOW)
    entry = _approved(uow, "a", "E1", 4 * 3600)
    uow.entries.bill_open([(entry, 4 * 3600)], NOW)
    uow.invoices.documents[7] = DocumentRow(
        7, "invoice", "issued", "DE", "K1", "ACME", "EUR", "2026-07", "DE-2026-0001",
        Decimal("600.00"), Decimal("114.00"), Decimal("0.19"), "standard", "S", None, None)
    uow.invoices.lines[7] = [LineState(
        70, 1, "ERP rollout: Development", "P1", "DEV", "senior", 4 * 3600, Decimal("150.00"),
        Decimal("600.00"), "FIRM-EUR", "senior-1", "role", "firm", 1, 0, Decimal(0),
        (CreditableLink(70, entry, 4 * 3600, 0),))]
    handle(c.IssueCreditNote(7, "finance", "billed twice", ((1, 3600),), mode="write_off",
                             issue_date=date(2026, 8, 3)), uow)
    [event_key] = [k for k, v in uow.outbox.events.items() if v.get("type") == JOURNAL_ENTRY_READY]
    deliveries = {k: v for k, v in uow.outbox.events.items() if "subscription" in v}
    assert sorted(deliveries) == [f"webhook:all:{event_key}", f"webhook:erp:{event_key}"]
    assert all(d["event"]["id"] == event_key for d in deliveries.values())


def test_a_delivery_key_always_fits_the_outbox_key() -> None:
    from hourbridge.services.webhooks import delivery_key

    assert delivery_key("erp", "je-1") == "webhook:erp:je-1"
    long_id = "invoice:" + "x" * 250
    key = delivery_key("a" * 64, long_id)
    assert len(key) <= 200 and key == delivery_key("a" * 64, long_id)  # deterministic
    assert key != delivery_key("a" * 64, long_id + "y")
