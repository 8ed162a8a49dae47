"""A time file as it arrives: raw bytes (kept verbatim in the inbox) and the canonical rows in
it, both read as streams so a file of a million rows never sits in memory.

CSV: UTF-8 (a BOM is ignored) with a header line (RFC 4180 quoting), fields separated by a
comma, a semicolon (what spreadsheets write where the comma is the decimal mark) or a tab: given
(``delimiter``) or sniffed from the first lines (``csv.Sniffer`` limited to those three).
JSON: a list of objects, or ``{"time_entries": [...]}`` (``{"expenses": [...]}`` for an
expense file: ``list_key``), parsed incrementally with ijson; numbers arrive as ``Decimal`` so
no binary float touches a quantity. Row locations are ``file:line`` for CSV and ``file: $[i]``
(JSON path) for JSON.
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
DELIMITERS = ",;\t"  # the separators a canonical CSV may use (RFC 4180 itself knows only ",")
SNIFF_BYTES = 64 << 10  # enough for the header and a few rows of any real time file
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
    # the CSV field separator, one of DELIMITERS; None: sniffed from the first lines
    delimiter: str | None = None

    @classmethod
    def from_path(cls, path: Path, media_type: str | None = None,
                  list_key: str = "time_entries", delimiter: str | None = None) -> TimeFile:
        kind = media_type or ("application/json" if path.suffix.lower() == ".json"
                              else "text/csv")
        return cls(path.name, kind, lambda: path.open("rb"), list_key, delimiter)

    @classmethod
    def from_bytes(cls, filename: str, media_type: str, data: bytes,
                   list_key: str = "time_entries", delimiter: str | None = None) -> TimeFile:
        return cls(filename, media_type, lambda: io.BytesIO(data), list_key, delimiter)

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
            reader = csv.DictReader(text, delimiter=self.delimiter or self._sniffed())
            line = 0  # the line DictReader.line_num would say (see below)
            try:
                fields = reader.fieldnames
                line = reader.line_num
                if not fields or "external_id" not in fields:
                    raise PayloadFormatError(Problem(
                        "invalid_format", "CSV needs a header line with at least external_id "
                        f"(fields separated by {_named(reader.reader.dialect.delimiter)})",
                        self.filename))
                # DictReader's rows, built here from the plain reader's lists (its per-row
                # Python code costs more than the dict): blank lines skipped, a short row's
                # missing fields None, a long row's surplus cells kept under ``_extra``; and
                # its line numbers: a row's last line, and for an error the last row's, or
                # the first of the blank lines read since (what DictReader.line_num says)
                cells = reader.reader
                width = len(fields)
                where = f"{self.filename}:"
                fresh = True  # no blank line read since the last row
                for record in cells:
                    if not record:
                        if fresh:
                            line, fresh = cells.line_num, False
                        continue
                    line, fresh = cells.line_num, True
                    if len(record) == width:
                        row: dict[str, Any] = dict(zip(fields, record, strict=True))
                    elif len(record) > width:
                        row = dict(zip(fields, record, strict=False))
                        row["_extra"] = record[width:]
                    else:
                        row = dict(zip(fields, record, strict=False))
                        for name in fields[len(record):]:
                            row[name] = None
                    yield f"{where}{line}", row
            except UnicodeDecodeError as exc:
                raise PayloadFormatError(Problem(
                    "invalid_format", f"payload is not UTF-8 (near line {line + 1}): "
                    f"{exc.reason}", self.filename)) from None
            except csv.Error as exc:
                raise PayloadFormatError(Problem(
                    "invalid_format", f"CSV error at line {line}: {exc}",
                    self.filename)) from None

    def _sniffed(self) -> str:
        """The separator of the first lines. The header decides when it holds one of
        DELIMITERS, or when only one of them splits it into an ``external_id`` field;
        otherwise ``csv.Sniffer``, limited to the ones present, picks the one that splits
        the sample's lines alike. A header without any is one column (comma); one the
        sniffer cannot decide (or a header alone) is refused, asking for ``--delimiter``."""
        with self.opener() as raw:
            head = raw.read(SNIFF_BYTES)
        sample = head.decode("utf-8-sig", errors="replace")
        if len(head) == SNIFF_BYTES:  # a cut last line would skew the counts
            sample = sample[:sample.rfind("\n") + 1] or sample
        header, _, rest = sample.partition("\n")
        present = [d for d in DELIMITERS if d in header]
        if len(present) <= 1:
            return present[0] if present else ","
        keyed = [d for d in present
                 if "external_id" in (f.strip().strip('"') for f in header.split(d))]
        if len(keyed) == 1:
            return keyed[0]
        try:
            if not rest.strip():
                raise csv.Error("a header alone")
            return csv.Sniffer().sniff(sample, delimiters="".join(present)).delimiter
        except csv.Error:
            raise PayloadFormatError(Problem(
                "invalid_format", "cannot tell the CSV field separator: the header holds "
                f"{' and '.join(_named(d) for d in present)}; give it with --delimiter",
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


def _named(delimiter: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs"}.get(delimiter, repr(delimiter))


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
