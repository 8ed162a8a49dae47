"""The billing run's shortcuts (issue 16) give what the general paths give: a contract with
nothing passed over, SQLite storage values by exact type, a draft's net taken once, and
currency quanta kept per currency."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from hourbridge.domain.billing import ChargeLine, DraftInvoice, DraftLine, LineLink
from hourbridge.domain.money import quantum, round_money
from hourbridge.domain.problems import Problem, Skip
from hourbridge.domain.rating import RateDecision
from hourbridge.services.billing_report import _NOTHING_OPEN, _nothing, draft_summary, why_nothing
from hourbridge.store.bulk import _sqlite_rows, sqlite_value
from hourbridge.store.invoice_rows import header_row, line_rows


def test_a_contract_with_nothing_passed_over_reads_as_the_general_path_would() -> None:
    assert why_nothing("K1", [], []) == _nothing("K1", "nothing_open", _NOTHING_OPEN, Counter())
    assert why_nothing("K1", [], [])["reasons"] == {}


def test_skips_and_refusals_still_name_their_reason() -> None:
    skips = [Skip.because(1, "on_hold", "held"), Skip.because(2, "on_hold", "held"),
             Skip.because(3, "no_rate", "none")]
    assert why_nothing("K1", skips, []) == {
        "contract": "K1", "reason": "on_hold", "message": "held",
        "reasons": {"no_rate": 1, "on_hold": 2}}
    refused = [Problem("missing_vat_id", "no VAT id")]
    assert why_nothing("K1", skips, refused)["reason"] == "missing_vat_id"


class _Amount(Decimal):
    pass


class _Instant(datetime):
    pass


@pytest.mark.parametrize("value, stored", [
    (True, 1), (False, 0), (7, 7), ("x", "x"), (None, None), (1.5, 1.5), (b"b", b"b"),
    (Decimal("1.50"), "1.50"), (Decimal("-0.00"), "-0.00"), (Decimal("1E+3"), "1000"),
    (_Amount("2.5"), "2.5"),
    (date(2025, 3, 4), "2025-03-04"),
    (datetime(2025, 3, 4, 5, 6, 7, 8, tzinfo=UTC), "2025-03-04 05:06:07.000008"),
    (datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2))),
     "2025-03-04 03:06:07.000000"),
    (_Instant(2025, 3, 4, 5, 6, 7, tzinfo=UTC), "2025-03-04 05:06:07.000000"),
])
def test_sqlite_storage_values_by_type_and_subclass(value: object, stored: object) -> None:
    assert sqlite_value(value) == stored
    assert type(sqlite_value(value)) is type(stored)
    assert _sqlite_rows([(value, 1)]) == [(stored, 1)]


def _draft() -> DraftInvoice:
    decision = RateDecision(Decimal("95.50"), "EUR", "card", "row", "rule", "role", 1)
    line = DraftLine("P1", "T1", "dev", decision, "EUR",
                     [LineLink(1, 5400), LineLink(2, 1234)])
    zero = DraftLine("P1", "T2", "dev", decision, "EUR", [LineLink(3, 0)])
    return DraftInvoice("K1", "E1", "C1", "EUR", "2025-03", [line, zero], [
        ChargeLine("fee", "2025-03", "fee", Decimal("100.00"), 1),
        ChargeLine("cap_write_down", "2025-03", "cap", Decimal("-12.34"), 1)])


class _Tax:
    code, category, exemption_code, note = "standard", "S", None, ""
    rate, amount = Decimal("0.19"), Decimal("40.00")


def test_a_drafts_header_net_from_its_line_rows_is_its_net() -> None:
    draft = _draft()
    rows = line_rows(0, draft)
    from_rows = sum((r["amount"] for r in rows), Decimal(0))
    assert str(from_rows) == str(draft.net)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert header_row(1, draft, _Tax(), at, from_rows) == header_row(1, draft, _Tax(), at)
    assert draft_summary(draft, 9, _Tax(), draft.net) == draft_summary(draft, 9, _Tax())


@pytest.mark.parametrize("currency, q", [("EUR", "0.01"), ("JPY", "1"), ("BHD", "0.001")])
def test_quanta_are_kept_per_currency(currency: str, q: str) -> None:
    assert str(quantum(currency)) == q
    assert quantum(currency) is quantum(currency)
    assert str(round_money(Decimal("2.0005"), currency)) == str(
        Decimal("2.0005").quantize(Decimal(q), rounding="ROUND_HALF_UP"))


def test_an_unknown_currency_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="unknown ISO 4217"):
            round_money(Decimal(1), "XXQ")
