"""A seeded, streaming generator of a large firm for the benchmarks.

At ``entries=1_000_000``: 3,000 employees, 5,000 client projects (+ one internal project per
entity), 2,000 contracts (1–3 versions each = amendments, with different rounding policies),
rate cards with effective-dated rows that change mid-period, two legal entities in two
currencies (US/USD, DE/EUR) and 50,000 expenses. Smaller ``entries`` scale every count down
proportionally, keeping at least a handful of each.

Master data is built in memory (it is small); time entries and expenses are written row by
row while they are generated, so memory stays flat whatever the size. Everything comes from
``random.Random`` streams seeded by ``seed``: the same (seed, entries) gives the same bytes.

Files, in ``<workdir>/data/seed<seed>-<entries>/``:

``firm.json``      master-data bundle (``hourbridge load firm.json``)
``entries.csv``    canonical CSV, header ``external_id,employee,project,task,date,hours,notes``;
                   ids ``C0000001``…
``entries.json``   the same rows as a JSON list, ids ``J0000001``… (same content, so ingesting
                   both into one database would make the second file all ``duplicate_entry``:
                   the benchmarks ingest each into its own fresh database). One object per
                   line, so it can also be streamed line by line.
``expenses.csv``   external_id, employee, project, date, amount, currency, category, billable
``expected.csv``   per billable entry of ``entries.csv``: external_id, contract, month,
                   billable_seconds, rate, currency: what Hourbridge should bill, computed here
                   independently (rounding by contract version, rate by the documented
                   precedence) for the billing baseline and its cross-check
``manifest.json``  counts and dates; written last, so its presence means the data is complete

Every row is valid: the employee is assigned to the project on the date, the project is
active, the contract and one of its versions cover the date, exactly one rate row wins.

The firm's master data is ``bench/firm.py``; what each billable entry should bill,
``bench/expected.py``; this module streams the entries and expenses and writes the files.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from .expected import Expected
from .firm import CURRENCY, END, ENTITIES, START, Firm

GENERATOR_VERSION = 4
FULL_SCALE = 1_000_000
# counts at 1,000,000 entries, and the least we keep at small scales
_FULL = {"employees": 3000, "projects": 5000, "contracts": 2000, "customers": 800,
         "expenses": 50_000}
_MIN = {"employees": 12, "projects": 10, "contracts": 6, "customers": 4, "expenses": 10}

_NOTES = {
    "US": ("Requirements analysis", "Code review", "Steering committee prep",
           "Data quality review", "Workshop facilitation", "Sprint planning",
           "Status report", "Process mapping", "Deployment prep", "Client check-in call"),
    "DE": ("Anforderungsanalyse – Einkauf", "Code-Review", "Lenkungskreis vorbereiten",
           "Datenqualitätsanalyse", "Workshop moderiert", "Sprintplanung", "Statusbericht",
           "Prozessaufnahme: Auftragsabwicklung", "Fehlerbehebung", "Jour fixe mit Kunde"),
}
_EXPENSE_CATEGORIES = (("travel", 80, 900), ("hotel", 90, 400), ("meals", 8, 120),
                       ("software", 10, 300), ("mileage", 5, 150))
CSV_HEADER = ("external_id", "employee", "project", "task", "date", "hours", "notes")
EXPENSE_HEADER = ("external_id", "employee", "project", "date", "amount", "currency",
                  "category", "billable")
EXPECTED_HEADER = ("external_id", "contract", "month", "billable_seconds", "rate", "currency")


def scaled_counts(entries: int) -> dict[str, int]:
    scale = entries / FULL_SCALE
    counts = {k: max(_MIN[k], round(v * scale)) for k, v in _FULL.items()}
    counts["contracts"] = min(counts["contracts"], counts["projects"])
    counts["customers"] = min(counts["customers"], counts["contracts"])
    counts["entries"] = entries
    return counts


@dataclass(frozen=True)
class Dataset:
    """A generated data set on disk."""

    directory: Path
    manifest: dict[str, Any]

    @property
    def firm(self) -> Path:
        return self.directory / "firm.json"

    @property
    def entries_csv(self) -> Path:
        return self.directory / "entries.csv"

    @property
    def entries_json(self) -> Path:
        return self.directory / "entries.json"

    @property
    def expenses_csv(self) -> Path:
        return self.directory / "expenses.csv"

    @property
    def expected_csv(self) -> Path:
        return self.directory / "expected.csv"

    @property
    def entries(self) -> int:
        return int(self.manifest["counts"]["entries"])

    @property
    def through(self) -> str:
        return str(self.manifest["through"])

    def bundle(self) -> dict[str, Any]:
        with self.firm.open(encoding="utf-8") as f:
            data: dict[str, Any] = json.load(f)
        return data


def iter_json_rows(path: Path) -> Iterator[str]:
    """The objects of an ``entries.json`` written here, one JSON text each, without parsing."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line in ("[", "]", ""):
                continue
            yield line.rstrip(",")


def _workdays(first: date, last: date) -> list[date]:
    days, d = [], first
    while d <= last:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    return days


def _share(total: int, slots: int, k: int) -> int:
    """How many of ``total`` items fall in slot ``k`` of ``slots`` (evenly, exactly total)."""
    return (k + 1) * total // slots - k * total // slots


