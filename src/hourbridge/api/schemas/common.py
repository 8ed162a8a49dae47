"""Types shared by the routers: the request and response bases, decimal strings, request
limits, problem details, and the models several resources return."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

from hourbridge.domain import limits
from hourbridge.domain.display import shown
from hourbridge.domain.reasons import LEGACY_REASON, reason_text
from hourbridge.formats.bundle import Code as Code

from ..deprecation import note_deprecated  # re-exported: the id and code type

MAX_ENTRIES_PER_REQUEST = 10_000
MAX_IDS_PER_REQUEST = 10_000

def _decimal_text(value: Any) -> Any:
    """A ``Decimal`` (or int) from a use case becomes its text; ``Out`` shows it (below)."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    return value


Money = Annotated[str, BeforeValidator(_decimal_text), Field(
    description="decimal amount as a string, in the minor units of its currency (2 for "
    "EUR, 0 for JPY, 3 for KWD)", examples=["150.00"])]
Decimal_ = Annotated[str, BeforeValidator(_decimal_text),
                     Field(description="decimal number as a string", examples=["0.19"])]


def _no_control(free_text: bool) -> AfterValidator:
    """Refuse NUL and control characters (free text keeps tab and line breaks): the same
    rule as every other edge (domain/limits), so both databases get the same values."""
    def check(value: str) -> str:
        why = limits.control_error(value, free_text=free_text)
        if why is not None:
            raise ValueError(f"text {why}")
        return value
    return AfterValidator(check)


# Shared request types, one per kind of field (README "Input limits").
def _actor_ignored(value: str | None) -> str | None:
    if value is not None:
        note_deprecated("field 'actor' is ignored: who acts is the request's credential")
    return value


# Deprecated: who acts is the authenticated principal (api/auth.py), never a field the caller
# writes; a value given is ignored, and the response carries a ``Deprecation`` header.
Actor = Annotated[
    Annotated[str, Field(min_length=1, max_length=limits.ACTOR), _no_control(False)] | None,
    Field(json_schema_extra={"deprecated": True},
          description="ignored (deprecated): who acts is the request's credential"),
    AfterValidator(_actor_ignored)]
Ref = Annotated[str, Field(min_length=1, max_length=limits.EXTERNAL_ID), _no_control(False)]
OwnerRole = Annotated[str, Field(min_length=1, max_length=limits.OWNER_ROLE),
                      _no_control(False)]
Note = Annotated[str, Field(max_length=limits.REASON, description="free text (kept)"),
                 _no_control(True)]
Reason = Annotated[str, Field(min_length=1, max_length=limits.REASON, pattern=r"\S",
                              description="why, in free text (kept)"), _no_control(True)]
ReasonCode = Annotated[str, Field(min_length=1, max_length=limits.REASON, pattern=r"\S"),
                       _no_control(True)]
