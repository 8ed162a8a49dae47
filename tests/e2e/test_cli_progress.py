"""The progress bar: on standard error for a person at a terminal, never for scripts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from hourbridge.cli import output
from hourbridge.cli.app import app
from support.firm import small_firm_bundle

runner = CliRunner()


@pytest.fixture
def terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """A database with the small firm and a week of time; stderr as a terminal would be."""
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "firm.yaml").write_text(yaml.safe_dump(small_firm_bundle()))
    (tmp_path / "week.csv").write_text("external_id,employee,project,task,work_date,hours\n"
                                       "A1,E1,P1,DEV,2026-08-10,2\n")
    assert runner.invoke(app, ["load", "firm.yaml"]).exit_code == 0
    screen = io.StringIO()
    monkeypatch.setattr(output, "err_console",
                        Console(file=screen, force_terminal=True, width=100))
    return screen


def test_ingest_and_billing_show_progress_at_a_terminal(terminal: io.StringIO) -> None:
    assert runner.invoke(app, ["ingest", "--source", "t", "week.csv"]).exit_code == 0
    assert "ingest time week.csv" in terminal.getvalue()
    assert runner.invoke(app, ["approve", "--project", "P1"]).exit_code == 0
    assert runner.invoke(app, ["bill", "--through", "2026-08-31"]).exit_code == 0
    assert "billing run through 2026-08-31" in terminal.getvalue()


def test_json_output_shows_no_progress_even_at_a_terminal(terminal: io.StringIO) -> None:
    result = runner.invoke(app, ["ingest", "--source", "t", "week.csv", "--json"])
    assert result.exit_code == 0 and result.stdout.startswith("[")
    assert result.stderr == "" and terminal.getvalue() == ""