def _write(directory: Path, seed: int, counts: dict[str, int]) -> dict[str, Any]:
    firm = Firm(seed, counts)
    expected = Expected(firm)
    with (directory / "firm.json").open("w", encoding="utf-8") as f:
        json.dump(firm.bundle(), f, ensure_ascii=False, indent=1)
    rng = random.Random(f"hourbridge-bench:{seed}:entries")
    days = _workdays(START, END)
    people = firm.employees
    slots = len(days) * len(people)
    n_entries, n_expenses = counts["entries"], counts["expenses"]
    stats = {"billable": 0, "non_billable": 0, "expenses": 0, "hours": Decimal(0)}
    seq = 0
    slot = 0
    with (directory / "entries.csv").open("w", encoding="utf-8", newline="") as fc, \
         (directory / "entries.json").open("w", encoding="utf-8") as fj, \
         (directory / "expected.csv").open("w", encoding="utf-8", newline="") as fe, \
         (directory / "expenses.csv").open("w", encoding="utf-8", newline="") as fx:
        wc, we, wx = csv.writer(fc), csv.writer(fe), csv.writer(fx)
        wc.writerow(CSV_HEADER)
        we.writerow(EXPECTED_HEADER)
        wx.writerow(EXPENSE_HEADER)
        fj.write("[\n")
        first_json = True
        for day in days:
            month = day.isoformat()[:7]
            for emp in people:
                n = _share(n_entries, slots, slot)
                x = _share(n_expenses, slots, slot)
                slot += 1
                if not n and not x:
                    continue
                eid = emp["id"]
                open_ = [w for w in firm.work[eid] if w[1] <= day <= w[2]]
                client = [w for w in open_ if w[0]["contract"]]
                internal = [w for w in open_ if not w[0]["contract"]]
                for _ in range(n):
                    seq += 1
                    if not client or rng.random() < 0.08:
                        project, _, _, role_override = internal[0]
                        task = rng.choice(("ADMIN", "TRAINING"))
                    else:
                        project, _, _, role_override = rng.choice(client)
                        tasks = [t["code"] for t in project["tasks"]]
                        task = ("TRAVEL" if rng.random() < 0.04 else
                                rng.choice([t for t in tasks if t != "TRAVEL"]))
                    hours = Decimal(rng.randint(10, 400)) / 100  # 0.10 .. 4.00
                    hours_text = f"{hours:.2f}"
                    note = f"{rng.choice(_NOTES[emp['entity']])} #{seq}"
                    row = (f"C{seq:07d}", eid, project["code"], task, day.isoformat(),
                           hours_text, note)
                    wc.writerow(row)
                    obj = {"external_id": f"J{seq:07d}", "employee": eid,
                           "project": project["code"], "task": task, "date": day.isoformat(),
                           "hours": hours_text, "notes": note}
                    fj.write(("" if first_json else ",\n")
                             + json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
                    first_json = False
                    stats["hours"] += hours
                    if project["contract"] and task != "TRAVEL":
                        worked = int((hours * 3600).to_integral_value(ROUND_HALF_UP))
                        k = project["contract"]
                        role = role_override or firm.role_of[eid]
                        we.writerow((row[0], k, month,
                                     expected.billable_seconds(k, day, worked),
                                     expected.rate(project, eid, role, task, day),
                                     firm.contract_by_id[k]["currency"]))
                        stats["billable"] += 1
                    else:
                        stats["non_billable"] += 1
                for _ in range(x):
                    stats["expenses"] += 1
                    project = (rng.choice(client) if client else internal[0])[0]
                    cat, lo, hi = rng.choice(_EXPENSE_CATEGORIES)
                    amount = Decimal(rng.randint(lo * 100, hi * 100)) / 100
                    wx.writerow((f"X{stats['expenses']:07d}", eid, project["code"],
                                 day.isoformat(), f"{amount:.2f}",
                                 CURRENCY[emp["entity"]], cat,
                                 "true" if project["contract"] and rng.random() < 0.7
                                 else "false"))
        fj.write("\n]\n")
    assert seq == n_entries, (seq, n_entries)
    return {
        "generator_version": GENERATOR_VERSION, "seed": seed, "counts": counts,
        "start": START.isoformat(), "through": END.isoformat(),
        "workdays": len(days),
        "entities": [e["code"] for e in ENTITIES],
        "currencies": sorted(set(CURRENCY.values())),
        "master_data": {
            "customers": len(firm.customers), "employees": len(firm.employees),
            "projects": len(firm.projects), "contracts": len(firm.contracts),
            "contract_versions": sum(len(k["versions"]) for k in firm.contracts),
            "rate_cards": len(firm.cards),
            "rate_rows": sum(len(c["rows"]) for c in firm.cards),
            "assignments": sum(len(p["assignments"]) for p in firm.projects),
        },
        "billable_entries": stats["billable"], "non_billable_entries": stats["non_billable"],
        "expenses": stats["expenses"], "hours": str(stats["hours"]),
    }


def ensure_dataset(workdir: Path, entries: int, seed: int, log: Any = None) -> Dataset:
    """The data set for (seed, entries), generated once and reused while its manifest says
    it is complete and of this generator version."""
    directory = workdir / "data" / f"seed{seed}-{entries}"
    manifest_path = directory / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("generator_version") == GENERATOR_VERSION:
            return Dataset(directory, manifest)
    if directory.exists():
        shutil.rmtree(directory)
    tmp = directory.with_name(directory.name + f".tmp{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    if log:
        log(f"generating {entries:,} entries (seed {seed}) in {directory}")
    manifest = _write(tmp, seed, scaled_counts(entries))
    manifest["generated_in_seconds"] = round(time.perf_counter() - t0, 2)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.rename(directory)
    if log:
        log(f"generated in {manifest['generated_in_seconds']} s")
    return Dataset(directory, manifest)
