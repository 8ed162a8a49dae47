"""ERP sinks against local imitations of Dynamics 365 F&O, Oracle Fusion Cloud and SAP
S/4HANA Cloud (``support.cloud_erps``): the small firm's issued invoices and journal entries
posted once each and read back equal to the cent, lost answers found by reference instead
of posted twice (on SQLite and PostgreSQL); customers paged, profiles checked, and each
ERP's own failure modes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from hourbridge.bootstrap import Hourbridge
from hourbridge.connectors import SINKS
from hourbridge.connectors.erp_http import reference
from hourbridge.domain import commands as c
from hourbridge.domain.erp import ErpProfile, external_id
from hourbridge.errors import Retryable
from hourbridge.formats.erp_profiles import parse_erp_profiles
from support.cloud_erps import CLOUD_ERPS, D365_FO, ORACLE_FUSION, SAP, CloudErp
from support.d365 import D365
from support.erp_projects import Seed, check_project_pull
from support.oracle import Oracle
from support.sap import Sap

ROWS = [(f"h{i}", "E1" if i % 2 else "E2", "P1", "DEV", f"2026-{m:02d}-{d:02d}", "1.5", "work")
        for i, (m, d) in enumerate([(7, 6), (7, 14), (8, 3), (8, 20), (9, 8), (9, 21)])]
CENT = Decimal("0.01")
# an ERP's own failure modes are about HTTP, not the database: once is enough
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def load_profile(hb: Hourbridge, tmp_path: Path, profile: dict[str, Any]) -> None:
    path = tmp_path / "erp.yaml"
    path.write_text(yaml.safe_dump({"erp_profiles": [profile]}))
    parsed, origins, problems = parse_erp_profiles(path)
    assert problems == []
    hb.handle(c.LoadErpProfiles(tuple(parsed), tuple(origins)))


@pytest.fixture
def issued(loaded: Hourbridge, ingest: Any) -> Hourbridge:
    """Three monthly invoices of the small firm, issued (and their revenue journal)."""
    ingest(ROWS)
    hb = loaded
    hb.handle(c.ApproveEntries(actor="pm", project="P1"))
    for month_end in (date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30)):
        hb.handle(c.RunBilling(month_end))
    hb.handle(c.IssueInvoices(all_drafts=True))
    hb.worker.drain()
    return hb


@pytest.fixture(params=CLOUD_ERPS, ids=lambda e: e.name)
def case(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> CloudErp:
    erp: CloudErp = request.param
    monkeypatch.setenv(erp.key_env, erp.secret)
    return erp


@pytest.fixture
def erp(case: CloudErp) -> Iterator[Any]:
    with case.imitate() as served:
        yield served


def _push(hb: Hourbridge) -> dict[str, Any]:
    report: dict[str, Any] = hb.handle(c.QueueErpPush())
    report["delivery"] = hb.worker.drain().as_dict()
    return report


def _expected_journals(hb: Hourbridge) -> dict[str, list[tuple[Decimal, Decimal]]]:
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


def test_demo_documents_post_once_and_read_back_to_the_cent(
        issued: Hourbridge, case: CloudErp, erp: Any, tmp_path: Path) -> None:
    """Two answers are lost on the way (committed, never heard of): those two documents
    are found by their reference on the next attempt, not posted twice."""
    hb = issued
    destination = case.profile(erp.url)["destination"]
    load_profile(hb, tmp_path, case.profile(erp.url))
    invoices = [i for i in hb.queries.invoices() if i["number"]]
    case.prepare(erp, invoices)
    erp.drop_after_commit = 2
    first = _push(hb)
    assert first["delivery"] == {"delivered": len(invoices) - 1, "retried": 2, "dead": 0}
    hb.clock.at += timedelta(hours=1)  # type: ignore[attr-defined]  # the retries are due
    assert hb.worker.drain().as_dict() == {"delivered": 2, "retried": 0, "dead": 0}
    posted = {p.reference: p.amounts for p in case.invoices(erp)}
    assert len(posted) == len(invoices) == len(case.invoices(erp)) == 3
    for inv in invoices:
        ref = reference(external_id(f"invoice-issued:DE:{inv['number']}"))
        ours = tuple(abs(Decimal(inv[k])) for k in ("net", "tax", "total"))
        assert posted[ref] == ours[:len(posted[ref])], inv["number"]
    journals = case.journals(erp)
    expected = _expected_journals(hb)
    assert len(journals) == len(expected) == 1
    for j in journals:
        assert sorted(zip(j.amounts[::2], j.amounts[1::2], strict=True)) == sorted(
            expected[j.reference])
    statuses = sorted(p["status"] for p in hb.handle(c.ShowErpPostings(destination)))
    if isinstance(erp, Sap):
        # a lost answer of the billing request service: the retry finds the request (not a
        # billing document yet) and bills it, so that attempt posts rather than finds
        assert statuses.count("unknown") == 2 and len(statuses) == 6
        assert statuses.count("found") + statuses.count("posted") == 4
    else:
        assert statuses == sorted(["posted"] * 2 + ["unknown", "found"] * 2)
    again = _push(hb)  # nothing new: nothing queued, nothing posted
    assert (again["queued"], again["already_queued"]) == (0, 4)
    assert len(case.invoices(erp)) == 3 and len(case.journals(erp)) == 1


def _sink(case: CloudErp, erp: Any) -> Any:
    profile = case.profile(erp.url)
    return SINKS[case.system](profile["connection"], case.secret)


def test_customers_are_listed_page_by_page_and_check_names_what_the_erp_lacks(
        case: CloudErp, erp: Any) -> None:
    from hourbridge.domain.erp import ErpParty

    erp.page_size = 2
    sink = _sink(case, erp)
    profile = case.profile(erp.url)
    parties = [ErpParty(f"hb:customer:DE:C{i}", f"Customer {i}", "DE") for i in range(5)]
    ids = {sink.push_customer(p, profile["company"]) for p in parties}
    assert len(ids) == 5
    pulled = list(sink.customers(profile["company"]))
    assert {c.erp_id for c in pulled} >= ids
    assert {c.external_id for c in pulled} >= {reference(p.external_id) for p in parties}
    assert len(pulled) == len({c.erp_id for c in pulled})  # no page read twice
    assert sink.check(ErpProfile(**profile)) == []
    lacking = ErpProfile(**{**profile, "accounts": {"4000": "9999-NOPE"}})
    [problem] = sink.check(lacking)
    assert "9999-NOPE" in problem


@SQLITE_ONLY
def test_d365_write_failed_500_is_permanent_with_its_inner_message_and_429_waits(
        monkeypatch: pytest.MonkeyPatch, issued: Hourbridge, tmp_path: Path) -> None:
    monkeypatch.setenv(D365_FO.key_env, D365_FO.secret)
    with D365_FO.imitate(throttle=1) as erp:
        assert isinstance(erp, D365)
        erp.accounts.discard("4000")  # the revenue journal's credit account is unknown
        load_profile(issued, tmp_path, D365_FO.profile(erp.url))
        report = _push(issued)
        # the first request met a 429 (retried), the invoices posted, the journal refused
        assert report["delivery"] == {"delivered": 3, "retried": 1, "dead": 0}
        issued.clock.at += timedelta(hours=1)  # type: ignore[attr-defined]
        assert issued.worker.drain().as_dict() == {"delivered": 0, "retried": 0, "dead": 1}
        [dead] = issued.queries.dead_letters()
        assert "The value '4000' in field 'Account' is not found" in dead["last_error"]
        assert "An error has occurred" not in dead["last_error"]
        assert erp.journals() == [] and len(erp.invoices()) == 3  # the changeset rolled back
        assert len(erp.tokens) == 1  # one token for every request: kept until it expires


def test_d365_token_is_kept_until_it_expires_then_renewed() -> None:
    from hourbridge.connectors.d365_fo import D365Sink, EntraToken, FnoOData

    now = [0.0]
    with D365_FO.imitate(token_seconds=600) as erp:  # expires_in 600 s
        auth = EntraToken(f"{erp.url}/token", "hb-app", D365_FO.secret, "scope",
                          clock=lambda: now[0])
        sink = D365Sink(FnoOData(erp.url, auth))
        for _ in range(3):
            assert sink.find("invoice", "hb:none") is None
        assert (auth.fetched, len(erp.tokens)) == (1, 1)
        now[0] = 541.0  # within the 60 s margin of its expiry: a new one
        assert sink.find("invoice", "hb:none") is None
        assert auth.fetched == 2
        erp.tokens.clear()  # revoked early: the 401 fetches one fresh token, sent again
        assert sink.find("invoice", "hb:none") is None
        assert auth.fetched == 3
        sink.odata.api.close()


@SQLITE_ONLY
def test_oracle_errors_keep_oracles_message_and_a_failed_import_its_job_log(
        monkeypatch: pytest.MonkeyPatch, issued: Hourbridge, tmp_path: Path) -> None:
    monkeypatch.setenv(ORACLE_FUSION.key_env, ORACLE_FUSION.secret)
    with ORACLE_FUSION.imitate() as erp:
        assert isinstance(erp, Oracle)
        erp.accounts.discard("101-4000")
        erp.types.discard("Invoice")
        load_profile(issued, tmp_path, ORACLE_FUSION.profile(erp.url))
        assert _push(issued)["delivery"] == {"delivered": 0, "retried": 0, "dead": 4}
        errors = sorted(d["last_error"] for d in issued.queries.dead_letters())
        assert sum("TransactionType isn't valid. (AR-XXXXXX) [/receivablesInvoices/"
                   "TransactionType]" in e for e in errors) == 3
        [journal] = [e for e in errors if "journal import" in e]
        assert "ended ERROR" in journal and "EF04 The account 101-4000 is not valid" in journal


@SQLITE_ONLY
def test_sap_zero_document_is_a_refusal_with_its_log_and_a_stale_csrf_token_is_fetched_again(
        monkeypatch: pytest.MonkeyPatch, issued: Hourbridge, tmp_path: Path) -> None:
    monkeypatch.setenv(SAP.key_env, SAP.secret)
    with SAP.imitate() as erp:
        assert isinstance(erp, Sap)
        erp.gl_accounts.discard("4000")
        load_profile(issued, tmp_path, SAP.profile(erp.url))
        sink = issued.sinks.destination("sap-de").sink  # type: ignore[union-attr]
        sink.odata._token(  # a token from a session SAP then ends
            "/sap/opu/odata4/sap/api_billingdocument/srvd_a2x/sap/billingdocument/0001/")
        erp.expire_sessions()
        assert _push(issued)["delivery"] == {"delivered": 3, "retried": 0, "dead": 1}
        [error] = [d["last_error"] for d in issued.queries.dead_letters()]
        assert "SAP refused journal entry" in error and "Account 4000 does not exist" in error
        # each invoice: its billing document request created (SOAP), then billed
        assert len(erp.billing_requests) == len(erp.billing_documents) == 3
        assert erp.journal_entries == []
        # one for the partners' V2 service; for billing the stale one, then one fresh
        assert sink.odata.fetched == 3
        assert erp.calls.count("POST /sap/bc/srt/scs_ext/sap/billingdocumentrequest_in") == 3


@SQLITE_ONLY
def test_sap_billing_request_is_created_once_read_back_late_and_never_twice(
        monkeypatch: pytest.MonkeyPatch, issued: Hourbridge, tmp_path: Path) -> None:
    """The asynchronous request service: a request shows only after a few reads, a lost
    answer leaves a request the next attempt bills instead of creating another, and one SAP
    cannot take (an unknown sold-to party) is never there: the attempt is retried, not
    posted twice."""
    monkeypatch.setenv(SAP.key_env, SAP.secret)
    with SAP.imitate(request_delay_reads=2, drop_request_answers=1) as erp:
        load_profile(issued, tmp_path, SAP.profile(erp.url))
        report = _push(issued)
        assert report["delivery"]["retried"] == 1
        issued.clock.at += timedelta(hours=1)  # type: ignore[attr-defined]  # retry due
        assert issued.worker.drain().as_dict()["delivered"] == 1
        held = Counter(d["PurchaseOrderByCustomer"] for d in erp.billing_documents)
        requests = Counter(r["PurchaseOrderByCustomer"] for r in erp.billing_requests)
        print(f"sap billing requests: queued {report['queued']}, requests {len(requests)}, "
              f"billing documents {len(held)}, monitor {len(erp.monitor)}")
        assert len(held) == len(requests) == 3 and set(held.values()) == {1}
        assert set(requests.values()) == {1}
        # the lost answer's retry found its request: three posts for three invoices
        assert erp.calls.count("POST /sap/bc/srt/scs_ext/sap/billingdocumentrequest_in") == 3
        sink = _sink(SAP, erp)
        doc = _credit_note(SAP.profile(erp.url), "DE-C-000009")
        doc = replace(doc, partner=replace(doc.partner, erp_id="99999999"))  # type: ignore
        erp.request_delay_reads = 0
        with pytest.raises(Retryable, match="does not show it yet"):
            sink.push_document(doc)
        assert any("Sold-to party 99999999 not maintained" in m for m in erp.monitor)
        # the same reference sent again (as a blind retry would): accepted, never stored
        from hourbridge.connectors.sap import billing_request

        taken = erp.billing_requests[0]
        again = replace(doc, external_id="x", partner=replace(
            doc.partner, erp_id=taken["SoldToParty"]))  # type: ignore[arg-type]
        answer = sink.api.send("POST", billing_request.PATH, write=True,
                               content=billing_request.request_envelope(
                                   again, taken["PurchaseOrderByCustomer"],
                                   taken["SoldToParty"], {}))
        assert answer.status_code == 202 and len(erp.billing_requests) == 3
        assert erp.monitor[-1].endswith("already has a billing document request")


def test_a_credit_note_posts_as_each_erps_own_credit(case: CloudErp, erp: Any) -> None:
    doc = _credit_note(case.profile(erp.url), "DE-C-000001")
    case.prepare(erp, [])
    sink = _sink(case, erp)
    record = sink.push_document(doc)
    assert sink.find("credit_note", doc.external_id) == record
    if isinstance(erp, D365):  # a free-text invoice with negative quantities
        [held] = erp.invoices()
        assert (_cents(held["InvoiceAmount"]), _cents(held["InvoiceTotalAmount"])) == (
            Decimal("-120.00"), Decimal("-142.80"))
    elif isinstance(erp, Oracle):  # a credit memo of the source
        [held] = erp.transactions["receivablesCreditMemos"]
        assert (held["TransactionType"], _cents(held["EnteredAmount"])) == (
            "Credit Memo", Decimal("-142.80"))
    else:  # a credit memo billing document (G2) of its request
        [held] = erp.billing_documents
        assert (held["BillingDocumentType"], _cents(held["TotalNetAmount"])) == (
            "G2", Decimal("120.00"))


def _credit_note(profile: dict[str, Any], number: str) -> Any:
    from hourbridge.domain.erp import ErpDocument, ErpLine, ErpParty

    tax = profile["tax_codes"]["standard"]
    line = ErpLine("Credit for July", profile["revenue_accounts"]["default"], Decimal(2),
                   Decimal("60.00"), Decimal("120.00"), None, tax)
    return ErpDocument("credit_note", external_id(f"credit-note-issued:DE:{number}"),
                       profile["company"], profile["journal"], "EUR", date(2026, 8, 3),
                       (line,), memo=f"Credit note {number}", number=number,
                       partner=ErpParty("hb:customer:DE:ACME", "Acme GmbH", "DE"),
                       net=Decimal("120.00"), tax=Decimal("22.80"), total=Decimal("142.80"))


def _cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@pytest.mark.parametrize("case", [e for e in CLOUD_ERPS if e.apply_credit],
                         ids=lambda e: e.name, indirect=True)
def test_a_credit_note_applied_in_part_is_an_offset_on_both_documents(
        issued: Hourbridge, case: CloudErp, erp: Any, tmp_path: Path) -> None:
    """A credit note posted and applied in part to another invoice of the customer: the
    pull records the applied part as an offset on both documents, once (pulling again
    records nothing new); the credit note reads partial, the invoice partial by that part."""
    hb = issued
    first, second = [i for i in hb.queries.invoices() if i["number"]][:2]
    hb.handle(c.IssueCreditNote(first["id"], actor="fin", reason="goodwill",
                                mode="write_off"))
    hb.worker.drain()
    load_profile(hb, tmp_path, case.profile(erp.url))
    case.prepare(erp, [i for i in hb.queries.invoices() if i["number"]])
    assert _push(hb)["delivery"]["dead"] == 0
    destination = case.profile(erp.url)["destination"]
    with hb.uow() as uow:
        docs = uow.erp.posted_documents(destination)
    [note] = [d for d in docs if d["kind"] == "credit_note"]
    [target] = [d for d in docs if d["invoice"] == second["id"]]
    part = (min(Decimal(note["total"]).copy_abs(), Decimal(second["total"])) / 2
            ).quantize(CENT)
    assert case.apply_credit is not None
    sink = _sink(case, erp)
    # what is open before, as the ERP sees it (SAP's imitation determines no tax)
    before = {d["erp_id"]: sink.payment_state(d["kind"], d["erp_id"]).residual
              for d in (note, target)}
    case.apply_credit(erp, note["erp_id"], target["erp_id"], part, "2026-11-10")
    on_note = sink.payment_state("credit_note", note["erp_id"])
    assert [(p.via, p.amount, p.paid_on) for p in on_note.payments] == [
        ("offset", part, date(2026, 11, 10))]
    assert (on_note.state, on_note.residual) == ("partial", before[note["erp_id"]] - part)
    on_invoice = sink.payment_state("invoice", target["erp_id"])
    assert [(p.via, p.amount) for p in on_invoice.payments] == [("offset", part)]
    assert (on_invoice.state, on_invoice.residual) == ("partial",
                                                       before[target["erp_id"]] - part)
    assert before[target["erp_id"]] <= Decimal(second["total"])
    pulled = hb.handle(c.PullErpPayments(destination))
    assert pulled["failed"] == [] and pulled["payments_recorded"] == 2
    assert hb.handle(c.PullErpPayments(destination))["payments_recorded"] == 0  # once
    rows = {i["id"]: i for i in hb.queries.invoices()}
    ours_note, ours_inv = rows[note["invoice"]], rows[second["id"]]
    print(f"{case.name} offsets read back:", ours_note["payment"],
          ours_note["applied_amount"], ours_inv["payment"], ours_inv["applied_amount"])
    assert (ours_note["payment"], Decimal(ours_note["applied_amount"])) == ("partial", part)
    assert (ours_inv["payment"], Decimal(ours_inv["applied_amount"])) == ("partial", part)


def test_each_erps_throttling_is_retryable_and_says_when(case: CloudErp, erp: Any) -> None:
    sink = _sink(case, erp)
    # F&O's service protection answers 429; Oracle and SAP publish no limits: 503
    setattr(erp, "throttle" if isinstance(erp, D365) else "unavailable", 1)
    with pytest.raises(Retryable) as throttled:
        sink.find("invoice", "hb:none")
    assert throttled.value.retry_after == 0.0  # the answer's Retry-After, for the backoff
    assert sink.find("invoice", "hb:none") is None  # and then it answers


def _project_seeding(erp: Any) -> tuple[bool, Any, Any, Any]:
    """(keeps our external id, seed, count, rename) for each cloud imitation's projects."""
    if isinstance(erp, D365):
        rows = erp.rows("Projects")

        def seed(seeds: list[Seed]) -> None:
            rows.extend({"dataAreaId": "usmf", "ProjectID": s.code, "ProjectName": s.name,
                         "CustomerAccount": ""} for s in seeds)
            rows.append({"dataAreaId": "demf", "ProjectID": "DE-1", "ProjectName": "Other"})
        key, name = "ProjectID", "ProjectName"
    elif isinstance(erp, Oracle):
        rows = erp.projects

        def seed(seeds: list[Seed]) -> None:
            rows.extend({"ProjectId": 300100 + i, "ProjectNumber": s.code,
                         "ProjectName": s.name, "SourceProjectReference": s.external_id,
                         "BusinessUnitName": "DE BU"} for i, s in enumerate(seeds))
            rows.append({"ProjectId": 1, "ProjectNumber": "V-1", "ProjectName": "Other",
                         "BusinessUnitName": "Vision Operations"})
        key, name = "ProjectNumber", "ProjectName"
    else:
        rows = erp.projects

        def seed(seeds: list[Seed]) -> None:
            rows.extend({"Project": s.code, "ProjectDescription": s.name,
                         "CompanyCode": "1010"} for s in seeds)
            rows.append({"Project": "US-1", "ProjectDescription": "Other",
                         "CompanyCode": "1710"})
        key, name = "Project", "ProjectDescription"

    def rename(code: str, new: str) -> None:
        next(r for r in rows if r[key] == code)[name] = new

    return isinstance(erp, Oracle), seed, lambda: len(rows), rename


