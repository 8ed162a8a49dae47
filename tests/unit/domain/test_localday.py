"""The entity's own day: an instant's date in the entity's time zone, moved past its lock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.localday import entity_today, local_date, posting_day
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import LegalEntity
from hourbridge.errors import InvalidInput


def _md(tz: str, lock: date | None = None) -> MasterData:
    entity = LegalEntity(code="E", name="E", country="JP", currency="JPY", invoice_prefix="E",
                         lock_date=lock, timezone=tz)
    return MasterData(entities={"E": entity})


@pytest.mark.parametrize(("now", "tz", "day"), [
    (datetime(2026, 11, 2, 23, 30, tzinfo=UTC), "Asia/Tokyo", date(2026, 11, 3)),
    (datetime(2026, 11, 3, 3, 0, tzinfo=UTC), "America/Los_Angeles", date(2026, 11, 2)),
    (datetime(2026, 11, 2, 23, 30, tzinfo=UTC), "UTC", date(2026, 11, 2)),
    # a clock that is not UTC is converted, not read as the wall time it carries
    (datetime(2026, 11, 3, 8, 30, tzinfo=timezone(timedelta(hours=9))), "UTC",
     date(2026, 11, 2)),
    # a naive clock is UTC
    (datetime(2026, 11, 2, 23, 30), "Asia/Tokyo", date(2026, 11, 3)),
    # Los Angeles switched back to standard time at 09:00 UTC on 2026-11-01
    (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), "America/Los_Angeles", date(2026, 11, 1)),
    (datetime(2026, 11, 1, 7, 30, tzinfo=UTC) - timedelta(hours=1), "America/Los_Angeles",
     date(2026, 10, 31)),
])
def test_local_date_is_the_date_in_the_zone(now: datetime, tz: str, day: date) -> None:
    assert local_date(now, tz) == day
    assert entity_today(_md(tz), "E", now) == day


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
       st.sampled_from(["UTC", "Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati",
                        "Pacific/Pago_Pago", "Asia/Kathmandu"]))
def test_local_date_is_within_a_day_of_utc(now: datetime, tz: str) -> None:
    utc_day = now.date()
    assert abs((local_date(now.replace(tzinfo=UTC), tz) - utc_day).days) <= 1


def test_posting_day_checks_the_lock_against_the_local_date() -> None:
    late_utc = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # 2026-11-03 08:30 in Tokyo
    # locked through the UTC date: the Tokyo entity's day is already open
    assert posting_day(_md("Asia/Tokyo", date(2026, 11, 2)), "E", late_utc) == date(2026, 11, 3)
    # locked through the Tokyo date: it moves to the day after, as for any closed period
    assert posting_day(_md("Asia/Tokyo", date(2026, 11, 3)), "E", late_utc) == date(2026, 11, 4)
    early_utc = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)  # 2026-11-02 19:00 in Los Angeles
    assert posting_day(_md("America/Los_Angeles", date(2026, 11, 2)), "E",
                       early_utc) == date(2026, 11, 3)
    assert posting_day(_md("America/Los_Angeles"), "E", early_utc) == date(2026, 11, 2)


def test_a_zone_the_tz_database_lacks_is_refused_not_guessed() -> None:
    with pytest.raises(InvalidInput, match="'Mars/Olympus_Mons' is not in"):
        entity_today(_md("Mars/Olympus_Mons"), "E", datetime(2026, 11, 2, tzinfo=UTC))
