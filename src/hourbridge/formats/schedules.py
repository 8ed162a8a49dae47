"""The schedules file (YAML, or TOML by its ``.toml`` suffix), named by
``HOURBRIDGE_SCHEDULES_FILE``. Cron expressions are UTC, five fields.

.. code-block:: yaml

    schedules:
      - name: nightly-sync
        cron: "15 2 * * *"
        action: sync
        params: {connection: harvest}
      - name: nightly-billing
        cron: "0 3 * * *"
        action: billing             # through the day before the tick
      - name: month-end-revenue
        cron: "0 4 1 * *"
        action: revenue             # the month before the tick's
      - name: payroll
        cron: "0 5 1 * *"
        action: payroll_export
        params: {folder: /srv/exports/payroll, format: csv}
      - name: warehouse
        cron: "30 5 * * *"
        action: warehouse_export    # Parquet: entries, invoices, lines, postings
        params: {folder: /srv/warehouse}

The same in TOML is ``[[schedules]]`` tables.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from hourbridge.domain.problems import Problem
from hourbridge.domain.schedules import Schedule, check_schedule
from hourbridge.errors import InvalidInput


def read_schedules(path: Path) -> list[Schedule]:
    """Every schedule of the file, or ``InvalidInput`` naming each wrong field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"schedules file {path}: {exc.strerror or exc}") from None
    try:
        data: Any = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"schedules file {path} is not "
                           f"{'TOML' if path.suffix == '.toml' else 'YAML'}: {exc}") from None
    items = data.get("schedules") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InvalidInput(f"schedules file {path}: a list 'schedules' is required")
    schedules: list[Schedule] = []
    problems: list[object] = []
    for i, item in enumerate(items):
        where = f"{path.name}: schedules[{i}]"
        if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("name", "cron", "action")):
            problems.append(Problem("invalid_format", "each schedule needs name, cron and "
                                    "action (text)", where, "schedules"))
            continue
        unknown = sorted(set(item) - {"name", "cron", "action", "params"})
        if unknown:
            problems.append(Problem("invalid_format", f"unknown field(s) {', '.join(unknown)}",
                                    where, unknown[0]))
        params = item.get("params") or {}
        if not isinstance(params, dict):
            problems.append(Problem("invalid_format", "params must be a mapping", where,
                                    "params"))
            continue
        s = Schedule(item["name"], item["cron"], item["action"], dict(params))
        problems += check_schedule(s, where)
        if any(s.name == other.name for other in schedules):
            problems.append(Problem("duplicate_key", f"schedule {s.name!r} twice", where,
                                    "name"))
        schedules.append(s)
    if problems:
        raise InvalidInput(f"schedules file {path} refused: {len(problems)} problem(s)",
                           problems)
    return schedules
