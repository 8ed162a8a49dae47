"""The NetSuite sink against a local imitation of SuiteTalk REST (``support.netsuite``): the
demo firm's issued invoices, credit notes and journal entries posted once each and read back
equal to the cent; OAuth 2.0 M2M token kept; the concurrency share held; lost answers and
throttling absorbed; customers read into the identity map; ``erp check``."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge
from hourbridge.connectors.netsuite import ns_external_id, open_netsuite
from hourbridge.domain import commands as c
from hourbridge.domain.erp import (
    ErpDocument,
    ErpLine,
    ErpParty,
    external_id,
)
from hourbridge.errors import InvalidInput, Permanent
from support.erp_demo import (
    DEMO_ACCOUNTS,
    demo_copy,
    issued,
    journals,
    load_profiles,
    push,
)
from support.erp_http import serve
from support.erp_projects import Seed, check_project_pull, seeds
from support.netsuite import NetSuite

KEY_ENV = "HOURBRIDGE_ERP_NETSUITE_KEY"
RECORDS = {"invoice": "invoice", "credit_note": "creditmemo"}


@pytest.fixture(scope="module")
def key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture
def ns(key_pair: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[NetSuite]:
    monkeypatch.setenv(KEY_ENV, key_pair[0])
    imitation = NetSuite(key_pair[1])
    with serve(imitation) as url:
        imitation.url = url
        yield imitation


@pytest.fixture
def demo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Hourbridge]:
    with demo_copy(tmp_path_factory, tmp_path) as hb:
        yield hb


def profiles(url: str, **connection: str) -> list[dict[str, Any]]:
    common = {"destination": "netsuite", "system": "netsuite", "journal": "SALES",
              "receivable_account": "1200", "revenue_accounts": {"default": "4000"},
              "items": {"default": "CONSULT", "expense": "EXPENSE"},
              "accounts": {a: a for a in DEMO_ACCOUNTS},
              "connection": {"url": url, "client_id": "hb-client", "certificate_id": "cert-1",
                             "concurrency": "2", "poll_seconds": "0.01", **connection}}
    return [{**common, "entity": "DE", "company": "1", "currency": "EUR",
             "tax_codes": {"standard": "DE19", "reverse_charge": "EU0",
                           "outside_scope": "EXEMPT"}},
            {**common, "entity": "US", "company": "2", "currency": "USD",
             "tax_codes": {"not_registered": "EXEMPT"}}]


def by_external_id(ns: NetSuite, record: str) -> dict[str, dict[str, Any]]:
    return {r["externalId"]: r for r in ns.of(record) if r.get("externalId")}


def test_demo_posts_once_each_and_reads_back_to_the_cent(demo: Hourbridge, ns: NetSuite,
                                                         tmp_path: Path) -> None:
    hb = demo
    load_profiles(hb, tmp_path, *profiles(ns.url, **{"async": "journal_entry"}))
    ns.drop_after_commit = 3  # three answers lost after the upsert / async job committed
    ns.throttle = 2  # and two requests refused at the account's concurrency limit
    report = push(hb)
    ours, entries = issued(hb), journals(hb)
    assert report["queued"] == len(ours) + len(entries) > 80
    assert report["delivery"] == {"delivered": report["queued"], "retried": 0, "dead": 0}
    for eid, inv in ours.items():
        [row] = [r for r in ns.of(RECORDS[inv["kind"]])
                 if r.get("externalId") == ns_external_id(eid)]
        assert (row["subtotal"], row["taxTotal"], row["total"]) == (
            inv["net"], inv["tax"], inv["total"]), eid
        assert row["currencySymbol"] == inv["currency"] and row["tranId"] == inv["number"]
    assert len(ns.of("invoice")) + len(ns.of("creditmemo")) == len(ours)
    numbers = {a["id"]: a["acctnumber"] for a in ns.of("account")}
    posted = by_external_id(ns, "journalentry")
    assert len(posted) == len(ns.of("journalentry")) == len(entries)
    for eid, lines in entries.items():
        row = posted[ns_external_id(eid)]
        assert sorted((numbers[ln["account"]["id"]], Decimal(str(ln.get("debit", 0))),
                       Decimal(str(ln.get("credit", 0)))) for ln in row["line"]["items"]
                      ) == lines, eid
    customers = by_external_id(ns, "customer")
    assert len(customers) == len(ns.of("customer")) == len(
        {(i["entity"], i["customer"]) for i in ours.values()})  # each created once
    assert len(ns.tokens) == 1  # one client assertion, the token kept
    assert ns.max_in_flight <= 2
    statuses = {p["status"] for p in hb.handle(c.ShowErpPostings("netsuite"))}
    assert statuses == {"posted"}
    again = push(hb)
    assert (again["queued"], len(ns.of("invoice")) + len(ns.of("journalentry"))) == (
        0, len(posted) + len(ns.of("invoice")))

    assert hb.sinks is not None
    sink = hb.sinks.destination("netsuite").sink
    first, second = ns.of("invoice")[:2]
    ns.pay("invoice", first["id"], Decimal("100.00"))
    ns.pay("invoice", second["id"], second["total"])
    state = sink.payment_state("invoice", first["id"])
    assert (state.state, state.residual) == ("partial", first["total"] - 100)
    assert [(p.via, p.amount, p.paid_on) for p in state.payments] == [
        ("payment", Decimal("100.00"), date(2026, 11, 20))]
    assert sink.payment_state("invoice", second["id"]).state == "paid"
    check_offsets(hb, ns, sink, [r for r in ns.of("invoice") if r not in (first, second)])

    pulled = hb.handle(c.PullErpCustomers("netsuite"))
    assert pulled["matched_by"] == {"external_id": len(customers)} and not pulled["ambiguous"]
    assert hb.handle(c.CheckErp("DE"))["ready"] is True


def check_offsets(hb: Hourbridge, ns: NetSuite, sink: Any, unpaid: list[dict[str, Any]]
                  ) -> None:
    """A credit memo applied in part to an invoice and the rest refunded: read back from
    either side (SuiteQL links), the applied part is an offset on both, the refund a
    payment; the pull records each once and the credit note shows settled."""
    credit = ns.of("creditmemo")[0]
    invoice = next(r for r in unpaid if r["entity"]["id"] == credit["entity"]["id"])
    part = (min(credit["total"], invoice["total"]) / 2).quantize(Decimal("0.01"))
    ns.apply_credit(credit["id"], invoice["id"], part, "11/10/2026")
    ns.pay("creditmemo", credit["id"], credit["total"] - part, "11/12/2026")
    on_credit = sink.payment_state("credit_note", credit["id"])
    assert on_credit.state == "paid" and on_credit.residual == 0
    assert sorted((p.via, p.amount, p.paid_on) for p in on_credit.payments) == [
        ("offset", part, date(2026, 11, 10)),
        ("payment", credit["total"] - part, date(2026, 11, 12))]
    on_invoice = sink.payment_state("invoice", invoice["id"])
    assert on_invoice.state == "partial"
    assert [(p.erp_id, p.via, p.amount) for p in on_invoice.payments] == [
        (f"link:{credit['id']}", "offset", part)]
    pulled = hb.handle(c.PullErpPayments("netsuite"))
    assert pulled["failed"] == [] and pulled["payments_recorded"] >= 3
    assert hb.handle(c.PullErpPayments("netsuite"))["payments_recorded"] == 0  # once
    rows = {i["number"]: i for i in hb.queries.invoices()}
    cn, inv = rows[credit["tranId"]], rows[invoice["tranId"]]
    print("NetSuite offsets read back:", {n: (r["payment"], r["applied_amount"],
                                               r.get("refunded_amount"), r["open_amount"])
                                           for n, r in ((credit["tranId"], cn),
                                                        (invoice["tranId"], inv))})
    assert (cn["payment"], Decimal(cn["applied_amount"]), Decimal(cn["refunded_amount"])) == (
        "settled", part, credit["total"] - part)
    assert (inv["payment"], Decimal(inv["applied_amount"])) == ("partial", part)
    assert Decimal(inv["open_amount"]) == invoice["total"] - part


def test_concurrency_share_is_held_and_the_token_kept(ns: NetSuite,
                                                      key_pair: tuple[str, str]) -> None:
    ns.latency = 0.05
    sink = open_netsuite({"url": ns.url, "client_id": "hb-client", "certificate_id": "cert-1",
                          "concurrency": "2"}, key_pair[0])
    found: list[object] = []
    threads = [threading.Thread(target=lambda i=i: found.append(sink.find("invoice", f"hb:{i}")))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    sink.close()
    assert found == [None] * 8 and ns.max_in_flight == 2  # never the account's 429
    assert len(ns.tokens) == 1


def test_identity_map_links_existing_customers_and_holds_ambiguous_ones(
        demo: Hourbridge, ns: NetSuite, tmp_path: Path) -> None:
    hb = demo
    load_profiles(hb, tmp_path, *profiles(ns.url)[:1])  # DE only
    donau = external_id("customer:DE:DONAU")
    ns._add("customer", {"companyName": "Donau Energie (old name)", "subsidiary": {"id": "1"},
                         "externalId": ns_external_id(donau)})
    rhein = ns._add("customer", {"companyName": "Rheinwerk AG", "subsidiary": {"id": "1"},
                                 "vatRegNumber": "DE 308.225.820"})
    for _ in range(2):
        ns._add("customer", {"companyName": "Hanseatische Handelsbank AG",
                             "subsidiary": {"id": "1"}})
    ns._add("customer", {"companyName": "Schwarzwald Präzisionstechnik GmbH",
                         "subsidiary": {"id": "2"}})  # another subsidiary: not a match
    pulled = hb.handle(c.PullErpCustomers("netsuite"))
    assert pulled["matched_by"] == {"external_id": 1, "vat_id": 1}
    assert pulled["erp_customers"] == 4
    [ambiguous] = pulled["ambiguous"]
    assert "HANSEBANK" in ambiguous and "matches 2 customers" in ambiguous
    assert "SCHWARZWALD" in pulled["missing"]
    exceptions = [e for e in hb.queries.exceptions() if e["reason"] == "ambiguous_erp_customer"]
    assert len(exceptions) == 1
    with pytest.raises(InvalidInput) as refused:  # its documents wait: never a third one
        hb.handle(c.QueueErpPush())
    assert {p.where for p in refused.value.problems} == {  # type: ignore[attr-defined]
        "erp_customers[netsuite].HANSEBANK"}

    for row in ns.of("customer"):  # settled in the ERP: one of the two is gone
        if row["companyName"] == "Hanseatische Handelsbank AG":
            del ns.records["customer"][row["id"]]
            break
    assert hb.handle(c.PullErpCustomers("netsuite"))["matched_by"] == {
        "external_id": 1, "name": 1, "vat_id": 1}
    assert [e["status"] for e in hb.queries.exceptions(status=None)
            if e["reason"] == "ambiguous_erp_customer"] == ["resolved"]
    before = len(ns.of("customer"))
    report = push(hb)
    assert report["delivery"]["dead"] == 0
    invoices = [r for r in ns.of("invoice") + ns.of("creditmemo")]
    de = {i["customer"] for i in issued(hb).values() if i["entity"] == "DE"}
    assert rhein in {r["entity"]["id"] for r in invoices}  # the ERP's own customer
    created = len(ns.of("customer")) - before
    assert created == len(de - {"DONAU", "RHEINWERK", "HANSEBANK"})


def test_erp_check_names_what_netsuite_lacks(demo: Hourbridge, ns: NetSuite, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from hourbridge.cli.app import app

    de, us = profiles(ns.url)
    load_profiles(demo, tmp_path, {**de, "tax_codes": {"standard": "DE7"},
                                   "items": {"expense": "EXPENSE"},
                                   "accounts": {"1210": "9999"}}, us)
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", str(demo.engine.url))
    runner = CliRunner()
    missing = runner.invoke(app, ["erp", "check", "DE", "--json"])
    assert missing.exit_code == 1, missing.output
    [dest] = json.loads(missing.stdout)["destinations"]
    assert dest["missing"] == [
        "NetSuite has no account '9999' (account.acctnumber)",
        "NetSuite has no tax code 'DE7' (salestaxitem.itemid)",
        "the profile names no item for invoice lines (items.default): NetSuite invoice "
        "lines are items"]
    ready = runner.invoke(app, ["erp", "check", "US", "--destination", "netsuite"])
    assert ready.exit_code == 0 and "netsuite (netsuite): ready" in ready.stdout
    unknown = runner.invoke(app, ["erp", "check", "XX"])
    assert unknown.exit_code == 2 and "no ERP profile for entity 'XX'" in unknown.output


def test_async_journal_with_its_202_lost_is_one_entry_and_refusals_keep_netsuite_detail(
        ns: NetSuite, key_pair: tuple[str, str]) -> None:
    sink = open_netsuite({"url": ns.url, "client_id": "hb-client", "certificate_id": "cert-1",
                          "async": "journal_entry", "poll_seconds": "0.01"}, key_pair[0])
    entry = ErpDocument("journal_entry", "hb:wip:DE:1", "1", "MISC", "EUR", date(2026, 9, 30),
                        (ErpLine("WIP", "1210", debit=Decimal("10.05")),
                         ErpLine("WIP", "4000", credit=Decimal("10.05"))), memo="WIP")
    ns.drop_after_commit = 1  # the job is queued and runs; the 202 naming it is lost
    ns.job_polls = 2
    record = sink.push_document(entry)
    posts = [p for m, p in ns.calls if m == "POST" and p.endswith("/journalentry")]
    assert len(posts) == 2 and len(ns.jobs) == 1  # sent again with the same key
    [row] = ns.of("journalentry")
    assert record.erp_id == row["id"] and row["externalId"] == ns_external_id("hb:wip:DE:1")
    assert sink.find("journal_entry", "hb:wip:DE:1") == record

    unbalanced = replace(entry, external_id="hb:wip:DE:2", lines=entry.lines[:1])
    with pytest.raises(Permanent, match="USER_ERROR: The transaction is out of balance"):
        sink.push_document(unbalanced)  # the job's result is NetSuite's refusal
    invoice = ErpDocument("invoice", "hb:invoice-issued:DE:X", "1", "SALES", "EUR",
                          date(2026, 9, 30), (ErpLine("Work", "4000", Decimal(1),
                                                      Decimal(5), Decimal(5), "CONSULT"),),
                          partner=ErpParty("hb:customer:DE:X", "X", erp_id="424242"))
    with pytest.raises(Permanent, match=r"INVALID_CONTENT: .*Invalid Field Value 424242 .*"
                                        r"\(entity\)"):
        sink.push_document(invoice)
    sink.close()


def test_projects_pull_into_the_identity_map_and_invoices_name_their_job(
        demo: Hourbridge, ns: NetSuite, tmp_path: Path) -> None:
    """NetSuite projects (``job`` records, paged) matched by our external id, an ambiguous
    name an exception; a DE invoice of the matched project names its ``job``."""
    hb = demo
    load_profiles(hb, tmp_path, *profiles(ns.url)[:1])  # DE only
    with hb.uow() as uow:
        snapshot = uow.masterdata.snapshot()
    ours = {p.code: p for p in snapshot.projects.values() if p.entity == "DE"}
    _, matched, ambiguous = seeds(hb, "DE", by_external_id=True)
    customers: dict[str, str] = {}

    def customer_of(code: str) -> str:
        cust = ours[code].customer
        if cust not in customers:  # the ERP's own customer, found again by the push
            customers[cust] = ns._add("customer", {
                "companyName": snapshot.customers[cust].name, "subsidiary": {"id": "1"},
                "externalId": ns_external_id(external_id(f"customer:DE:{cust}"))})
        return customers[cust]

    def seed(rows: list[Seed]) -> None:
        for s in rows:
            owner = ambiguous if s.code.startswith("AMB") else matched
            ns._add("job", {"entityId": s.code, "companyName": s.name,
                            "subsidiary": {"id": "1"}, "parent": {"id": customer_of(owner)},
                            **({"externalId": ns_external_id(s.external_id)}
                               if s.external_id else {})})
        ns._add("job", {"entityId": "US-1", "companyName": "Elsewhere",
                        "subsidiary": {"id": "2"}})  # another subsidiary: not ours

    def rename(code: str, name: str) -> None:
        next(r for r in ns.of("job") if r["entityId"] == code)["companyName"] = name

    check_project_pull(hb, "netsuite", "DE", True, seed, lambda: len(ns.of("job")), rename)
    assert push(hb)["delivery"]["dead"] == 0
    jobs = {r["entityId"]: r["id"] for r in ns.of("job")}
    named = Counter((r.get("job") or {}).get("id") for r in ns.of("invoice"))
    mine = [i for i in issued(hb).values() if i["entity"] == "DE" and i["kind"] == "invoice"]
    print(f"netsuite invoices by job: {dict(named)}")
    assert named[jobs["ERP-0001"]] >= 1  # the matched project's invoices name its job
    assert set(named) <= {jobs["ERP-0001"], jobs["AMB-1"], None}
    assert sum(named.values()) == len(mine)
