"""Which tick of a schedule is due: a missed schedule runs once, for its latest tick."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hourbridge.domain.schedules import Schedule, check_schedule, due_tick, next_tick, window

NIGHTLY = Schedule("nightly", "0 3 * * *", "billing")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_a_schedule_never_run_is_due_for_its_latest_tick() -> None:
    assert due_tick(NIGHTLY, at(5, 9), None) == at(5, 3)


def test_ticks_missed_while_down_make_one_run_for_the_latest() -> None:
    # last ran on the 1st; down four nights: one run, for the 5th, not four
    assert due_tick(NIGHTLY, at(5, 9), at(1, 3)) == at(5, 3)
    assert due_tick(NIGHTLY, at(5, 9), at(5, 3)) is None


def test_a_tick_is_due_on_its_minute_and_not_before() -> None:
    assert due_tick(NIGHTLY, at(6, 2, 59), at(5, 3)) is None
    assert due_tick(NIGHTLY, at(6, 3), at(5, 3)) == at(6, 3)
    assert next_tick(NIGHTLY.cron, at(6, 3)) == at(7, 3)


def test_window_bills_through_yesterday_and_closes_the_previous_month() -> None:
    w = window(datetime(2026, 12, 1, 4, tzinfo=UTC))
    assert (w.through, w.period, w.period_from, w.period_to) == (
        date(2026, 11, 30), "2026-11", date(2026, 11, 1), date(2026, 11, 30))


def test_a_wrong_schedule_names_each_field() -> None:
    bad = Schedule("x y", "61 * * *", "payroll_export", {"colour": "red"})
    fields = sorted(p.field for p in check_schedule(bad, "s.yaml"))
    assert fields == ["colour", "cron", "folder", "name"]
    assert check_schedule(Schedule("n", "*/5 * * * *", "nope"), "s")[-1].field == "action"
    assert check_schedule(Schedule("sync-h", "0 * * * *", "sync", {"connection": "h"}),
                          "s") == []
