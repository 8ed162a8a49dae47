"""An acquired firm's spreadsheet (CSV or XLSX) read through its mapping (``sheet_mapping``):
the file's bytes are kept verbatim in the inbox like any payload; each data row becomes a row
for the one intake. With ``ids: aliases`` (the default) the row names the firm's ids
(``source_user``, ``source_project``, ``source_task``) and ``domain.aliases`` maps them through
the alias table of the mapping's source; with ``ids: codes`` it is a canonical row.

XLSX is read with python-calamine (typed cells: numbers, dates, times, booleans); CSV with the
standard library. A cell that cannot be read (a date in no given format, a duration that is no
number) makes its row an exception naming the sheet, the row and the column: never a drop, and
never a refusal of the other rows. A row with every cell empty is not an entry.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from python_calamine import CalamineError, CalamineWorkbook

from hourbridge.domain.limits import EXTERNAL_ID
from hourbridge.domain.problems import Problem
from hourbridge.errors import InvalidInput, UnreadablePayload

from .sheet_mapping import DurationFormat, SheetMapping

CHUNK = 1 << 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# kept under these media types: a mapped sheet is read back only with its mapping, so intake
# recovery (which has none) leaves it for the same ``ingest --mapping`` to finish
MEDIA_TYPES = {"csv": "application/vnd.hourbridge.mapped-sheet+csv",
               "xlsx": "application/vnd.hourbridge.mapped-sheet+xlsx"}
_TRUE, _FALSE = {"true", "yes", "1", "y", "x"}, {"false", "no", "0", "n", ""}
Row = tuple[str, dict[str, Any]]
Cell = Any


class CellError(ValueError):
    """A cell that cannot be read as its field."""


def is_mapped_sheet(media_type: str) -> bool:
    return media_type in MEDIA_TYPES.values()


def _text(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # XLSX stores every number as a float: 1042.0 is id 1042
    return "" if cell is None else str(cell).strip()


def _number(text: str, decimal_comma: bool) -> Decimal:
    cleaned = text.replace(" ", "")
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise CellError(f"{text!r} is not a number")
    return value


def duration_of(cell: Cell, mapping: SheetMapping) -> dict[str, Any]:
    """The worked time as the canonical ``hours`` or ``seconds``."""
    spec = mapping.duration
    if isinstance(cell, time):  # an XLSX cell formatted [h]:mm below one day
        return {"seconds": cell.hour * 3600 + cell.minute * 60 + cell.second}
    if isinstance(cell, timedelta):
        return {"seconds": int(cell.total_seconds())}
    if isinstance(cell, bool | date):
        raise CellError(f"{cell!r} is not a duration")
    if spec.format is DurationFormat.HH_MM:
        text = _text(cell)
        hours, colon, minutes = text.partition(":")
        if not colon or not hours.strip().isdigit() or not (
                minutes.strip().isdigit() and len(minutes.strip()) == 2):
            raise CellError(f"{text!r} is not h:mm")
        return {"seconds": int(hours) * 3600 + int(minutes) * 60}
    amount = (Decimal(repr(cell)) if isinstance(cell, float)
              else _number(_text(cell), spec.decimal_comma))
    if spec.format is DurationFormat.MINUTES:
        # seconds, not minutes: an aliased row carries hours or seconds (domain.aliases)
        return {"seconds": int((amount * 60).to_integral_value(rounding=ROUND_HALF_UP))}
    return {"hours": str(amount)}


def date_of(cell: Cell, mapping: SheetMapping) -> str:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    text = _text(cell)
    for fmt in mapping.date_formats:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise CellError(f"{text!r} matches none of the date formats "
                    f"{', '.join(mapping.date_formats)}")


def start_date_of(cell: Cell, mapping: SheetMapping) -> str:
    """The work date of a start: an instant with an offset is taken to the mapping's time
    zone first; a local time (no offset) is already that zone's."""
    if isinstance(cell, datetime):
        moment = cell
    else:
        text = _text(cell)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise CellError(f"{text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(mapping.timezone))
    return moment.date().isoformat()


def flag_of(cell: Cell) -> bool:
    if isinstance(cell, bool):
        return cell
    text = _text(cell).lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise CellError(f"{text!r} is not yes or no")


@dataclass(frozen=True)
class SheetFile:
    """An ``IncomingPayload`` of a spreadsheet read through ``mapping``."""

    mapping: SheetMapping
    filename: str
    kind: str  # csv | xlsx
    opener: Callable[[], IO[bytes]]

    @classmethod
    def from_path(cls, mapping: SheetMapping, path: Path) -> SheetFile:
        kind = "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods") else "csv"
        return cls(mapping, path.name, kind, lambda: path.open("rb"))

    @classmethod
    def from_bytes(cls, mapping: SheetMapping, filename: str, kind: str, data: bytes
                   ) -> SheetFile:
        return cls(mapping, filename, kind, lambda: io.BytesIO(data))

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]

    def reading(self) -> bytes:
        """The mapping as canonical JSON: part of the payload's fingerprint
        (``domain.commands.ReadThrough``), whatever order its YAML keys came in."""
        return json.dumps(self.mapping.model_dump(mode="json"), sort_keys=True,
                          separators=(",", ":"), ensure_ascii=False).encode()

    def chunks(self) -> Iterator[bytes]:
        with self.opener() as f:
            while block := f.read(CHUNK):
                yield block

    def _table(self) -> tuple[str, list[list[Cell]]]:
        """The sheet's name and its cells, row 1 first."""
        with self.opener() as f:
            raw = f.read()
        if self.kind == "csv":
            try:
                text = codecs.decode(raw, "utf-8-sig")
            except UnicodeDecodeError as exc:
                raise UnreadablePayload(Problem(
                    "invalid_format", f"not UTF-8 text (byte {exc.start})", self.filename)
                ) from None
            return self.filename, list(csv.reader(io.StringIO(text, newline=""),
                                                  delimiter=self.mapping.delimiter))
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        except (CalamineError, OSError, ValueError) as exc:
            raise UnreadablePayload(Problem(
                "invalid_format", f"not a readable workbook: {exc}", self.filename)) from None
        name = self.mapping.sheet or book.sheet_names[0]
        if name not in book.sheet_names:
            raise InvalidInput(f"mapping key sheet: {self.filename} has no sheet {name!r} "
                               f"(it has {', '.join(book.sheet_names)})")
        return name, book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def _header(self, table: list[list[Cell]], sheet: str) -> dict[str, int]:
        """Canonical field -> column index; a mapped column missing is the mapping's error."""
        at = self.mapping.header_row - 1
        names = [_text(c) for c in table[at]] if at < len(table) else []
        found: dict[str, int] = {}
        for field, column in self.mapping.columns.named().items():
            if column not in names:
                has = ", ".join(n for n in names if n) or "nothing"
                raise InvalidInput(
                    f"mapping key columns.{field}: no column {column!r} in {sheet} row "
                    f"{self.mapping.header_row} (it has {has})")
            found[field] = names.index(column)
        return found

    def check(self) -> None:
        """Refuse (``InvalidInput``) a mapping that does not fit the file, before intake. A
        file unreadable as a whole passes: intake keeps it and says why, like any payload."""
        try:
            sheet, table = self._table()
        except UnreadablePayload:
            return
        self._header(table, sheet)

    def rows(self) -> Iterator[Row]:
        sheet, table = self._table()
        header = self._header(table, sheet)
        for number, cells in enumerate(table[self.mapping.header_row:],
                                       start=self.mapping.header_row + 1):
            if all(_text(c) == "" for c in cells):
                continue
            where = (f"{self.filename} row {number}" if self.kind == "csv"
                     else f"{self.filename}: {sheet} row {number}")
            yield where, self._row(sheet, number, cells, header)

    def _row(self, sheet: str, number: int, cells: list[Cell], header: dict[str, int]
             ) -> dict[str, Any]:
        m = self.mapping
        given: dict[str, Cell] = dict(m.constants)
        for field, index in header.items():
            cell = cells[index] if index < len(cells) else ""
            mapped = m.values.get(field, {}).get(_text(cell))
            given[field] = mapped if mapped is not None else cell
        readers: dict[str, Callable[[Cell], Any]] = {
            "duration": lambda c: duration_of(c, m), "date": lambda c: date_of(c, m),
            "start": lambda c: start_date_of(c, m), "billable": flag_of}
        read: dict[str, Any] = {}
        for field, reader in readers.items():
            if field in given and not (field == "billable" and _text(given[field]) == ""):
                try:
                    read[field] = reader(given[field])
                except CellError as exc:
                    column = m.columns.named().get(field, f"constants.{field}")
                    return {"not_an_entry": f"unreadable: {sheet} row {number} column "
                                            f"{column!r}: {exc}"}
        external_id = _text(given.get("external_id")) or self._row_id(sheet, number)
        ids = ({"employee": "source_user", "project": "source_project", "task": "source_task"}
               if m.ids == "aliases" else {k: k for k in ("employee", "project", "task")})
        row: dict[str, Any] = {ids[k]: _text(given.get(k)) for k in ids}
        row.update(external_id=external_id, notes=_text(given.get("notes")),
                   work_date=read.get("date") or read.get("start", ""),
                   billable=read.get("billable", True), **read.get("duration", {}))
        return row

    def _row_id(self, sheet: str, number: int) -> str:
        """A sheet without an id column: the file, sheet and row name the entry (the same
        file again is the same entries; another file's row 5 is another entry)."""
        text = (f"{self.filename}!{number}" if self.kind == "csv"
                else f"{self.filename}#{sheet}!{number}")
        if len(text) <= EXTERNAL_ID:
            return text
        return hashlib.sha256(text.encode()).hexdigest()[:32] + f"!{number}"
