"""A tracker's own payload (an API response or export) read as rows for the one intake: the
bytes are kept verbatim in the inbox like any payload; each time entry becomes a *tracker row*
that names the tracker's ids (``source_user``, ``source_project``, ``source_task``) and either
its local date or its start instant. ``domain.aliases`` turns that into a canonical row with
the master data at hand (id aliases, the employee's time zone), so this module needs none.

Accepted shapes (issue 11): a single entry object, a list of entries, a page envelope
(``{"time_entries": [...], "links": ...}``, Clockify's ``{"timeentries": [...]}``), a Toggl
webhook event (``{"payload": {...}}``) and a Toggl Reports v3 row (entries grouped under
``time_entries`` with the row's user and project). Tracker pages are at most a few thousand
entries (Harvest ``per_page`` <= 2000), so a payload is parsed whole; numbers are ``Decimal``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from hourbridge.domain.problems import Problem
from hourbridge.errors import UnreadablePayload

from .stream import FieldMap
from .tracker import Tracker

CHUNK = 1 << 20
# ISO 8601 duration as Clockify's REST API sends it (PT7H30M, PT45S, P1DT2H)
_DURATION = re.compile(
    r"P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?")
Row = tuple[str, dict[str, Any]]


def media_type_of(tracker: str) -> str:
    """The media type a tracker's payload is kept under: the inbox reads it back by it (a
    payload left unprocessed by a crash is parsed again as the same tracker's)."""
    return f"application/vnd.hourbridge.{tracker}+json"


def tracker_of(media_type: str) -> str | None:
    """The tracker whose payload a kept media type names (``media_type_of``), else None."""
    prefix, suffix = "application/vnd.hourbridge.", "+json"
    if media_type.startswith(prefix) and media_type.endswith(suffix):
        return media_type[len(prefix):-len(suffix)]
    return None


class NativeFormatError(UnreadablePayload):
    """The payload holds no time entries in any shape the tracker sends."""


def pick(record: dict[str, Any], path: str | None) -> Any:
    """The value at a dotted ``path``; ``a|b`` tries ``a`` then ``b`` (the first not None)."""
    if path is None:
        return None
    for option in path.split("|"):
        value: Any = record
        for part in option.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, dict):
            return value
    return None


def duration_seconds(value: Any) -> int | None:
    """Seconds from an integer, a decimal text or an ISO 8601 duration (``PT7H30M``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    match = _DURATION.fullmatch(text)
    if not match or text in ("P", "PT"):
        return None
    d, h, m = (int(match.group(k) or 0) for k in "dhm")
    return d * 86400 + h * 3600 + m * 60 + int(Decimal(match.group("s") or 0))


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    # Kimai sends "+0100" (no colon): fromisoformat takes it from Python 3.11 on
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def tracker_row(record: dict[str, Any], fields: FieldMap,
                group: dict[str, Any] | None = None) -> dict[str, Any]:
    """One tracker entry as a tracker row (see the module); ``group`` supplies what a grouped
    report row holds for all its entries."""
    merged = {**(group or {}), **record}
    start = pick(merged, fields.start)
    stop = pick(merged, fields.stop)
    seconds = duration_seconds(pick(merged, fields.seconds))
    running = bool(pick(merged, fields.running))
    if fields.running_when_negative and seconds is not None and seconds < 0:
        running = True
    if fields.running_when_no_stop and fields.stop is not None and stop is None:
        running = True
    began, ended = _instant(start), _instant(stop)
    if seconds is None and began is not None and ended is not None:
        seconds = int((ended - began).total_seconds())
    row: dict[str, Any] = {
        "external_id": _text(pick(merged, fields.external_id)),
        "source_user": _text(pick(merged, fields.user)),
        "source_project": _text(pick(merged, fields.project)),
        "source_task": _text(pick(merged, fields.task)),
        "notes": _text(pick(merged, fields.notes)),
        "billable": pick(merged, fields.billable) if fields.billable else True,
        "running": running,
        "deleted": pick(merged, fields.deleted) not in (None, False),
    }
    local_date = pick(merged, fields.date)
    if local_date is not None:
        row["work_date"] = _text(local_date)
    elif start is not None:
        row["started_at"] = began.isoformat() if began else _text(start)
    hours = pick(merged, fields.hours)
    if hours is not None:
        row["hours"] = hours
    elif seconds is not None and not running:
        row["seconds"] = seconds
    for key, path in (("user", fields.user_name), ("project", fields.project_name),
                      ("task", fields.task_name)):
        name = pick(merged, path)
        if name is not None:
            row[f"source_{key}_name"] = _text(name)
    kind = pick(merged, fields.entry_type)
    if kind is not None and str(kind).upper() in fields.not_work:
        row["not_work"] = str(kind).upper()
    changed = _instant(pick(merged, fields.revision))
    if changed is not None:
        # an update instant as the revision: a later change replaces an earlier one, an
        # older copy (a page fetched before the change) never does (int32 until 2038)
        row["revision"] = int(changed.timestamp())
    return row


def _is_entry(data: dict[str, Any], fields: FieldMap) -> bool:
    """A single object is an entry when it has the entry's id and some worked time: a
    tracker's other objects (a webhook, a token, an error) have an id but no time."""
    return pick(data, fields.external_id) is not None and any(
        pick(data, path) is not None for path in (fields.start, fields.date, fields.hours))


