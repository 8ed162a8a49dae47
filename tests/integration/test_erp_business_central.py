"""The Business Central sink against a local imitation of API v2.0
(``support.business_central``): the demo firm's issued invoices, credit notes and journal
entries posted once each and read back equal to the cent, with 429s absorbed and lost
answers found by ``externalDocumentNumber`` / document number instead of posted twice;
customers paged by ``@odata.nextLink`` into the identity map; ``erp check``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.connectors.business_central import (
    bc_external,
    bc_number,
    open_business_central,
)
from hourbridge.domain import commands as c
from support.business_central import BusinessCentral
from support.erp_demo import (
    DEMO_ACCOUNTS,
    demo_copy,
    issued,
    journals,
    load_profiles,
    push,
)
from support.erp_http import serve
from support.erp_projects import Seed, check_project_pull

ENTITIES = {"DE": ("CRONUS DE", "EUR"), "US": ("CRONUS US", "USD")}
DOCUMENTS = {"invoice": "salesInvoices", "credit_note": "salesCreditMemos"}


@pytest.fixture
def bc(monkeypatch: pytest.MonkeyPatch) -> Iterator[BusinessCentral]:
    for entity in ENTITIES:
        monkeypatch.setenv(f"HOURBRIDGE_ERP_BC_{entity}_KEY", "bc-secret")
    imitation = BusinessCentral()
    with serve(imitation) as url:
        imitation.url = url
        yield imitation


@pytest.fixture
def demo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Hourbridge]:
    with demo_copy(tmp_path_factory, tmp_path) as hb:
        yield hb


def profile(bc: BusinessCentral, entity: str, **overrides: Any) -> dict[str, Any]:
    name, currency = ENTITIES[entity]
    taxes = ({"standard": "VAT19", "reverse_charge": "NOVAT", "outside_scope": "NOVAT"}
             if entity == "DE" else {"not_registered": "NOVAT"})
    return {"destination": f"bc-{entity.lower()}", "system": "business_central",
            "entity": entity, "company": bc.company(name), "journal": "SALES",
            "currency": currency, "receivable_account": "1200",
            "revenue_accounts": {"default": "4000"}, "items": {"time": "CONSULT"},
            "tax_codes": taxes, "accounts": {a: a for a in DEMO_ACCOUNTS},
            "connection": {"url": bc.base, "token_url": bc.token_url, "client_id": "hb-app",
                           "local_currency": currency, "concurrency": "2", "page_size": "2"},
            **overrides}


def test_demo_posts_once_each_and_reads_back_to_the_cent(demo: Hourbridge,
                                                         bc: BusinessCentral,
                                                         tmp_path: Path) -> None:
    hb = demo
    load_profiles(hb, tmp_path, profile(bc, "DE"), profile(bc, "US"))
    bc.throttle = 3  # 429 TooManyRequests with Retry-After: retried by the client
    bc.drop_after_commit = 2  # two creates or posting actions commit, their answers lost
    first = push(hb)
    ours, entries = issued(hb), journals(hb)
    assert first["queued"] == len(ours) + len(entries) > 80
    assert first["delivery"]["retried"] == 2 and first["delivery"]["dead"] == 0
    hb.clock.at += timedelta(hours=1)  # type: ignore[attr-defined]  # the retries are due
    assert hb.worker.drain().as_dict() == {"delivered": 2, "retried": 0, "dead": 0}

    for entity, (name, currency) in ENTITIES.items():
        company = bc.company(name)
        mine = {eid: i for eid, i in ours.items() if i["entity"] == entity}
        for eid, inv in mine.items():
            [row] = [r for r in bc.of(company, DOCUMENTS[inv["kind"]])
                     if r["externalDocumentNumber"] == bc_external(eid)]
            assert row["status"] == "Open", eid
            assert (row["totalAmountExcludingTax"], row["totalTaxAmount"],
                    row["totalAmountIncludingTax"]) == (inv["net"], inv["tax"], inv["total"])
            assert (row["currencyCode"] or currency) == inv["currency"]
        assert len(bc.of(company, "salesInvoices")) + len(
            bc.of(company, "salesCreditMemos")) == len(mine)
        ledger: dict[str, list[tuple[str, Decimal, Decimal]]] = {}
        for e in bc.of(company, "generalLedgerEntries"):
            ledger.setdefault(e["documentNumber"], []).append(
                (e["accountNumber"], e["debitAmount"], e["creditAmount"]))
        # a journal entry's entity is the third part of its key (approval:DE:..., ...)
        wanted = {bc_number(eid): lines for eid, lines in entries.items()
                  if eid.split(":")[2] == entity}
        assert {k: sorted(v) for k, v in ledger.items()} == wanted
        assert len(bc.of(company, "customers")) == len({i["customer"] for i in mine.values()})
    by_doc: dict[str, list[str]] = {}
    for p in hb.handle(c.ShowErpPostings()):
        by_doc.setdefault(p["external_id"], []).append(p["status"])
    assert Counter(tuple(v) for v in by_doc.values()) == {
        ("posted",): len(by_doc) - 2, ("unknown", "found"): 2}
    assert len(bc.tokens) == 2  # one per destination, kept

    assert push(hb)["queued"] == 0
    pulled = hb.handle(c.PullErpCustomers("bc-de"))
    created = len(bc.of(bc.company("CRONUS DE"), "customers"))
    assert pulled["erp_customers"] == pulled["matched"] == created  # paged 2 at a time
    # BC keeps no external id of ours: by VAT id, else (a customer without one) by name
    assert set(pulled["matched_by"]) <= {"vat_id", "name"} and not pulled["ambiguous"]
    assert sum(1 for m, p in bc.calls if "customers" in p and m == "GET") >= created // 2

    assert hb.sinks is not None
    sink = open_business_central(profile(bc, "DE")["connection"], "bc-secret")  # a new one:
    # it does not know the invoice's company yet
    de = bc.company("CRONUS DE")
    invoice = bc.of(de, "salesInvoices")[0]
    bc.pay(de, invoice["id"], Decimal("10.00"))
    state = sink.payment_state("invoice", invoice["id"])
    assert (state.state, state.residual) == ("partial",
                                             invoice["totalAmountIncludingTax"] - 10)
    check_offsets(hb, bc, sink, de, skip=invoice["id"])
    sink.close()
    # every ERP id fits the posting record's column (64), on every database
    assert max(len(p["erp_id"] or "") for p in hb.handle(c.ShowErpPostings())) <= 64


def check_offsets(hb: Hourbridge, bc: BusinessCentral, sink: Any, de: str, skip: str
                  ) -> None:
    """A posted credit memo applied in part to an invoice: an offset on both, read from
    either side (the credit memo's ``invoiceId``), recorded once by the pull; the credit
    note shows partial, the invoice the applied part."""
    cm = next(r for r in bc.of(de, "salesCreditMemos") if r["status"] == "Open")
    inv = next(r for r in bc.of(de, "salesInvoices") if r["status"] == "Open"
               and r["id"] != skip and r["customerId"] == cm["customerId"])
    part = (min(cm["totalAmountIncludingTax"], inv["totalAmountIncludingTax"]) / 2
            ).quantize(Decimal("0.01"))
    bc.apply_credit(de, cm["id"], inv["id"], part)
    on_credit = sink.payment_state("credit_note", cm["id"])
    assert (on_credit.state, on_credit.residual) == (
        "partial", cm["totalAmountIncludingTax"] - part)
    assert [(p.erp_id, p.via, p.amount) for p in on_credit.payments] == [
        (f"invoice:{inv['id']}", "offset", part)]
    on_invoice = sink.payment_state("invoice", inv["id"])
    assert [(p.erp_id, p.via, p.amount, p.paid_on.isoformat()) for p in on_invoice.payments
            ] == [(f"creditMemo:{cm['id']}", "offset", part, cm["creditMemoDate"])]
    pulled = hb.handle(c.PullErpPayments("bc-de"))
    assert pulled["failed"] == [] and pulled["payments_recorded"] == 2
    assert hb.handle(c.PullErpPayments("bc-de"))["payments_recorded"] == 0  # once
    numbers = {bc_external(eid): i["number"] for eid, i in issued(hb).items()}
    rows = {i["number"]: i for i in hb.queries.invoices()}
    ours_cn = rows[numbers[cm["externalDocumentNumber"]]]
    ours_inv = rows[numbers[inv["externalDocumentNumber"]]]
    print("Business Central offsets read back:", ours_cn["payment"],
          ours_cn["applied_amount"], ours_inv["payment"], ours_inv["applied_amount"])
    assert (ours_cn["payment"], Decimal(ours_cn["applied_amount"])) == ("partial", part)
    assert (ours_inv["payment"], Decimal(ours_inv["applied_amount"])) == ("partial", part)


def test_erp_check_names_what_business_central_lacks(demo: Hourbridge, bc: BusinessCentral,
                                                     tmp_path: Path) -> None:
    load_profiles(demo, tmp_path, profile(bc, "DE", currency="CHF", items={"time": "SENIOR"},
                                          tax_codes={"standard": "VAT7"},
                                          accounts={"1210": "9999"}),
                  profile(bc, "US", company="00000000-0000-0000-0000-000000000000"))
    report = demo.handle(c.CheckErp("DE"))
    assert report["ready"] is False
    assert report["destinations"][0]["missing"] == [
        "Business Central has no account '9999' (accounts.number)",
        "Business Central has no tax group 'VAT7' (taxGroups.code)",
        "Business Central has no item 'SENIOR' (items.number)"]
    assert demo.handle(c.CheckErp("US"))["destinations"][0]["missing"] == [
        "Business Central has no company '00000000-0000-0000-0000-000000000000'"]


def test_projects_pull_by_code_page_by_page(demo: Hourbridge, bc: BusinessCentral,
                                            tmp_path: Path) -> None:
    """Business Central's ``projects`` (API v2.0; no external id of ours): matched by code,
    two at a time (``page_size`` 2), an ambiguous name an exception, nothing created."""
    load_profiles(demo, tmp_path, profile(bc, "DE"))
    de = bc.company("CRONUS DE")

    def seed(rows: list[Seed]) -> None:
        for s in rows:
            bc.add(de, "projects", {"number": s.code, "displayName": s.name})

    def rename(code: str, name: str) -> None:
        next(r for r in bc.of(de, "projects") if r["number"] == code)["displayName"] = name

    reads = len([p for m, p in bc.calls if m == "GET" and p.endswith("/projects")])
    check_project_pull(demo, "bc-de", "DE", False, seed,
                       lambda: len(bc.of(de, "projects")), rename)
    pages = [p for m, p in bc.calls if m == "GET" and "/projects" in p]
    assert len(pages) - reads >= 3 * 3  # three pulls of six projects, two a page
