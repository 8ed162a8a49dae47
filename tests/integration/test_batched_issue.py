"""Issuing in batches (issue 16, item 3): several batches in one call number gaplessly in
draft order and relieve each entry's WIP exactly once, as issuing one by one did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet
from sqlalchemy import event, text

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.connectors.webhooks import new_secret
from hourbridge.domain import commands as c
from hourbridge.formats.erp_profiles import parse_erp_profiles
from hourbridge.formats.timefile import TimeFile
from hourbridge.services import invoicing
from hourbridge.services.events import JOURNAL_ENTRY_READY

from .conftest import FixedClock, csv_payload, load
from .test_erp_odoo import profile


def _rows() -> list[tuple[Any, ...]]:
    # P1 work over five months: five drafts (one per contract and month)
    return [(f"B{i}", "E1" if i % 2 else "E2", "P1", "DEV",
             f"2026-{7 + i % 5:02d}-{1 + i % 27:02d}", f"{1 + i % 4}.25", f"task {i}")
            for i in range(60)]


def test_batches_number_in_draft_order_and_relieve_each_entry_once(
        loaded: Hourbridge, ingest: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(invoicing, "BATCH", 2)  # five drafts: three batches
    ingest(_rows())
    loaded.handle(c.ApproveEntries("pm", project="P1"))
    drafts = loaded.handle(c.RunBilling(date(2026, 11, 30))).invoices
    assert len(drafts) == 5
    report = loaded.handle(c.IssueInvoices(all_drafts=True))

    ids = sorted(d["id"] for d in drafts)
    assert [i["id"] for i in report.issued] == ids
    with loaded.engine.connect() as conn:
        sequences = [s for (s,) in conn.execute(text(
            "SELECT sequence FROM invoices ORDER BY id"))]
        entries = conn.execute(text(
            "SELECT billable_seconds, relieved_seconds, wip_amount, wip_relieved, billing, "
            "locked FROM time_entries WHERE billable_seconds > 0")).all()
    assert sequences == list(range(1, 6))
    assert entries and all(
        (s, w, b, bool(locked)) == (r, wr, "invoiced", True)
        for s, r, w, wr, b, locked in entries)
    # what the journals take out of unbilled receivables is the WIP approval booked
    booked = sum((Decimal(str(w)) for _, _, w, _, _, _ in entries), Decimal(0))
    assert sum((Decimal(i["wip_relieved"]) for i in report.issued), Decimal(0)) == booked


def test_a_batch_fans_out_to_erps_and_webhooks_in_bulk(
        database_url: str, small_bundle: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With an ERP profile and a webhook subscribed to journal entries, issuing queues one ERP
    document and one delivery per invoice, keyed by its number, and reads the profiles'
    documents, identity map and subscriptions once per batch: the statements touching them
    do not grow with the invoices (issue 16: no look-up and insert per journal)."""
    monkeypatch.setenv("HOURBRIDGE_ERP_ODOO_DE_KEY", "odoo-api-key")
    hb = bootstrap(Settings(database_url=database_url,
                            secret_key=Fernet.generate_key().decode()), clock=FixedClock())
    try:
        load(hb, small_bundle)
        path = tmp_path / "erp.yaml"
        path.write_text(yaml.safe_dump({"erp_profiles": [profile("http://127.0.0.1:9")]}))
        parsed, origins, problems = parse_erp_profiles(path)
        assert problems == []
        hb.handle(c.LoadErpProfiles(tuple(parsed), tuple(origins)))
        hb.handle(c.AddWebhook("books", "http://127.0.0.1:9/hook", (JOURNAL_ENTRY_READY,),
                               new_secret()))
        payload = TimeFile.from_bytes("t.csv", "text/csv", csv_payload(_rows()))
        hb.handle(c.IngestTimeEntries("harvest", payload))
        hb.handle(c.ApproveEntries("pm", project="P1"))
        hb.handle(c.RunBilling(date(2026, 11, 30)))
        seen: list[str] = []

        def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement)

        event.listen(hb.engine, "before_cursor_execute", note)
        try:
            report = hb.handle(c.IssueInvoices(all_drafts=True))
        finally:
            event.remove(hb.engine, "before_cursor_execute", note)
        numbers = sorted(i["number"] for i in report.issued)
        with hb.engine.connect() as conn:
            keys = sorted(k for (k,) in conn.execute(text("SELECT key FROM outbox")))
    finally:
        hb.close()
    assert len(numbers) == 5
    journals = [f"invoice-issued:DE:{n}" for n in numbers]
    assert [k for k in keys if k.startswith("invoice-issued:")] == journals
    assert [k for k in keys if k.startswith("erp:")] == [f"erp:odoo-de:{j}" for j in journals]
    assert [k for k in keys if k.startswith("webhook:books:invoice-issued:")] == [
        f"webhook:books:{j}" for j in journals]

    def touching(table: str) -> int:
        return sum(table in s for s in seen)

    counts = {name: touching(name) for name in
              ("webhook_subscriptions", "erp_identity_map", "erp_project_map", "FROM outbox",
               "INTO outbox")}
    print(f"issuing 5 invoices with an ERP and a webhook: statements {counts}")
    # one batch: journals, then ERP documents and deliveries, each one look-up + one insert
    assert counts == {"webhook_subscriptions": 1, "erp_identity_map": 1, "erp_project_map": 1,
                      "FROM outbox": 2, "INTO outbox": 2}