Id = Annotated[int, Field(ge=1, le=limits.MAX_ID, description="a stored id")]
def _entry_ref(value: object) -> int | str:
    """An entry id (1 to 2^63-1) or a ``SOURCE:EXTERNAL_ID`` text, as given: one validator,
    so a refusal names the field (``entry_ids[1]``), not a branch of a union."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= limits.MAX_ID:
            raise ValueError(f"{value} is not an id (1 to {limits.MAX_ID})")
        return value
    if isinstance(value, str) and ":" in value[1:-1] and len(value) <= ENTRY_REF_CHARS:
        return value
    raise ValueError("give an entry id (an integer) or SOURCE:EXTERNAL_ID")


ENTRY_REF_CHARS = 200
# a time entry named by its id or by SOURCE:EXTERNAL_ID (resolved by ReadModels.entry_ids)
EntryRef = Annotated[int | str, PlainValidator(_entry_ref), WithJsonSchema({
    "anyOf": [{"type": "integer", "minimum": 1, "maximum": limits.MAX_ID},
              {"type": "string", "minLength": 3, "maxLength": ENTRY_REF_CHARS,
               "pattern": "^.+:.+$"}],
    "description": "an entry id, or SOURCE:EXTERNAL_ID (e.g. harvest:T-1)"})]
LineNo = Annotated[int, Field(ge=1, le=limits.MAX_ID, description="a line number")]


# Requests refuse unknown fields.
class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def reason_codes(codes: tuple[str, ...], kept: str) -> str:
    """The description of a ``reason`` field: its listed codes."""
    return (f"reason code ({kept}), one of: {', '.join(codes)}. Free text goes in `note` "
            "(free text here is still taken, as the note under `other`, and the response "
            "carries a `Deprecation` header)")


class CodedReason(In):
    """A request with a ``reason`` (a code from ``reason_code_set``) and a ``note`` (free
    text), as on the command line. Until the next version a ``reason`` that is not a code is
    the old free text: it becomes the note, under the code ``other`` (``api.deprecation``)."""

    reason_code_set: ClassVar[tuple[str, ...]] = ()
    reason: ReasonCode
    note: Note = ""

    @model_validator(mode="after")
    def _free_text_reason(self) -> CodedReason:
        if self.reason not in self.reason_code_set:
            note_deprecated("a free-text reason is deprecated: give a reason code and a note")
            self.note = "; ".join(t for t in (self.reason.strip(), self.note.strip()) if t)
            self.reason = LEGACY_REASON
        return self

    def kept_reason(self) -> str:
        """The text kept where the reason is stored: the code, then the note."""
        return reason_text(self.reason, self.note)


class Out(BaseModel):
    """Responses show every amount as ``domain.display`` does for the CLI: money in its
    currency's minor units, hours with two decimals, rates as stored, so the same strings on
    SQLite and PostgreSQL."""

    @model_validator(mode="before")
    @classmethod
    def _shown(cls, data: Any) -> Any:
        return shown(data) if isinstance(data, dict) else data


class ProblemItem(Out):
    pointer: str | None = Field(
        None, description="JSON Pointer (RFC 6901, as a URI fragment) into the request body",
        examples=["#/entities/0/currency"])
    location: str = Field(description="body, query, path or header", examples=["body"])
    field: str = Field(description="the field's path", examples=["entities[0].currency"])
    reason: str = Field(description="what is wrong, for people")
    code: str = Field(description="what is wrong, for programs", examples=["string_pattern"])


class Problem(Out):
    """RFC 9457 problem details, served as ``application/problem+json``."""

    type: str = Field(description="URI naming the problem type", examples=[
        "https://hourbridge.dev/problems/not-found"])
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="the request path")
    code: str = Field(description="stable machine-readable reason", examples=["not_found"])
    errors: list[ProblemItem] | None = Field(
        None, description="validation errors: every reason, each with its location")


class LoadCounts(Out):
    created: int
    updated: int
    unchanged: int


class FieldChangeOut(Out):
    field: str = Field(description="dotted path inside the record or part")
    old: str | int | bool | None
    new: str | int | bool | None


class PartChangeOut(Out):
    part: str = Field(description="tasks, assignments, cost_rates, versions, fee_schedule, "
                      "milestones or rows")
    key: str = Field(description="the part's key (an assignment: employee@valid_from)")
    action: Literal["added", "changed", "removed"]
    fields: list[FieldChangeOut]


class RecordChangeOut(Out):
    kind: str
    key: str
    action: Literal["added", "changed"]
    origin: str
    fields: list[FieldChangeOut]
    parts: list[PartChangeOut]


class LoadResult(Out):
    dry_run: bool = Field(description="true: nothing was written")
    counts: dict[str, LoadCounts]
    changes: list[RecordChangeOut] = Field(
        description="every record added or changed, with its nested parts added, changed or "
        "removed; unchanged records are only counted")
    warnings: list[str] = Field(
        [], description="what was loaded all the same, still read for one version: old "
        "names the bundle used (docs/GLOSSARY.md gives the names) and tax rates written as a "
        "fraction (0.19) instead of percent")


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def _json_scalar(*types: str) -> Any:
    """A JSON value of one of ``types`` (or null), kept exactly as sent: no coercion."""
    allowed = tuple(t for name in types for t in _PY_TYPES[name])

    def check(value: Any) -> Any:
        if value is None or (isinstance(value, allowed) and (
                not isinstance(value, bool) or "boolean" in types)):
            return value
        raise ValueError(f"must be {' or '.join(types)}")

    return Annotated[Any, PlainValidator(check), WithJsonSchema({"type": [*types, "null"]})]


Text = _json_scalar("string")
TextOrInteger = _json_scalar("string", "integer")
TextOrNumber = _json_scalar("string", "number")
TextOrBoolean = _json_scalar("string", "boolean")


class IntakeReport(Out):
    inbox_id: int | None = Field(description="the kept payload")
    fingerprint: str = Field(description="SHA-256 of the kept payload")
    duplicate_payload: bool = Field(description="the same payload was taken before: nothing "
                                                "was added")
    rows: int
    accepted: int
    revised: int
    unchanged: int
    rejected: int
    deleted: int = Field(0, description="entries the source deleted before approval")
    corrections_proposed: int = Field(
        0, description="changes or deletions of work on an invoice, proposed as corrections "
        "(GET /v1/corrections)")
    reasons: dict[str, int] = Field(description="rejected rows by reason code")
    unreadable: str | None = Field(
        None, description="why the payload as a whole could not be read (it is kept, status "
        "failed, one invalid_format exception); null when it was read")
    days_rerounded: int = Field(0, description="days of per-day-rounded contracts recomputed")
    entries_rerounded: int = Field(0, description="entries whose billable seconds moved")
    day_overbilled_seconds: int = Field(
        0, description="billed seconds beyond a recomputed day's rounded total (to credit)")
    warnings: list[str] = Field(
        [], description="old field names the payload used (still read for one version; "
        "docs/GLOSSARY.md gives the names)")


class Skipped(Out):
    id: int
    reason: str
    message: str | None = None



class IntakeRowIn(BaseModel):
    """The fields every kind's canonical row starts with (each kind adds its own). Only JSON
    types are checked here; intake decides whether a row is acceptable. Other fields are kept
    with the row."""

    model_config = ConfigDict(extra="allow")
    external_id: TextOrInteger = Field(None, description="the source system's id (required)")
    employee: Text = Field(None, description="employee id (required)")
    project: Text = Field(None, description="project code (required)")
    task: Text = Field(None, description="task code within the project")


class StoredRowOut(Out):
    """What every kind's stored row starts with: its id and its identity at the source."""

    id: int
    source: str
    external_id: str
    revision: int
    employee: str
    project: str
