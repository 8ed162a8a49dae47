"""Id aliases: a tracker's own ids (user, project, task) mapped to Hourbridge's codes, per
source, so a tracker's payload is read as it is; and a *tracker row* (``connectors.native``)
turned into a canonical row (``domain.intake``) with them.

Decisions (issue 11):
- An id with no alias is refused as ``unknown_alias`` naming the source, kind and id: the row
  waits in the exception queue, never dropped and never guessed from equal ids; the message
  suggests the codes most like the id or the tracker's name for it (difflib), for a person to
  confirm with ``hourbridge aliases add``.
- A start instant becomes the worker's local work date in the employee's time zone (zoneinfo),
  so an entry started 23:30 UTC by someone in New York counts on that New York day.
- A running timer (Toggl's negative duration, Clockify's or Kimai's missing end, Harvest's
  ``is_running``) is refused as ``timer_running``: its length is not known, so it is not
  billable; the stopped entry (same id) is taken as new when it arrives.
- An entry the tracker types as not work (Clockify's BREAK) is refused as ``not_work``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .masterdata import MasterData
from .problems import Problem

KINDS = ("user", "project", "task", "customer")
# what each alias kind names in Hourbridge (a customer: a CRM account, domain/deals)
NAMES = {"user": "employee", "project": "project", "task": "task", "customer": "customer"}
SIMILAR = 0.6  # the least difflib ratio a suggestion needs


@dataclass(frozen=True, slots=True)
class IdAlias:
    source: str
    kind: str  # user | project | task
    external_id: str
    code: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.source, self.kind, self.external_id


def alias_key(alias: IdAlias) -> str:
    return f"{alias.source}/{alias.kind}/{alias.external_id}"


def is_tracker_row(row: Mapping[str, Any]) -> bool:
    return "source_user" in row or "not_an_entry" in row


def candidates(md: MasterData, kind: str) -> dict[str, str]:
    """Hourbridge's codes an alias of ``kind`` may name, each with its name ("" for none)."""
    if kind == "user":
        return {e: "" for e in md.employees}
    if kind == "project":
        return {p.code: p.name for p in md.projects.values()}
    if kind == "customer":
        return {c.id: c.name for c in md.customers.values()}
    return {t.code: t.name for p in md.projects.values() for t in p.tasks}


def suggestions(md: MasterData, kind: str, external_id: str, name: str = "",
                limit: int = 3) -> list[str]:
    """The codes most like a tracker's unknown id and its name there (difflib ratio at least
    0.6 between the id or name and a code or its name), best first."""
    said = [s.casefold() for s in (external_id, name) if s]
    scored: list[tuple[float, str]] = []
    for code, label in candidates(md, kind).items():
        ours = [s.casefold() for s in (code, label) if s]
        best = max((SequenceMatcher(None, a, b).ratio() for a in said for b in ours),
                   default=0.0)
        if best >= SIMILAR:
            scored.append((best, code))
    return [code for _, code in sorted(scored, key=lambda s: (-s[0], s[1]))[:limit]]


def _resolve(md: MasterData, source: str, kind: str, external_id: str, where: str,
             problems: list[Problem], name: str = "") -> str:
    code = md.aliases.get((source, kind, external_id))
    if code is None:
        close = suggestions(md, kind, external_id, name)
        hint = (f"; did you mean {' or '.join(close)}? (`hourbridge aliases add {source} "
                f"{kind} {external_id} {close[0]}`)") if close else ""
        named = f" ({name})" if name else ""
        problems.append(Problem(
            "unknown_alias", f"{source} {kind} {external_id}{named} has no alias to a "
            f"{NAMES[kind]} (add it to the bundle's aliases: source {source}, kind {kind}, "
            f"external_id {external_id}, code ...){hint}", where, f"source_{kind}",
            {"source": source, "kind": kind, "external_id": external_id,
             "suggestions": ",".join(close)}))
        return ""
    return code


def local_work_date(started_at: str, timezone: str) -> str | None:
    """The date of the instant ``started_at`` (ISO 8601 with an offset) in ``timezone``."""
    try:
        moment = datetime.fromisoformat(started_at)
        zone = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(zone).date().isoformat()


def canonical_row(row: Mapping[str, Any], source: str, md: MasterData,
                  where: str) -> dict[str, Any] | list[Problem]:
    """The canonical row of a tracker row, or every reason it cannot be one."""
    if "not_an_entry" in row:
        return [Problem("invalid_format", f"entry is {row['not_an_entry']}", where)]
    external_id = str(row.get("external_id") or "")
    if row.get("deleted"):
        return {"external_id": external_id, "revision": row.get("revision", 1),
                "deleted": "true"}
    if row.get("not_work"):
        return [Problem("not_work", f"entry {external_id} is a {row['not_work']} entry, not "
                        "work: it is never billed", where, "type")]
    if row.get("running"):
        return [Problem("timer_running", f"entry {external_id}: its timer is still running; "
                        "it is not billable until stopped (the stopped entry is taken when it "
                        "arrives)", where, "duration")]
    problems: list[Problem] = []
    names = {k: str(row.get(f"source_{k}_name") or "") for k in KINDS}
    employee = _resolve(md, source, "user", str(row.get("source_user") or ""), where, problems,
                        names["user"])
    project = _resolve(md, source, "project", str(row.get("source_project") or ""), where,
                       problems, names["project"])
    task_id = str(row.get("source_task") or "")
    task = _resolve(md, source, "task", task_id, where, problems,
                    names["task"]) if task_id else ""
    # "work_date" as canonical rows name it (a mapped sheet), "date" as tracker rows do
    work_date = row.get("work_date", row.get("date"))
    if work_date is None and employee and "started_at" in row:
        person = md.employees.get(employee)
        work_date = local_work_date(str(row["started_at"]), person.timezone if person
                                    else "UTC")
        if work_date is None:
            problems.append(Problem("invalid_format", f"start {row['started_at']!r} is not an "
                                    "ISO 8601 instant with an offset", where, "start"))
    if problems:
        return problems
    canonical: dict[str, Any] = {
        "external_id": external_id, "employee": employee, "project": project, "task": task,
        "work_date": work_date or "", "notes": row.get("notes", ""),
        "billable": row.get("billable", True), "revision": row.get("revision", 1),
    }
    for unit in ("hours", "seconds"):
        if unit in row:
            canonical[unit] = row[unit]
    return canonical
