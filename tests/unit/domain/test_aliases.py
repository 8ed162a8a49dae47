"""Tracker rows to canonical rows: id aliases, the worker's local date, running timers."""

from __future__ import annotations

from typing import Any

import pytest

from hourbridge.domain.aliases import canonical_row, local_work_date
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Employee

MD = MasterData(
    employees={"E1": Employee("E1", "DE", "senior", timezone="Europe/Berlin"),
               "N1": Employee("N1", "US", "senior", timezone="America/New_York")},
    aliases={("harvest", "user", "17"): "E1", ("harvest", "user", "18"): "N1",
             ("harvest", "project", "99"): "P1", ("harvest", "task", "5"): "DEV"},
)


def row(**kw: Any) -> dict[str, Any]:
    return {"external_id": "636709355", "source_user": "17", "source_project": "99",
            "source_task": "5", "notes": "n", "billable": True, "running": False,
            "deleted": False, **kw}


@pytest.mark.parametrize(("instant", "zone", "day"), [
    # the night Berlin springs forward (02:00 -> 03:00 local on 2026-03-29)
    ("2026-03-28T22:59:59+00:00", "Europe/Berlin", "2026-03-28"),
    ("2026-03-28T23:00:00+00:00", "Europe/Berlin", "2026-03-29"),
    ("2026-03-29T21:59:59+00:00", "Europe/Berlin", "2026-03-29"),  # UTC+2 from 01:00 UTC
    ("2026-03-29T22:00:00+00:00", "Europe/Berlin", "2026-03-30"),
    # New York falls back on 2026-11-01 (02:00 EDT -> 01:00 EST at 06:00 UTC)
    ("2026-11-01T03:59:00+00:00", "America/New_York", "2026-10-31"),
    ("2026-11-01T04:00:00+00:00", "America/New_York", "2026-11-01"),
    ("2026-11-02T04:59:00+00:00", "America/New_York", "2026-11-01"),  # EST: UTC-5
    ("2026-11-02T05:00:00+00:00", "America/New_York", "2026-11-02"),
    ("2024-03-12T08:30:00+01:00", "UTC", "2024-03-12"),
])
def test_a_start_instant_is_the_workers_local_date_across_dst(instant: str, zone: str,
                                                               day: str) -> None:
    assert local_work_date(instant, zone) == day


def test_ids_become_codes_and_the_start_the_employees_local_date() -> None:
    got = canonical_row(row(source_user="18", started_at="2026-07-01T02:30:00+00:00",
                            seconds=3600, revision=1700000000), "harvest", MD, "$[0]")
    assert got == {"external_id": "636709355", "employee": "N1", "project": "P1",
                   "task": "DEV", "work_date": "2026-06-30", "notes": "n", "billable": True,
                   "revision": 1700000000, "seconds": 3600}


def test_a_tracker_local_date_is_kept_as_the_tracker_computed_it() -> None:
    got = canonical_row(row(date="2024-03-12", hours="7.5"), "harvest", MD, "$[0]")
    assert isinstance(got, dict) and (got["work_date"], got["hours"]) == ("2024-03-12", "7.5")


def test_every_unknown_id_is_named_and_aliases_are_per_source() -> None:
    problems = canonical_row(row(source_user="404", source_task="6", date="2024-03-12",
                                 hours=1), "harvest", MD, "f: $[3]")
    assert isinstance(problems, list)
    assert [(p.code, p.field, p.where) for p in problems] == [
        ("unknown_alias", "source_user", "f: $[3]"), ("unknown_alias", "source_task", "f: $[3]")]
    assert "harvest user 404 has no alias to a employee" in problems[0].message
    # the same ids from another source are not these aliases
    other = canonical_row(row(date="2024-03-12", hours=1), "toggl", MD, "$[0]")
    assert isinstance(other, list) and {p.code for p in other} == {"unknown_alias"}


def test_a_running_timer_is_not_billable_until_stopped() -> None:
    problems = canonical_row(row(running=True, started_at="2026-07-01T08:00:00Z"),
                             "harvest", MD, "$[1]")
    assert isinstance(problems, list) and [p.code for p in problems] == ["timer_running"]


def test_a_deleted_entry_is_a_tombstone_of_its_id_only() -> None:
    got = canonical_row(row(deleted=True, source_user="unknown", revision=5), "harvest", MD,
                        "$[0]")
    assert got == {"external_id": "636709355", "revision": 5, "deleted": "true"}


def test_a_start_without_an_offset_is_refused() -> None:
    problems = canonical_row(row(started_at="2026-07-01T08:00:00", seconds=60), "harvest",
                             MD, "$[0]")
    assert isinstance(problems, list) and problems[0].field == "start"
