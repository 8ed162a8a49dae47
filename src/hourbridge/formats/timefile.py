"""A time file as it arrives: raw bytes (kept verbatim in the inbox) and the canonical rows in
it, both read as streams so a file of a million rows never sits in memory.

CSV: UTF-8 (a BOM is ignored) with a header line (RFC 4180 quoting). JSON: a list of objects,
or ``{"time_entries": [...]}`` (``{"expenses": [...]}`` for an expense file: ``list_key``),
parsed incrementally with ijson; numbers arrive as ``Decimal`` so no binary float touches a
quantity. Row locations are ``file:line`` for CSV and ``file: $[i]`` (JSON path) for JSON.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson

from hourbridge.domain.problems import Problem
from hourbridge.errors import UnreadablePayload

CHUNK = 1 << 20
Row = tuple[str, dict[str, Any]]


class PayloadFormatError(UnreadablePayload):
    """The payload as a whole cannot be read as the format it claims (carries the Problem)."""


@dataclass(frozen=True)
class TimeFile:
    filename: str
    media_type: str
    opener: Callable[[], IO[bytes]]
    # the key of the rows' list when a JSON payload is an object rather than a list
    list_key: str = "time_entries"

    @classmethod
    def from_path(cls, path: Path, media_type: str | None = None,
                  list_key: str = "time_entries") -> TimeFile:
        kind = media_type or ("application/json" if path.suffix.lower() == ".json"
                              else "text/csv")
        return cls(path.name, kind, lambda: path.open("rb"), list_key)

    @classmethod
    def from_bytes(cls, filename: str, media_type: str, data: bytes,
                   list_key: str = "time_entries") -> TimeFile:
        return cls(filename, media_type, lambda: io.BytesIO(data), list_key)

    @property
    def is_json(self) -> bool:
        return "json" in self.media_type or self.filename.lower().endswith(".json")

    def chunks(self) -> Iterator[bytes]:
        with self.opener() as f:
            while block := f.read(CHUNK):
                yield block

    def rows(self) -> Iterator[Row]:
        return self._json_rows() if self.is_json else self._csv_rows()

    def _csv_rows(self) -> Iterator[Row]:
        with self.opener() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.DictReader(text)
            try:
                fields = reader.fieldnames
                if not fields or "external_id" not in fields:
                    raise PayloadFormatError(Problem(
                        "invalid_format", "CSV needs a header line with at least external_id",
                        self.filename))
                for record in reader:
                    extra = record.pop(None, None)  # type: ignore[call-overload]
                    row: dict[str, Any] = record
                    if extra:
                        row["_extra"] = extra
                    yield f"{self.filename}:{reader.line_num}", row
            except UnicodeDecodeError as exc:
                raise PayloadFormatError(Problem(
                    "invalid_format", f"payload is not UTF-8 (near line {reader.line_num + 1}): "
                    f"{exc.reason}", self.filename)) from None
            except csv.Error as exc:
                raise PayloadFormatError(Problem(
                    "invalid_format", f"CSV error at line {reader.line_num}: {exc}",
                    self.filename)) from None

    def _json_rows(self) -> Iterator[Row]:
        with self.opener() as raw:
            head = raw.read(CHUNK)
            start = codecs.BOM_UTF8 if head.startswith(codecs.BOM_UTF8) else b""
            stripped = head[len(start):].lstrip()
            prefix = f"{self.list_key}.item" if stripped.startswith(b"{") else "item"
            stream = _Rewound(head[len(start):], raw)
            count = 0
            try:
                for count, row in enumerate(ijson.items(stream, prefix, use_float=False), 1):
                    yield (f"{self.filename}: $[{count - 1}]",
                           row if isinstance(row, dict) else {"_value": row})
                if not stripped.startswith((b"[", b"{")):
                    raise ijson.JSONError("expected a list or an object")
                if count == 0 and prefix != "item" and not self._has_entries_key():
                    raise ijson.JSONError(f"an object needs a \"{self.list_key}\" list")
            except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
                raise PayloadFormatError(Problem(
                    "invalid_format",
                    f"not valid JSON (a list of rows or {{\"{self.list_key}\": [...]}}): "
                    f"{exc}".replace("\n", " "), self.filename)) from None


    def _has_entries_key(self) -> bool:
        with self.opener() as raw:
            return any(prefix == "" and event == "map_key" and value == self.list_key
                       for prefix, event, value in ijson.parse(raw))


class _Rewound(io.RawIOBase):
    """A binary stream that first returns bytes already read, then the rest of ``raw``."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = head
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._raw.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)
