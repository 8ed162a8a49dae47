"""The Dynamics 365 F&O sink against its local imitation (``support.d365``): its own
failure modes (a write failed as a permanent refusal with F&O's inner message, 429 waits,
the Entra token kept until it expires) and what it reads of payments (a customer payment
settled against an invoice is money, a credit note marked against it an offset). What every
cloud ERP does alike: ``test_erp_cloud.py``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from support import cloud_erp_flow as flow
from support.cloud_erp_flow import SQLITE_ONLY
from support.cloud_erps import D365_FO
from support.d365 import D365


@pytest.fixture
def issued(loaded: Hourbridge, ingest: Any) -> Hourbridge:
    return flow.issue_demo(loaded, ingest)


@SQLITE_ONLY
def test_d365_write_failed_500_is_permanent_with_its_inner_message_and_429_waits(
        monkeypatch: pytest.MonkeyPatch, issued: Hourbridge, tmp_path: Path) -> None:
    monkeypatch.setenv(D365_FO.key_env, D365_FO.secret)
    with D365_FO.imitate(throttle=1) as erp:
        assert isinstance(erp, D365)
        erp.accounts.discard("4000")  # the revenue journal's credit account is unknown
        flow.load_profile(issued, tmp_path, D365_FO.profile(erp.url))
        report = flow.push(issued)
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


def test_d365_a_settlement_without_a_second_document_is_a_payment(
        monkeypatch: pytest.MonkeyPatch, issued: Hourbridge, tmp_path: Path) -> None:
    """An invoice settled twice: against a credit note marked against it (a settlement
    naming that free-text invoice: an offset) and against a customer payment (a settlement
    naming no other document: money). The pull records one of each on the invoice, once; our
    invoice reads partial, paid by both, of which only the credit note's part applied."""
    monkeypatch.setenv(D365_FO.key_env, D365_FO.secret)
    with D365_FO.imitate() as erp:
        assert isinstance(erp, D365)
        note, target, second = flow.post_with_credit_note(issued, D365_FO, erp, tmp_path)
        sink = flow.sink(D365_FO, erp)
        before = sink.payment_state("invoice", target["erp_id"]).residual
        part, paid = Decimal("10.00"), Decimal("25.50")
        assert D365_FO.apply_credit is not None
        D365_FO.apply_credit(erp, note["erp_id"], target["erp_id"], part, "2026-11-10")
        erp.pay(int(target["erp_id"].partition("/")[2]), paid, "2026-11-12")
        state = sink.payment_state("invoice", target["erp_id"])
        assert sorted((p.via, p.amount, p.paid_on) for p in state.payments) == [
            ("offset", part, date(2026, 11, 10)), ("payment", paid, date(2026, 11, 12))]
        assert (state.state, state.residual) == ("partial", before - part - paid)
        destination = D365_FO.profile(erp.url)["destination"]
        pulled = issued.handle(c.PullErpPayments(destination))
        # the offset on both documents, the payment on the invoice only
        assert pulled["failed"] == [] and pulled["payments_recorded"] == 3
        assert issued.handle(c.PullErpPayments(destination))["payments_recorded"] == 0
        ours = {i["id"]: i for i in issued.queries.invoices()}[second["id"]]
        print("d365 payment and offset read back:", ours["payment"], ours["paid_amount"],
              ours["applied_amount"], ours["open_amount"])
        assert ours["payment"] == "partial"
        assert (Decimal(ours["paid_amount"]), Decimal(ours["applied_amount"])) == (
            part + paid, part)
