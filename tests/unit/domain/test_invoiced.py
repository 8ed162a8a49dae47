"""What stands invoiced per contract and month, and its difference between two runs."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.invoiced import (
    Document,
    diff_standing,
    is_standing,
    standing_of,
    with_drafts,
)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
documents = st.lists(st.builds(
    Document, st.sampled_from(["K1", "K2"]), st.sampled_from(["2026-08", "2026-09"]),
    st.just("EUR"), amounts, st.booleans()), max_size=8)


@given(documents)
def test_a_standing_compared_with_itself_has_no_changes(docs: list[Document]) -> None:
    standing = standing_of(docs)
    assert diff_standing(standing, standing) == []
    for figures in standing.values():
        assert Decimal(figures["net"]) == (Decimal(figures["invoiced"])
                                           - Decimal(figures["credited"]))


@given(documents, amounts)
def test_a_credit_and_its_rebill_net_to_zero(docs: list[Document], amount: Decimal) -> None:
    docs = [Document("K1", "2026-08", "EUR", amount), *docs]  # the invoice credited
    before = standing_of(docs)
    after = standing_of([*docs, Document("K1", "2026-08", "EUR", amount, credit_note=True),
                         Document("K1", "2026-08", "EUR", amount)])
    [change] = diff_standing(before, after)
    assert (change["change"], change["net_delta"]) == ("rebilled", "0.00")
    assert Decimal(change["invoiced_delta"]) == Decimal(change["credited_delta"]) == amount


def test_drafts_of_a_dry_run_add_to_what_stands() -> None:
    before = standing_of([Document("K1", "2026-08", "EUR", Decimal("100.00"))])
    after = with_drafts(before, [
        {"contract": "K1", "period": "2026-08", "currency": "EUR", "net": "50.00"},
        {"contract": "K1", "period": "2026-09", "currency": "EUR", "net": "7.50"}])
    assert [(ch["period"], ch["change"], ch["net_delta"])
            for ch in diff_standing(before, after)] == [
        ("2026-08", "changed", "50.00"), ("2026-09", "added", "7.50")]
    assert after["K1|2026-08"]["documents"] == "2"


def test_a_voided_month_is_removed_and_no_baseline_reports_nothing() -> None:
    before = standing_of([Document("K1", "2026-08", "EUR", Decimal("100"))])
    [change] = diff_standing(before, {})
    assert (change["change"], change["net_delta"]) == ("removed", "-100.00")
    assert diff_standing(None, before) == []


def test_old_runs_stored_their_drafts_not_a_standing() -> None:
    assert not is_standing({"K1|2026-08": {"currency": "EUR", "net": "1", "entries": "1"}})
    assert not is_standing(None)
    assert is_standing({}) and is_standing(standing_of([Document("K", "2026-08", "JPY",
                                                                 Decimal("12"))]))
