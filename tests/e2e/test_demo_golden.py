"""``hourbridge demo --json`` on a fresh SQLite database equals a recorded copy.

The golden file ``golden/demo.json`` pins the whole summary (figures, invoices, trial balance,
exceptions...) so that a refactor that changes any of it fails here. Values that change from run
to run are normalised first, see ``normalise``. After an intended change of the demo's output,
record it again with ``HOURBRIDGE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest
tests/e2e/test_demo_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hourbridge.cli.app import app

GOLDEN = Path(__file__).parent / "golden" / "demo.json"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def normalise(summary: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The summary without what differs between two runs of the same code:

    - the top-level ``seconds`` (wall-clock time the demo took) is dropped; every nested
      ``seconds`` is worked, billed or credited time, a figure, and stays;
    - the temporary directory in any string (``database``: the SQLite URL) becomes ``<tmp>``;
    - a date-time string (a moment of the run, not a business date) becomes ``<timestamp>``;
      the demo prints none today, this keeps a future one from making the test flaky.
    """
    rest = {k: v for k, v in summary.items() if k != "seconds"}
    return {k: _scrub(v, str(tmp)) for k, v in rest.items()}


def _scrub(value: Any, tmp: str) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v, tmp) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, tmp) for v in value]
    if isinstance(value, str):
        return "<timestamp>" if TIMESTAMP.match(value) else value.replace(tmp, "<tmp>")
    return value


def test_demo_json_matches_the_golden_copy(db: Path) -> None:
    summary = normalise(run_json("demo"), db)
    if os.environ.get("HOURBRIDGE_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    assert summary == json.loads(GOLDEN.read_text(encoding="utf-8"))
