"""``hourbridge ingest --mapping M.yaml FILE``: exit 1 when bad cells became exceptions, 2
with the mapping key named when the mapping is wrong or does not fit the file (nothing
kept then); a crash after the sheet was kept is finished by the same command, never by
``inbox retry`` (which has no mapping)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from typer.testing import CliRunner

from hourbridge.cli.app import app
from hourbridge.store.entries import SqlEntries
from support.firm import small_firm_bundle
from support.trackers import aliases

runner = CliRunner()
MAPPING = {"source": "nordlicht", "columns": {
    "external_id": "Nr", "employee": "Wer", "project": "Projekt", "task": "Aufgabe",
    "date": "Datum", "duration": "Minuten"}, "duration": {"format": "minutes"},
    "date_formats": ["%d.%m.%Y"]}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    bundle = {**small_firm_bundle(), "aliases": aliases("nordlicht")}
    (tmp_path / "bundle.yaml").write_text(yaml.safe_dump(bundle))
    assert runner.invoke(app, ["load", "bundle.yaml"]).exit_code == 0
    return tmp_path


def write(folder: Path, mapping: dict[str, Any], rows: list[list[Any]]) -> tuple[str, str]:
    (folder / "m.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True))
    book = Workbook()
    sheet = book.active
    sheet.append(["Nr", "Wer", "Projekt", "Aufgabe", "Datum", "Minuten"])
    for row in rows:
        sheet.append(row)
    book.save(folder / "juli.xlsx")
    return "m.yaml", "juli.xlsx"


def inbox() -> list[dict[str, Any]]:
    result = runner.invoke(app, ["inbox", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_a_sheet_with_a_bad_cell_exits_1_and_keeps_the_good_rows(db: Path) -> None:
    mapping, data = write(db, MAPPING, [[1, 17, 99, 5, "01.07.2026", 90],
                                        [2, 17, 99, 5, "02.07.2026", "neunzig"]])
    result = runner.invoke(app, ["ingest", "--mapping", mapping, data, "--json"])
    assert result.exit_code == 1, result.output
    [report] = json.loads(result.stdout)
    assert (report["rows"], report["accepted"], report["rejected"]) == (2, 1, 1)
    listed = json.loads(runner.invoke(app, ["exceptions", "list", "--json"]).stdout)["items"]
    assert "Sheet row 3 column 'Minuten'" in listed[0]["message"]


@pytest.mark.parametrize(("change", "key"), [
    ({"columns": {**MAPPING["columns"], "date": "Date"}}, "columns.date"),
    ({"date_formats": ["%d.%m.%Q"]}, "date_formats"),
    ({"timezone": "Europe/Nowhere"}, "timezone"),
    ({"colums": {}}, "colums"),
    ({"duration": {"format": "days"}}, "duration.format"),
    ({"values": {"colour": {"a": "b"}}}, "values"),
])
def test_a_wrong_mapping_exits_2_naming_the_key_and_keeps_nothing(
        db: Path, change: dict[str, Any], key: str) -> None:
    mapping, data = write(db, {**MAPPING, **change}, [[1, 17, 99, 5, "01.07.2026", 90]])
    result = runner.invoke(app, ["ingest", "--mapping", mapping, data])
    assert result.exit_code == 2, result.output
    assert key in result.stderr
    assert inbox() == []


def test_a_crash_after_keeping_is_finished_by_the_same_ingest(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mapping, data = write(db, MAPPING, [[1, 17, 99, 5, "01.07.2026", 90]])
    real_insert = SqlEntries.move_staged

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(SqlEntries, "move_staged", crash)
    assert runner.invoke(app, ["ingest", "--mapping", mapping, data]).exit_code != 0
    monkeypatch.setattr(SqlEntries, "move_staged", real_insert)
    [kept] = inbox()
    assert kept["status"] == "received"
    # the retry has no mapping: it leaves the sheet as it is rather than misread it
    retried = runner.invoke(app, ["inbox", "retry", "--json"])
    assert retried.exit_code == 0 and json.loads(retried.stdout) == []
    result = runner.invoke(app, ["ingest", "--mapping", mapping, data, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["accepted"] == 1
    assert [p["status"] for p in inbox()] == ["processed"]
