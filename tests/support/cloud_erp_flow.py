"""What the cloud ERP tests (``tests/integration/test_erp_cloud.py`` and the per-ERP
``test_erp_d365.py``, ``test_erp_oracle.py``, ``test_erp_sap.py``) do to the small firm and
its ERP alike: issue its demo invoices, load a profile, push, and post a credit note next to
an invoice; kept here so that each ERP's own module holds only what is particular to it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from hourbridge.bootstrap import Hourbridge
from hourbridge.connectors import SINKS
from hourbridge.connectors.erp_http import reference
from hourbridge.domain import commands as c
from hourbridge.domain.erp import ErpDocument, ErpLine, ErpParty, external_id
from hourbridge.formats.erp_profiles import parse_erp_profiles

from .cloud_erps import CloudErp

ROWS = [(f"h{i}", "E1" if i % 2 else "E2", "P1", "DEV", f"2026-{m:02d}-{d:02d}", "1.5", "work")
        for i, (m, d) in enumerate([(7, 6), (7, 14), (8, 3), (8, 20), (9, 8), (9, 21)])]
CENT = Decimal("0.01")
# an ERP's own failure modes are about HTTP, not the database: once is enough
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def issue_demo(hb: Hourbridge, ingest: Any) -> Hourbridge:
    """Three monthly invoices of the small firm, issued (and their revenue journal)."""
    ingest(ROWS)
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    for month_end in (date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30)):
        hb.handle(c.RunBilling(month_end))
    hb.handle(c.IssueInvoices(all_drafts=True))
    hb.worker.drain()
    return hb


def load_profile(hb: Hourbridge, tmp_path: Path, profile: dict[str, Any]) -> None:
    path = tmp_path / "erp.yaml"
    path.write_text(yaml.safe_dump({"erp_profiles": [profile]}))
    parsed, origins, problems = parse_erp_profiles(path)
    assert problems == []
    hb.handle(c.LoadErpProfiles(tuple(parsed), tuple(origins)))


def push(hb: Hourbridge) -> dict[str, Any]:
    report: dict[str, Any] = hb.handle(c.QueueErpPush())
    report["delivery"] = hb.worker.drain().as_dict()
    return report


def sink(case: CloudErp, erp: Any) -> Any:
    profile = case.profile(erp.url)
    return SINKS[case.system](profile["connection"], case.secret)


def expected_journals(hb: Hourbridge) -> dict[str, list[tuple[Decimal, Decimal]]]:
    """Each journal entry the push sends (not an invoice's), by its reference: the
    functional (debit, credit) of each posting."""
    with hb.uow() as uow:
        events = uow.erp.journal_events("DE")
    out = {}
    for ev in events:
        if str(ev["subject"]).startswith(("invoice/", "credit-note/")):
            continue
        pairs = []
        for ps in ev["data"]["postings"]:
            amount = Decimal(ps["functional_amount"])
            pairs.append((max(amount, Decimal(0)).quantize(CENT),
                          max(-amount, Decimal(0)).quantize(CENT)))
        out[reference(external_id(ev["key"]))] = pairs
    return out


def credit_note(profile: dict[str, Any], number: str) -> ErpDocument:
    tax = profile["tax_codes"]["standard"]
    line = ErpLine("Credit for July", profile["revenue_accounts"]["default"], Decimal(2),
                   Decimal("60.00"), Decimal("120.00"), None, tax)
    return ErpDocument("credit_note", external_id(f"credit-note-issued:DE:{number}"),
                       profile["company"], profile["journal"], "EUR", date(2026, 8, 3),
                       (line,), memo=f"Credit note {number}", number=number,
                       partner=ErpParty("hb:customer:DE:ACME", "Acme GmbH", "DE"),
                       net=Decimal("120.00"), tax=Decimal("22.80"), total=Decimal("142.80"))


def cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def post_with_credit_note(hb: Hourbridge, case: CloudErp, erp: Any, tmp_path: Path
                          ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The first invoice credited (written off), then everything pushed to the ERP: (the
    credit note as posted, the second invoice as posted, the second invoice as ours)."""
    first, second = [i for i in hb.queries.invoices() if i["number"]][:2]
    hb.handle(c.IssueCreditNote(first["id"], actor="fin", reason="goodwill",
                                mode="write_off"))
    hb.worker.drain()
    load_profile(hb, tmp_path, case.profile(erp.url))
    case.prepare(erp, [i for i in hb.queries.invoices() if i["number"]])
    assert push(hb)["delivery"]["dead"] == 0
    with hb.uow() as uow:
        docs = uow.erp.posted_documents(case.profile(erp.url)["destination"])
    [note] = [d for d in docs if d["kind"] == "credit_note"]
    [target] = [d for d in docs if d["invoice"] == second["id"]]
    return note, target, second
