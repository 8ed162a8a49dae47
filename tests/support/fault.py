"""Helpers of the fault tests (tests/fault): the CLI as real processes, test files, figures.

Each test prints its figures (``entries billed twice 0``, ``lost 0 duplicated 0``...) so the
CI log shows them; ``-s`` is not needed, they go through the terminal reporter.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from hourbridge.store.engine import make_engine

HOURBRIDGE = str(Path(sys.executable).parent / "hourbridge")
FIGURES: list[str] = []


def figure(line: str) -> None:
    FIGURES.append(line)
    print(line)


class Firm:
    """A database with the small firm loaded, and the CLI pointed at it."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.env = {**os.environ, "HOURBRIDGE_DATABASE_URL": url}

    def cli(self, *args: str, check: bool = True, timeout: float = 300) -> Any:
        done = subprocess.run([HOURBRIDGE, *args], env=self.env, cwd=self.folder,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"hourbridge {' '.join(args)} exited {done.returncode}:\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([HOURBRIDGE, *args], env=self.env, cwd=self.folder,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def time_file(path: Path, ids: range, prefix: str = "T") -> Path:
    """Canonical time entries for E1 and E2 on P1, July to November 2026: one per id, each
    with its own content (the id is in the notes)."""
    start = date(2026, 7, 1)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "employee", "project", "task", "date", "minutes", "notes"])
        for i in ids:
            w.writerow([f"{prefix}{i}", "E1" if i % 2 else "E2", "P1", "DEV",
                        (start + timedelta(days=i % 150)).isoformat(), 15 + 15 * (i % 8),
                        f"work item {i}"])
    return path




Query = Callable[[str], list[tuple[Any, ...]]]


def expire_leases(url: str) -> None:
    """Every pending job claimable now: what a killed worker held is free at once."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE outbox SET lease_until = NULL, available_at = :now "
                              "WHERE status = 'pending'"), {"now": datetime.now(UTC)})
    finally:
        engine.dispose()
