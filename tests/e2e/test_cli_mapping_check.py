"""``hourbridge mapping check``: the first mapped rows and every unreadable row of a sheet,
read from the file alone (nothing kept); exit 1 when a row is unreadable, 2 when the mapping
does not fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hourbridge.cli.app import app

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/none.db")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump({
        "source": "nl", "delimiter": ";", "columns": {
            "employee": "Wer", "project": "Projekt", "date": "Tag", "duration": "Std"},
        "date_formats": ["%d.%m.%Y"], "duration": {"decimal_comma": True}}))
    rows = "".join(f"17;99;{day:02d}.07.2026;1,5\n" for day in range(1, 13))
    (tmp_path / "d.csv").write_text("Wer;Projekt;Tag;Std\n" + rows + "18;99;32.07.2026;2\n")
    return tmp_path


def test_the_preview_shows_mapped_rows_and_every_unreadable_one(files: Path) -> None:
    result = runner.invoke(app, ["mapping", "check", "d.csv", "--mapping", "m.yaml",
                                 "--rows", "3", "--json"])
    assert result.exit_code == 1, result.output
    shown = json.loads(result.stdout)
    assert shown["rows"] == 13 and len(shown["preview"]) == 3
    assert shown["preview"][0] == {
        "where": "d.csv row 2", "external_id": "d.csv!2", "source_user": "17",
        "source_project": "99", "source_task": "", "work_date": "2026-07-01", "hours": "1.50",
        "billable": True, "notes": ""}
    assert shown["problems"] == [{"where": "d.csv row 14", "problem":
                                  "unreadable: d.csv row 14 column 'Tag': '32.07.2026' "
                                  "matches none of the date formats %d.%m.%Y"}]
    assert not (files / "none.db").exists()  # a preview opens no database


def test_a_mapping_that_does_not_fit_exits_2(files: Path) -> None:
    (files / "d.csv").write_text("Who;Project;Day;Hours\n17;99;01.07.2026;1\n")
    result = runner.invoke(app, ["mapping", "check", "d.csv", "--mapping", "m.yaml"])
    assert result.exit_code == 2 and "columns.employee" in result.stderr
