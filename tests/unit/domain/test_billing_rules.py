"""The pure billing rules of one contract: retainer settlement, caps, write-down lines and the
plan over a loaded contract state. Exact seconds and amounts, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hourbridge.domain.billing import BillableItem, DraftInvoice, DraftLine, LineLink
from hourbridge.domain.billing.cap import cap_contract, cap_label, write_down_charge
from hourbridge.domain.billing.plan import ContractState, plan_contract
from hourbridge.domain.billing.retainer import settle_retainer
from hourbridge.domain.contracts import Drawdown
from hourbridge.domain.model import Cap, OverCap, Retainer, UnusedHours
from hourbridge.domain.rating import RateDecision

RATE = RateDecision(D(100), "EUR", "K1", "default", "default", "contract", 1)


def item(entry_id: int, day: date, seconds: int, project: str = "P1") -> BillableItem:
    return BillableItem(entry_id, "K1", "DE", "ACME-DE", "EUR", day, project, "dev",
                        "consultant", seconds, RATE)


def _retainer_contract(build):  # type: ignore[no-untyped-def]
    # 2 h a month; unused hours roll over, at most half an hour
    return build.contract(retainer=Retainer(D(1000), D(2), UnusedHours.ROLL_OVER, D("0.5")))


def test_retainer_draws_down_month_by_month_with_rollover_and_expiry(build) -> None:
    k = _retainer_contract(build)
    work = [item(1, date(2026, 1, 5), 3600),
            item(2, date(2026, 2, 2), 5400), item(3, date(2026, 2, 3), 5400),
            item(4, date(2026, 4, 1), 600)]
    out = settle_retainer(k, work, date(2026, 3, 31), settled={})
    assert out.settlements == [
        # January: 1 h of 2 used; 1 h unused, of which 0.5 h rolls over, 0.5 h expires
        Drawdown("2026-01", 7200, 0, ((1, 3600),), (), 1800, 1800),
        # February: 2 h + 0.5 h rolled in = 9000 s; entry 3 splits at the limit
        Drawdown("2026-02", 7200, 1800, ((2, 5400), (3, 3600)), ((3, 1800),), 0, 0),
        # March: no work; the rollover limit keeps 0.5 h, the other 1.5 h expire
        Drawdown("2026-03", 7200, 0, (), (), 1800, 5400),
    ]
    # only entry 3's overage seconds bill at rates; April is not complete yet and waits
    assert [(i.entry_id, i.billable_seconds) for i in out.hourly] == [(3, 1800)]
    assert out.skipped == [{"id": 4, "reason": "retainer_month_open",
                            "message": "retainer month 2026-04 settles when complete"}]
    assert sorted(out.lines) == ["2026-01", "2026-02"]
    feb = out.lines["2026-02"]
    assert (feb.kind, feb.charge_ref, feb.project, feb.amount) == (
        "retainer_hours", "2026-02", "P1", D(0))
    assert [(ln.entry_id, ln.seconds) for ln in feb.links] == [(2, 5400), (3, 3600)]


def test_retainer_bills_late_work_of_a_settled_month_at_rates(build) -> None:
    k = _retainer_contract(build)
    # January was settled by an earlier run, rolling 900 s into February
    out = settle_retainer(k, [item(7, date(2026, 1, 20), 1200),
                              item(8, date(2026, 2, 10), 9000)],
                          date(2026, 2, 28), settled={"2026-01": 900})
    assert [(i.entry_id, i.billable_seconds) for i in out.hourly] == [(7, 1200), (8, 900)]
    assert out.settlements == [
        Drawdown("2026-02", 7200, 900, ((8, 8100),), ((8, 900),), 0, 0)]


def test_hold_cap_holds_whole_entries_in_work_order(build) -> None:
    k = build.contract(cap=Cap(hours=D(3)))
    assert k.cap is not None
    work = [item(5, date(2026, 2, 1), 600),  # February: held, a January entry did not fit
            item(2, date(2026, 1, 6), 3600), item(1, date(2026, 1, 5), 3600),
            item(3, date(2026, 1, 7), 1800),  # 3600 + 7200 + 1800 > 10800: held
            item(4, date(2026, 1, 8), 600)]  # would fit, but waits behind entry 3
    out = cap_contract(k, k.cap, work, used_seconds=3600, used=D(100))
    assert [i.entry_id for i in out.billed] == [1, 2]
    assert out.held == [3, 4, 5]
    assert out.write_downs == {}
    assert out.skipped[0] == {"id": 3, "reason": "over_cap",
                              "message": "contract K1: beyond its not-to-exceed cap of 3 h"}
    assert [s["id"] for s in out.skipped] == [3, 4, 5]


def test_write_down_cap_bills_everything_and_writes_the_excess_down(build) -> None:
    k = build.contract(cap=Cap(hours=D(2), amount=D(500), over_cap=OverCap.WRITE_DOWN))
    assert k.cap is not None
    assert cap_label(k) == "not-to-exceed cap of 2 h and 500 EUR"
    work = [item(1, date(2026, 1, 5), 5400), item(2, date(2026, 2, 2), 3600)]
    out = cap_contract(k, k.cap, work, used_seconds=0, used=D("0E-8"))
    assert [i.entry_id for i in out.billed] == [1, 2]
    assert out.held == [] and out.skipped == []
    # January fits (1.5 h); February's last 0.5 h is over: 0.5 h x 100 written down
    assert out.write_downs == {"2026-02": D("50.00")}
    plan = plan_contract(k, work, date(2026, 2, 28), ContractState())
    assert [(d.period, d.net) for d in plan.drafts] == [("2026-01", D("150.00")),
                                                         ("2026-02", D("50.00"))]
    feb = plan.drafts[1].charges
    assert [(c.kind, c.ref, c.amount, c.description) for c in feb] == [
        ("cap_write_down", "2026-02", D("-50.00"),
         "Write-down to the not-to-exceed cap of 2 h and 500 EUR")]


def test_write_down_never_takes_an_invoice_below_zero(build) -> None:
    k = build.contract(cap=Cap(amount=D(10), over_cap=OverCap.WRITE_DOWN))
    draft = DraftInvoice("K1", "DE", "ACME-DE", "EUR", "2026-03")
    line = DraftLine("P1", "dev", "consultant", RATE, "EUR")
    line.links = [LineLink(1, 1080)]  # 0.3 h x 100 = 30.00
    draft.lines.append(line)
    charge = write_down_charge(k, draft, D("75.00"))
    assert charge is not None and charge.amount == D("-30.00")
    draft.charges.append(charge)
    assert draft.net == D("0.00")
    empty = DraftInvoice("K1", "DE", "ACME-DE", "EUR", "2026-03")
    assert write_down_charge(k, empty, D("75.00")) is None


def test_plan_reads_only_the_loaded_state(build) -> None:
    k = build.contract(retainer=Retainer(D(1000), D(1)))
    state = ContractState(charges_billed=frozenset({("retainer_fee", "2026-01")}))
    plan = plan_contract(k, [item(1, date(2026, 1, 5), 5400)], date(2026, 1, 31), state)
    assert [s.period for s in plan.settlements] == ["2026-01"]
    (jan,) = plan.drafts
    # January's fee was billed before; its 1 h is drawn down and 0.5 h is overage
    assert jan.charges == []
    assert [(ln.kind, ln.seconds, ln.amount) for ln in jan.lines] == [
        ("retainer_hours", 3600, D(0)), ("time", 1800, D("50.00"))]
