"""The SAP S/4HANA Cloud sink against its local imitation (``support.sap``): its own
failure modes (a zero document a refusal with its log, a stale CSRF token fetched again,
the asynchronous billing request service created once) and what it reads of payments (a
``DZ`` clearing item naming the billing document is money, another type an offset). What
every cloud ERP does alike: ``test_erp_cloud.py``."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.errors import Retryable
from support import cloud_erp_flow as flow
from support.cloud_erp_flow import SQLITE_ONLY
from support.cloud_erps import SAP
from support.sap import Sap


@pytest.fixture
def issued(loaded: Hourbridge, ingest: Any) -> Hourbridge:
    return flow.issue_demo(loaded, ingest)


@SQLITE_ONLY
def test_sap_zero_document_is_a_refusal_with_its_log_and_a_stale_csrf_token_is_fetched_again(
        monkeypatch: pytest.MonkeyPatch, issued: Hourbridge, tmp_path: Path) -> None:
    monkeypatch.setenv(SAP.key_env, SAP.secret)
    with SAP.imitate() as erp:
        assert isinstance(erp, Sap)
        erp.gl_accounts.discard("4000")
        flow.load_profile(issued, tmp_path, SAP.profile(erp.url))
        sink = issued.sinks.destination("sap-de").sink  # type: ignore[union-attr]
        sink.odata._token(  # a token from a session SAP then ends
            "/sap/opu/odata4/sap/api_billingdocument/srvd_a2x/sap/billingdocument/0001/")
        erp.expire_sessions()
        assert flow.push(issued)["delivery"] == {"delivered": 3, "retried": 0, "dead": 1}
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
        flow.load_profile(issued, tmp_path, SAP.profile(erp.url))
        report = flow.push(issued)
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
        sink = flow.sink(SAP, erp)
        doc = flow.credit_note(SAP.profile(erp.url), "DE-C-000009")
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


def test_sap_a_dz_clearing_item_is_a_payment_and_another_type_an_offset(
        monkeypatch: pytest.MonkeyPatch, issued: Hourbridge, tmp_path: Path) -> None:
    """An invoice cleared in part twice: against a credit memo (a clearing entry of type
    AB: an offset) and by a customer payment (type DZ, its customer item naming the billing
    document's accounting document: money). The pull records one of each on the invoice,
    once; our invoice reads partial, paid by both, of which only the credit memo's part
    applied."""
    monkeypatch.setenv(SAP.key_env, SAP.secret)
    with SAP.imitate() as erp:
        assert isinstance(erp, Sap)
        note, target, second = flow.post_with_credit_note(issued, SAP, erp, tmp_path)
        sink = flow.sink(SAP, erp)
        before = sink.payment_state("invoice", target["erp_id"]).residual
        part, paid = Decimal("10.00"), Decimal("25.50")
        assert SAP.apply_credit is not None
        SAP.apply_credit(erp, note["erp_id"], target["erp_id"], part, "2026-11-10")
        erp.pay(target["erp_id"], paid, "2026-11-12")
        state = sink.payment_state("invoice", target["erp_id"])
        assert sorted((p.via, p.amount, p.paid_on) for p in state.payments) == [
            ("offset", part, date(2026, 11, 10)), ("payment", paid, date(2026, 11, 12))]
        assert (state.state, state.residual) == ("partial", before - part - paid)
        destination = SAP.profile(erp.url)["destination"]
        pulled = issued.handle(c.PullErpPayments(destination))
        # the offset on both documents, the payment on the invoice only
        assert pulled["failed"] == [] and pulled["payments_recorded"] == 3
        assert issued.handle(c.PullErpPayments(destination))["payments_recorded"] == 0
        ours = {i["id"]: i for i in issued.queries.invoices()}[second["id"]]
        print("sap payment and offset read back:", ours["payment"], ours["paid_amount"],
              ours["applied_amount"], ours["open_amount"])
        assert ours["payment"] == "partial"
        assert (Decimal(ours["paid_amount"]), Decimal(ours["applied_amount"])) == (
            part + paid, part)
