"""Properties (issue 11): the same tracker payload always maps to the same canonical entries
and the same fingerprint (the inbox key), in whichever form a Clockify duration comes; a BREAK
is never an entry; a sheet's mapping is part of its fingerprint, not its key order."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hourbridge.connectors import TRACKERS
from hourbridge.connectors.native import NativeFile
from hourbridge.domain.aliases import canonical_row
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Employee
from hourbridge.formats.sheet import SheetFile
from hourbridge.formats.sheet_mapping import parse_mapping
from hourbridge.services.intake import fingerprint_of

MD = MasterData(
    employees={"E1": Employee("E1", "DE", "senior", timezone="Europe/Berlin")},
    aliases={("ck", "user", "u1"): "E1", ("ck", "project", "p1"): "P1",
             ("ck", "task", "t1"): "DEV"})


def canonical(data: bytes) -> list[dict[str, Any] | list[Any]]:
    payload = NativeFile.from_bytes(TRACKERS["clockify"], "page.json", data)
    return [canonical_row(row, "ck", MD, where) for where, row in payload.rows()]


@settings(max_examples=60)
@given(st.text("0123456789abcdef", min_size=1, max_size=24), st.integers(60, 86_000),
       st.booleans(), st.sampled_from(["REGULAR", "BREAK", "break"]),
       st.sampled_from(["seconds", "iso"]), st.text(max_size=30))
def test_the_same_payload_always_maps_to_the_same_entries_and_key(
        ident: str, seconds: int, billable: bool, kind: str, form: str, notes: str) -> None:
    h, rest = divmod(seconds, 3600)
    duration: Any = seconds if form == "seconds" else f"PT{h}H{rest // 60}M{rest % 60}S"
    entry = {"_id": ident, "userId": "u1", "projectId": "p1", "taskId": "t1",
             "description": notes, "billable": billable, "type": kind,
             "timeInterval": {"start": "2026-07-01T22:30:00Z", "end": "2026-07-02T06:00:00Z",
                              "duration": duration}}
    data = json.dumps({"timeentries": [entry]}).encode()
    first, again = canonical(data), canonical(data)
    assert first == again
    key = fingerprint_of("ck", NativeFile.from_bytes(TRACKERS["clockify"], "a.json", data))
    assert key == fingerprint_of("ck", NativeFile.from_bytes(TRACKERS["clockify"], "b.json",
                                                             data))
    [got] = first
    if kind.upper() == "BREAK":
        assert isinstance(got, list) and [p.code for p in got] == ["not_work"]
        return
    assert isinstance(got, dict)
    assert (got["external_id"], got["employee"], got["seconds"], got["work_date"]) == (
        ident, "E1", seconds, "2026-07-02")  # 22:30 UTC is past midnight in Berlin
    # the same entry as the REST API's own shape (``id``) is the same canonical entry
    rest_api = {**entry, "id": ident}
    del rest_api["_id"]
    assert canonical(json.dumps(rest_api).encode()) == first


MAPPING: dict[str, Any] = {
    "source": "nordlicht", "ids": "codes",
    "columns": {"external_id": "Nr", "employee": "MA", "project": "Projekt", "task": "Task",
                "date": "Datum", "duration": "Dauer", "notes": "Text"},
    "date_formats": ["%d.%m.%Y"], "duration": {"format": "h:mm"},
    "constants": {"billable": True}, "values": {"project": {"ALT": "P1", "NEU": "P2"}}}
CSV = b"Nr,MA,Projekt,Task,Datum,Dauer,Text\n1,E1,ALT,DEV,01.07.2026,1:30,x\n"


def sheet_key(mapping: dict[str, Any]) -> str:
    return fingerprint_of("nordlicht", SheetFile.from_bytes(parse_mapping(mapping), "s.csv",
                                                            "csv", CSV))[0]


def test_a_corrected_mapping_makes_the_same_file_a_new_payload() -> None:
    reordered = {k: MAPPING[k] for k in reversed(list(MAPPING))}
    reordered["values"] = {"project": {"NEU": "P2", "ALT": "P1"}}
    assert sheet_key(reordered) == sheet_key(MAPPING)  # the same mapping, keys reordered
    corrected = {**MAPPING, "date_formats": ["%m.%d.%Y"]}
    assert sheet_key(corrected) != sheet_key(MAPPING)
    remapped = {**MAPPING, "values": {"project": {"ALT": "P2"}}}
    assert sheet_key(remapped) != sheet_key(MAPPING)
