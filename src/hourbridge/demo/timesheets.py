"""Everyday timesheets of the demo firm and the export files that carry them.

US staff track time in a Harvest-like tool (CSV, decimal hours, two files a month); German
staff in a Toggl-like tool (one JSON file a month, mostly minutes, some hours or seconds).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .calendar import add_months, month_end, workdays

CSV_HEADER = ("external_id", "employee", "project", "task", "work_date", "hours", "notes",
              "billable")
SOURCE_OF = {"US": "harvest", "DE": "toggl"}
LANGUAGE_OF = {"US": "en", "DE": "de"}

_FILL = {
    "en": {"feature": ("invoice export", "customer master sync", "order API", "SSO login",
                       "reporting views", "pricing engine", "data pipeline", "approval flow"),
           "area": ("order-to-cash", "procurement", "claims handling", "onboarding",
                    "month-end close", "field service", "inventory"),
           "topic": ("AWS architecture", "SAFe", "dbt", "negotiation skills", "Power BI"),
           "prospect": ("Harborview Bank", "Oakline Retail", "Vireo Energy")},
    "de": {"feature": ("Rechnungsexport", "Stammdatenabgleich", "Bestell-API", "SSO-Anmeldung",
                       "Berichtswesen", "Preislogik", "Datenstrecke", "Freigabeprozess"),
           "area": ("Auftragsabwicklung", "Einkauf", "Schadenbearbeitung", "Monatsabschluss",
                    "Außendienst", "Lagerhaltung"),
           "topic": ("Azure-Architektur", "Scrum", "SAP S/4HANA", "Moderation", "Power BI"),
           "prospect": ("Stadtwerke Nordheim", "Bergmann Chemie", "Lindauer Maschinenbau")},
}
_NOTES = {
    "en": {
        "DEV": ("Implemented {feature}", "Code review: {feature}", "Bug fixing – {feature}",
                "Unit tests for {feature}", "Deployment prep for {feature}"),
        "ANALYSIS": ("Requirements analysis – {area}", "Process mapping: {area}",
                     "Stakeholder interview ({area})", "Data quality review – {area}",
                     "Gap analysis {area}"),
        "PM": ("Weekly status report", "Steering committee prep", "Sprint planning",
               "Risk & issue log update", "Client check-in call", "Budget tracking"),
        "WORKSHOP": ("Workshop facilitation – {area}", "Workshop prep: {area}",
                     "Workshop write-up – {area}"),
        "TRAVEL": ("Travel to client site", "Return travel from client site"),
        "ADMIN": ("Timesheets and expenses", "Team meeting", "Internal all-hands",
                  "Staffing call"),
        "TRAINING": ("Training: {topic}", "Certification prep – {topic}"),
        "PRESALES": ("Proposal writing – {prospect}", "Pitch prep for {prospect}",
                     "RFP response – {prospect}"),
    },
    "de": {
        "DEV": ("Umsetzung {feature}", "Code-Review: {feature}", "Fehlerbehebung – {feature}",
                "Tests für {feature}"),
        "ANALYSIS": ("Anforderungsanalyse – {area}", "Prozessaufnahme: {area}",
                     "Interview Fachbereich ({area})", "Datenqualitätsanalyse – {area}"),
        "PM": ("Statusbericht", "Lenkungskreis vorbereiten", "Sprintplanung",
               "Risikoliste aktualisiert", "Jour fixe mit Kunde", "Budgetcontrolling"),
        "WORKSHOP": ("Workshop moderiert – {area}", "Workshop vorbereitet: {area}",
                     "Workshop-Protokoll – {area}"),
        "TRAVEL": ("Anreise zum Kunden", "Rückreise vom Kunden"),
        "ADMIN": ("Zeiterfassung und Reisekosten", "Teammeeting", "Interne Abstimmung",
                  "Staffing-Runde"),
        "TRAINING": ("Schulung: {topic}", "Zertifizierung – {topic}"),
        "PRESALES": ("Angebotserstellung – {prospect}", "Pitch-Vorbereitung {prospect}"),
    },
}
# How each role spends client time, by task.
_TASK_MIX = {
    "partner": {"PM": 4, "ANALYSIS": 4, "WORKSHOP": 2},
    "manager": {"PM": 45, "ANALYSIS": 35, "WORKSHOP": 10, "DEV": 10},
    "senior": {"ANALYSIS": 35, "DEV": 40, "WORKSHOP": 10, "PM": 15},
    "consultant": {"DEV": 50, "ANALYSIS": 40, "WORKSHOP": 10},
    "analyst": {"ANALYSIS": 55, "DEV": 45},
    "intern": {"ANALYSIS": 7, "DEV": 3},
}


@dataclass(frozen=True)
class TimeFile:
    filename: str
    media_type: str
    payload: bytes


@dataclass(frozen=True)
class FileSpec:
    source: str
    first: date
    last: date
    filename: str
    media_type: str


@dataclass
class Row:
    """One entry before it becomes a line of a file; ``quantity`` overrides the time fields."""

    employee: str
    project: str
    task: str
    day: date
    minutes: int
    notes: str
    billable: bool
    file: int
    unit: str = "hours"
    quantity: dict[str, Any] | None = None


@dataclass
class Project:
    code: str
    entity: str
    active: bool
    internal: bool
    contract_from: date | None
    contract_until: date | None
    tasks: dict[str, bool]
    assignments: list[tuple[str, date, date | None]]
    # billed by the hour (a fee-only contract takes hours without a rate: they cannot be
    # the demo's no_rate noise)
    hourly: bool = True

    def covers(self, day: date) -> bool:
        return (self.contract_from is not None and self.contract_from <= day
                and (self.contract_until is None or day <= self.contract_until))

    def assigned(self, employee: str, day: date) -> bool:
        return any(e == employee and a <= day and (b is None or day <= b)
                   for e, a, b in self.assignments)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


class Index:
    """The bundle, looked up the way timesheet generation needs it."""

    def __init__(self, bundle: dict[str, Any], start: date, through: date,
                 fee_only: frozenset[str] = frozenset()) -> None:
        self.start, self.through = start, through
        self.employees: list[tuple[str, str, str]] = [
            (e["id"], e["entity"], e["role"]) for e in bundle["employees"]]
        contracts = {k["id"]: k for k in bundle["contracts"]}
        self.projects: dict[str, Project] = {}
        for p in bundle["projects"]:
            k = contracts.get(p["contract"]) if p["contract"] else None
            self.projects[p["code"]] = Project(
                code=p["code"], entity=p["entity"], active=p["status"] == "active",
                internal=k is None,
                contract_from=_day(k["start_date"]) if k else None,
                contract_until=_day(k["end_date"]) if k else None,
                tasks={t["code"]: t["billable"] for t in p["tasks"]},
                assignments=[(a["employee"], date.fromisoformat(a["valid_from"]),
                              _day(a["valid_until"])) for a in p["assignments"]],
                hourly=k is not None and k["id"] not in fee_only,
            )
        self.of_employee: dict[str, list[Project]] = {e[0]: [] for e in self.employees}
        for proj in self.projects.values():
            for emp, _, _ in proj.assignments:
                if proj not in self.of_employee[emp]:
                    self.of_employee[emp].append(proj)
        self.days = {ent: workdays(ent, start, through) for ent in SOURCE_OF}
        self.seen: set[tuple[str, str, str, date, int, str]] = set()

    def internal(self, entity: str) -> Project:
        return next(p for p in self.projects.values() if p.internal and p.entity == entity)

    def billable_work(self, employee: str, day: date) -> list[Project]:
        """Client projects the employee may book billable time on that day, without problems."""
        return [p for p in self.of_employee[employee]
                if not p.internal and p.active and p.covers(day) and p.assigned(employee, day)]

    def notes(self, rng: random.Random, entity: str, task: str) -> str:
        lang = LANGUAGE_OF[entity]
        template = rng.choice(_NOTES[lang].get(task or "ANALYSIS", _NOTES[lang]["ANALYSIS"]))
        fills = {k: rng.choice(v) for k, v in _FILL[lang].items()}
        return template.format(**fills)

    def claim(self, row: Row) -> Row:
        """Make ``row`` differ in content from every row so far (a real duplicate is noise)."""
        base, n = row.notes, 1
        while (key := (row.employee, row.project, row.task, row.day, row.minutes,
                       row.notes)) in self.seen:
            n += 1
            row.notes = f"{base} ({n})"
        self.seen.add(key)
        return row


def file_specs(start: date, through: date) -> list[FileSpec]:
    specs: list[FileSpec] = []
    month = add_months(start, 0)
    while month <= through:
        first, last = max(month, start), min(month_end(month), through)
        ym = f"{month.year}-{month.month:02d}"
        mid = date(month.year, month.month, 15)
        if first <= mid < last:
            for a, b in ((first, mid), (mid.replace(day=16), last)):
                specs.append(FileSpec("harvest", a, b,
                                      f"harvest-export-{ym}-{a.day:02d}-to-{b.day:02d}.csv",
                                      "text/csv"))
        else:
            specs.append(FileSpec("harvest", first, last, f"harvest-export-{ym}.csv",
                                  "text/csv"))
        specs.append(FileSpec("toggl", first, last, f"toggl-{ym}.json", "application/json"))
        month = add_months(month, 1)
    return specs


def file_for(specs: list[FileSpec], entity: str, day: date) -> int:
    """The file a row of ``entity`` dated ``day`` travels in; late rows go in the first one."""
    source = SOURCE_OF[entity]
    mine = [i for i, s in enumerate(specs) if s.source == source]
    return next((i for i in mine if specs[i].first <= day <= specs[i].last), mine[0])


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` minutes in ``parts`` chunks of at least 30 minutes, on a 5-minute grid."""
    spare = total // 5 - 6 * parts
    edges = [0, *sorted(rng.randint(0, spare) for _ in range(parts - 1)), spare]
    return [(6 + b - a) * 5 for a, b in itertools.pairwise(edges)]