def entries_in(data: Any, fields: FieldMap, name: str) -> Iterator[tuple[str, dict[str, Any],
                                                                          dict[str, Any] | None]]:
    """(JSON path, entry, group) for every entry in a payload of any accepted shape."""
    if isinstance(data, list):
        items, base = data, "$"
    elif isinstance(data, dict):
        key = next((k for k in (*fields.envelopes, "payload") if k in data), None)
        if key is not None and isinstance(data[key], list):
            items, base = data[key], f"$.{key}"
        elif key is not None and isinstance(data[key], dict):
            items, base = [data[key]], f"$.{key}"
        elif (fields.group and isinstance(data.get(fields.group), list)) or _is_entry(
                data, fields):
            items, base = [data], "$"
        else:
            raise NativeFormatError(Problem(
                "invalid_format", f"no {name} time entry in this payload: expected an entry, a "
                f"list of entries or a page of them (top-level keys: "
                f"{', '.join(sorted(map(str, data))[:8]) or 'none'})", "$"))
    else:
        raise NativeFormatError(Problem(
            "invalid_format", f"no {name} time entry in this payload: it is a JSON "
            f"{type(data).__name__}", "$"))
    single = base == "$" and isinstance(data, dict)
    for i, item in enumerate(items):
        where = base if single else f"{base}[{i}]"
        if isinstance(item, dict) and fields.group and isinstance(item.get(fields.group), list):
            parent = {k: v for k, v in item.items() if k != fields.group}
            for j, inner in enumerate(item[fields.group]):
                yield f"{where}.{fields.group}[{j}]", inner, parent
        else:
            yield where, item, None


@dataclass(frozen=True)
class NativeFile:
    """An ``IncomingPayload`` of a tracker's own JSON: kept verbatim, read as tracker rows."""

    tracker: Tracker
    filename: str
    opener: Callable[[], IO[bytes]]

    @property
    def media_type(self) -> str:
        return media_type_of(self.tracker.name)

    @classmethod
    def from_bytes(cls, tracker: Tracker, filename: str, data: bytes) -> NativeFile:
        return cls(tracker, filename, lambda: io.BytesIO(data))

    @classmethod
    def from_path(cls, tracker: Tracker, path: Path) -> NativeFile:
        return cls(tracker, path.name, lambda: path.open("rb"))

    def chunks(self) -> Iterator[bytes]:
        with self.opener() as f:
            while block := f.read(CHUNK):
                yield block

    def rows(self) -> Iterator[Row]:
        with self.opener() as f:
            raw = f.read()
        try:
            data = json.loads(raw.decode("utf-8-sig"), parse_float=Decimal)
        except (UnicodeDecodeError, ValueError) as exc:
            raise NativeFormatError(Problem(
                "invalid_format", f"not valid JSON: {exc}".replace("\n", " "),
                self.filename)) from None
        for where, entry, group in entries_in(data, self.tracker.fields, self.tracker.name):
            location = f"{self.filename}: {where}"
            if not isinstance(entry, dict):
                yield location, {"not_an_entry": f"a JSON {type(entry).__name__}, not an object"}
                continue
            yield location, tracker_row(entry, self.tracker.fields, group)
