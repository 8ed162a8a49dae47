"""A tracker's own JSON read as tracker rows: every shape (entry, list, page, webhook event,
grouped report row), durations as trackers write them, running and deleted entries."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.connectors import TRACKERS
from hourbridge.connectors.native import NativeFile, duration_seconds, media_type_of, tracker_of
from hourbridge.errors import UnreadablePayload


def rows(tracker: str, data: Any) -> list[tuple[str, dict[str, Any]]]:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return list(NativeFile.from_bytes(TRACKERS[tracker], "f.json", raw).rows())


HARVEST_ENTRY = {"id": 1, "spent_date": "2024-03-12", "hours": 7.5, "notes": "Straße ✓",
                 "user": {"id": 17}, "project": {"id": 99}, "task": {"id": 5},
                 "billable": True, "is_running": False, "updated_at": "2024-03-12T17:05:43Z"}


@pytest.mark.parametrize(("shape", "where"), [
    (HARVEST_ENTRY, "f.json: $"),
    ([HARVEST_ENTRY], "f.json: $[0]"),
    ({"time_entries": [HARVEST_ENTRY], "links": {"next": None}, "page": 1},
     "f.json: $.time_entries[0]"),
])
def test_harvest_entry_list_and_page_read_alike(shape: Any, where: str) -> None:
    [(location, row)] = rows("harvest", shape)
    assert location == where
    assert row == {"external_id": "1", "source_user": "17", "source_project": "99",
                   "source_task": "5", "notes": "Straße ✓", "billable": True,
                   "running": False, "deleted": False, "work_date": "2024-03-12",
                   "hours": Decimal("7.5"), "revision": 1710263143}


def test_toggl_negative_duration_is_running_and_deleted_entries_are_marked() -> None:
    base = {"id": 7, "user_id": 1, "project_id": 2, "task_id": None, "billable": True,
            "start": "2024-03-13T09:00:00+00:00", "description": "",
            "at": "2024-03-13T09:00:01+00:00", "server_deleted_at": None}
    running, stopped, deleted = (r for _, r in rows("toggl", [
        {**base, "stop": None, "duration": -1710320400},
        {**base, "id": 8, "stop": "2024-03-13T10:00:00Z", "duration": 3600},
        {**base, "id": 9, "duration": 60, "server_deleted_at": "2024-03-14T00:00:00Z"}]))
    assert running["running"] and "seconds" not in running
    assert not stopped["running"] and stopped["seconds"] == 3600
    assert stopped["started_at"] == "2024-03-13T09:00:00+00:00" and stopped["source_task"] == ""
    assert deleted["deleted"]


def test_a_toggl_report_row_gives_each_entry_the_rows_user_and_project() -> None:
    report = {"user_id": 3, "project_id": 4, "task_id": None, "description": "d",
              "billable": False, "time_entries": [
                  {"id": 1, "seconds": 52, "start": "2024-07-30T11:13:46+03:00",
                   "stop": "2024-07-30T11:14:38+03:00", "at": "2024-07-30T08:14:38+00:00"},
                  {"id": 2, "seconds": 8, "start": "2024-07-30T12:00:00+03:00",
                   "stop": "2024-07-30T12:00:08+03:00", "at": "2024-07-30T09:00:08+00:00"}]}
    got = rows("toggl", [report])
    assert [w for w, _ in got] == ["f.json: $[0].time_entries[0]", "f.json: $[0].time_entries[1]"]
    assert [(r["source_user"], r["source_project"], r["seconds"], r["billable"])
            for _, r in got] == [("3", "4", 52, False), ("3", "4", 8, False)]


@pytest.mark.parametrize(("text", "seconds"), [
    ("PT7H30M", 27000), ("PT45S", 45), ("P1DT2H", 93600), ("8000", 8000), (27000, 27000),
    ("PT0S", 0), ("soon", None), ("P", None), (None, None)])
def test_durations_as_trackers_write_them(text: Any, seconds: int | None) -> None:
    assert duration_seconds(text) == seconds


def test_clockify_end_null_is_running_and_report_ids_are_underscored() -> None:
    [(_, row)] = rows("clockify", {"timeentries": [{
        "_id": "65f", "userId": "u", "projectId": "p", "taskId": None, "description": "",
        "billable": True, "timeInterval": {"start": "2024-03-12T08:30:00+01:00", "end": None,
                                           "duration": None}}]})
    assert row["external_id"] == "65f" and row["running"]


def test_kimai_ids_and_expanded_objects_read_alike() -> None:
    flat = {"id": 1, "user": 3, "project": 7, "activity": 12, "begin":
            "2024-03-12T08:30:00+0100", "end": "2024-03-12T16:00:00+0100",
            "duration": 27000, "description": "", "billable": True}
    full = {**flat, "project": {"id": 7, "name": "x"}, "activity": {"id": 12}}
    [(where, expanded)] = rows("kimai", [full])
    # the expanded object adds Kimai's name for the project (shown with an unknown id)
    assert expanded.pop("source_project_name") == "x"
    assert rows("kimai", [flat]) == [(where, expanded)]
    assert rows("kimai", [flat])[0][1]["started_at"] == "2024-03-12T08:30:00+01:00"


@pytest.mark.parametrize("payload", [b"{not json", b'{"message": "Unauthorized"}', b'"ping"',
                                     b'{"id": 5, "name": "a webhook, no time"}'])
def test_a_payload_without_entries_is_refused_whole_with_a_reason(payload: bytes) -> None:
    with pytest.raises(UnreadablePayload) as caught:
        rows("harvest", payload)
    assert caught.value.problem.code == "invalid_format"


def test_an_item_that_is_not_an_object_is_one_bad_row_not_a_bad_payload() -> None:
    got = rows("harvest", [HARVEST_ENTRY, 5])
    assert got[1] == ("f.json: $[1]", {"not_an_entry": "a JSON int, not an object"})


def test_the_media_type_names_the_tracker_for_crash_recovery() -> None:
    assert tracker_of(media_type_of("kimai")) == "kimai"
    assert tracker_of("application/json") is None


@given(st.integers(1, 10**12), st.decimals("0.01", "24", places=2),
       st.text(max_size=40), st.booleans())
def test_the_same_payload_always_maps_to_the_same_rows(ident: int, hours: Decimal,
                                                      notes: str, billable: bool) -> None:
    entry = {**HARVEST_ENTRY, "id": ident, "hours": str(hours), "notes": notes,
             "billable": billable}
    first, again = rows("harvest", [entry]), rows("harvest", [entry])
    assert first == again
    assert first[0][1]["external_id"] == str(ident) and first[0][1]["notes"] == notes