def _pick_task(rng: random.Random, role: str, proj: Project) -> str:
    if rng.random() < 0.04:
        return "TRAVEL"
    mix = [(t, w) for t, w in _TASK_MIX[role].items() if proj.tasks.get(t)]
    if not mix:
        return "ANALYSIS"
    return rng.choices([t for t, _ in mix], weights=[w for _, w in mix])[0]


def unit_for(rng: random.Random, entity: str) -> str:
    if SOURCE_OF[entity] == "harvest":
        return "hours"
    return rng.choices(("minutes", "hours", "seconds"), weights=(75, 18, 7))[0]


def regular_rows(index: Index, specs: list[FileSpec], rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for day in sorted({d for days in index.days.values() for d in days}):
        for emp, ent, role in index.employees:
            if day not in index.days[ent] or rng.random() < 0.05:  # holiday or time off
                continue
            low = 300 if role == "partner" else 360
            total = rng.choice(range(low, 545, 15)) if rng.random() < 0.6 else 480
            parts = rng.choices((1, 2, 3), weights=(2, 5, 3))[0]
            client = index.billable_work(emp, day)
            share = 0.7 if role == "partner" else 0.88
            if role == "intern":  # shadows client work, not billable yet
                share = 0.5
            for minutes in _split(rng, total, parts):
                if client and rng.random() < share:
                    proj = rng.choice(client)
                    task = "" if rng.random() < 0.01 else _pick_task(rng, role, proj)
                    billable = role != "intern" and rng.random() > 0.03
                else:
                    proj = index.internal(ent)
                    weights = (3, 2, 5) if role == "partner" else (6, 3, 1)
                    task = rng.choices(("ADMIN", "TRAINING", "PRESALES"), weights=weights)[0]
                    billable = False
                row = Row(emp, proj.code, task, day, minutes, index.notes(rng, ent, task),
                          billable, file_for(specs, ent, day), unit_for(rng, ent))
                rows.append(index.claim(row))
    return rows


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _quantity(row: Row) -> dict[str, Any]:
    if row.quantity is not None:
        return row.quantity
    if row.unit == "minutes":
        return {"minutes": row.minutes}
    if row.unit == "seconds":
        return {"seconds": row.minutes * 60}
    return {"hours": float(_hours(row.minutes))}


def render(specs: list[FileSpec], rows: list[Row]) -> list[TimeFile]:
    """The files in ingest order; external ids count up per source through its files."""
    counters = {"harvest": 0, "toggl": 0}
    prefix = {"harvest": "hv-", "toggl": "tg-"}
    files: list[TimeFile] = []
    for i, spec in enumerate(specs):
        mine = sorted((r for r in rows if r.file == i), key=lambda r: (r.day, r.employee))
        records: list[dict[str, Any]] = []
        for row in mine:
            counters[spec.source] += 1
            records.append({
                "external_id": f"{prefix[spec.source]}{counters[spec.source]:06d}",
                "employee": row.employee, "project": row.project, "task": row.task,
                "work_date": row.day.isoformat(), **_quantity(row), "notes": row.notes,
                "billable": row.billable,
            })
        if spec.media_type == "text/csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(CSV_HEADER)
            for rec in records:
                hours = rec.get("hours", "")
                writer.writerow([rec["external_id"], rec["employee"], rec["project"],
                                 rec["task"], rec["work_date"],
                                 f"{hours:.2f}" if isinstance(hours, float) else hours,
                                 rec["notes"], "true" if rec["billable"] else "false"])
            payload = out.getvalue().encode("utf-8")
        else:
            payload = (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        files.append(TimeFile(spec.filename, spec.media_type, payload))
    return files
