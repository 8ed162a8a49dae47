"""The declarative mapping of an acquired firm's spreadsheet (issue 11 item 6): a YAML file
that says where each canonical field sits in the firm's CSV or XLSX, so the sheet is read as
it is (``formats.sheet``) instead of being converted by hand.

::

    source: nordlicht            # the intake source; aliases of this source map its ids
    sheet: Stunden               # XLSX: the sheet (default: the first); CSV: ignored
    header_row: 2                # 1-based line of the column names (default 1)
    delimiter: ";"               # CSV only: ",", ";" or "\\t" (default ",")
    ids: aliases                 # aliases (default): ids through the alias table; codes:
                                 # the columns hold Hourbridge codes
    columns:                     # canonical field -> column name in the header
      external_id: Nr
      employee: Mitarbeiter
      project: Projekt
      task: Tätigkeit
      date: Datum                # or start: an instant/local time (then ``timezone``)
      duration: Dauer
      notes: Beschreibung
      billable: Abrechenbar
    date_formats: ["%d.%m.%Y"]   # strptime formats tried in order (text cells)
    duration: {format: "h:mm"}   # hours (decimal), minutes or h:mm; decimal_comma: true
    timezone: Europe/Berlin      # local ``start`` times are in this zone
    constants: {task: DEV}       # a field the sheet lacks, the same on every row
    values:                      # value maps applied before aliases or codes
      project: {ALT-7: P1}

Every key is checked when the mapping is loaded; a wrong one is refused naming the key
(``InvalidInput``: exit 2 on the CLI), never half-applied.
"""

from __future__ import annotations

import enum
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hourbridge.domain.problems import Problem
from hourbridge.errors import InvalidInput

from .bundle_models import Code

FIELDS = ("external_id", "employee", "project", "task", "date", "start", "duration",
          "notes", "billable")
MAPPED_VALUES = ("employee", "project", "task", "billable")  # fields a value map may rewrite
_PROBE = datetime(2001, 11, 23, 14, 35, 56)


class DurationFormat(enum.StrEnum):
    HOURS = "hours"  # 1.5 (or 1,5 with decimal_comma)
    MINUTES = "minutes"  # 90
    HH_MM = "h:mm"  # 1:30


class Duration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: DurationFormat = DurationFormat.HOURS
    decimal_comma: bool = False


class Columns(BaseModel):
    """Canonical field -> the column's name in the header row."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    external_id: str | None = None
    employee: str | None = None
    project: str | None = None
    task: str | None = None
    date: str | None = None
    start: str | None = None
    duration: str | None = None
    notes: str | None = None
    billable: str | None = None

    def named(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class SheetMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Code
    sheet: str | None = None
    header_row: Annotated[int, Field(ge=1, le=1000)] = 1
    delimiter: Literal[",", ";", "\t"] = ","
    ids: Literal["aliases", "codes"] = "aliases"
    columns: Columns
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    duration: Duration = Duration()
    timezone: str = "UTC"
    constants: dict[str, str | bool] = {}
    values: dict[str, dict[str, str]] = {}

    @field_validator("date_formats")
    @classmethod
    def _formats(cls, formats: tuple[str, ...]) -> tuple[str, ...]:
        for fmt in formats:
            # a format is usable when what it writes it reads back (an unknown or lone %
            # directive fails one way or the other)
            try:
                datetime.strptime(_PROBE.strftime(fmt), fmt)
            except ValueError:
                raise ValueError(f"{fmt!r} is not a strptime date format") from None
            if "%" not in fmt:
                raise ValueError(f"{fmt!r} has no directive (%d, %m, %Y ...)")
        return formats

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not an IANA time zone") from None
        return name

    @field_validator("constants", "values")
    @classmethod
    def _known_fields(cls, given: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(given) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r}: one of {', '.join(FIELDS)}")
        return given

    def needs(self) -> list[Problem]:
        """What the mapping lacks to make an entry: each a problem naming its key."""
        have = set(self.columns.named()) | set(self.constants)
        problems = [Problem("invalid_format", f"mapping key columns.{name} (or constants."
                            f"{name}) is required", f"columns.{name}", name)
                    for name in ("employee", "project", "duration") if name not in have]
        if not {"date", "start"} & have:
            problems.append(Problem("invalid_format", "mapping key columns.date or "
                                    "columns.start is required", "columns.date", "date"))
        return problems


def _key(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(mapping)"


def parse_mapping(data: Any, name: str = "mapping") -> SheetMapping:
    """The mapping in ``data`` (the parsed YAML), or ``InvalidInput`` naming every bad key."""
    try:
        mapping = SheetMapping.model_validate(data)
    except ValidationError as exc:
        problems = [Problem("invalid_format", f"mapping key {_key(e['loc'])}: "
                            f"{e['msg'].removeprefix('Value error, ')}", name, _key(e["loc"]))
                    for e in exc.errors()]
        first = problems[0]
        raise InvalidInput(f"{name}: {first.message}", list[object](problems)) from None
    missing = mapping.needs()
    if missing:
        raise InvalidInput(f"{name}: {missing[0].message}", list[object](missing))
    return mapping


def load_mapping(path: Path) -> SheetMapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the mapping: {exc.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: not a YAML mapping: "
                           f"{str(exc).splitlines()[0]}") from None
    return parse_mapping(data, str(path))