@SQLITE_ONLY
def test_projects_pull_into_the_identity_map_and_sap_requests_name_theirs(
        issued: Hourbridge, case: CloudErp, erp: Any, tmp_path: Path) -> None:
    """Each cloud ERP's projects (F&O ``Projects``, Oracle PPM ``projects``, SAP
    ``A_EnterpriseProject``; F&O and SAP two a page): matched by our external id (Oracle's
    ``SourceProjectReference``) or code, an ambiguous name an exception, a second pull the
    same; SAP's billing requests then name the project of each line."""
    erp.page_size = 2
    profile = case.profile(erp.url)
    load_profile(issued, tmp_path, profile)
    by_id, seed, held, rename = _project_seeding(erp)
    check_project_pull(issued, profile["destination"], "DE", by_id, seed, held, rename)
    if isinstance(erp, Sap):
        assert _push(issued)["delivery"]["dead"] == 0
        named = Counter(i["ProjectReference"] for r in erp.billing_requests
                        for i in r["_items"])
        print(f"sap billing request items by project: {dict(named)}")
        p1 = {r["project"]: r["erp_id"] for r in issued.handle(
            c.ShowErpProjects("sap-de"))}["P1"]  # matched by name once settled
        assert p1 == "AMB-1" and set(named) == {p1}  # the small firm bills P1 only
