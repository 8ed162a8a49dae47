"""``hourbridge ingest --format harvest|toggl|clockify|kimai``: every tracker sample in
``/work/shared/samples`` (or ``HOURBRIDGE_SAMPLES``) goes through the inbox and yields entries
or exceptions with reasons; none is dropped. Ids map through the bundle's aliases."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hourbridge.cli.app import app
from support.firm import small_firm_bundle

SAMPLES = Path(os.environ.get("HOURBRIDGE_SAMPLES", "/work/shared/samples"))
TRACKERS = ("harvest", "toggl", "clockify", "kimai")
runner = CliRunner()
# tracker ids in the samples, per tracker: (users, projects, tasks)
IDS = {
    "harvest": (("1782959", "4955639", "2348607"), ("14307913", "41068261", "19919748"),
                ("8083365", "22630607", "11399145")),
    "toggl": (("7654321", "30809356", "4232226"), ("193791044", "202793182", "265931152"),
              ()),
    "clockify": (("5a0ab5acb07987125438b60f",),
                 ("5b641568b07987035750505e", "25b687e29ae1f428e7ebe123"),
                 ("54m377ddd3fcab07cfbb432w",)),
    "kimai": (("3",), ("7",), ("12",)),
}


def tracker_bundle(unaliased: str | None = None) -> dict[str, Any]:
    """The small firm open since 2018 (the samples' dates), with every sample id aliased
    (but the project ids of ``unaliased``)."""
    bundle = small_firm_bundle()
    bundle["entities"][0]["lock_date"] = "2017-12-31"
    k1 = bundle["contracts"][0]
    k1["start_date"] = k1["versions"][0]["effective_from"] = "2018-01-01"
    for project in bundle["projects"]:
        for a in project["assignments"]:
            a["valid_from"] = "2018-01-01"
    for row in bundle["rate_cards"][0]["rows"]:
        row["valid_from"] = "2018-01-01"
    bundle["rate_cards"][0]["rows"] = [r for r in bundle["rate_cards"][0]["rows"]
                                       if r["id"] != "senior-2"]
    bundle["rate_cards"][0]["rows"][0].pop("valid_until")
    aliases = []
    for tracker, (users, projects, tasks) in IDS.items():
        aliases += [{"source": tracker, "kind": "user", "external_id": u, "code": "E1"}
                    for u in users]
        if tracker != unaliased:
            aliases += [{"source": tracker, "kind": "project", "external_id": p, "code": "P1"}
                        for p in projects]
        aliases += [{"source": tracker, "kind": "task", "external_id": t, "code": "DEV"}
                    for t in tasks]
    bundle["aliases"] = aliases
    return bundle


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> Any:
    """The command's JSON; its exit code as README documents it: an intake exits 1 when rows
    became exceptions and 2 when a payload was unreadable, a retry 1 while rows stay open."""
    result = runner.invoke(app, [*args, "--json"])
    data = json.loads(result.stdout) if result.stdout.strip() else None
    expected = {0}
    if args[0] == "ingest" and data is not None:
        expected = {2 if any(r.get("unreadable") for r in data)
                    else 1 if any(r["rejected"] for r in data) else 0}
    elif args[:2] == ("exceptions", "retry"):
        expected = {0, 1}
    assert result.exit_code in expected, (expected, result.output)
    return data


def load(tmp: Path, bundle: dict[str, Any]) -> None:
    path = tmp / "bundle.yaml"
    path.write_text(yaml.safe_dump(bundle))
    invoke("load", str(path))


def exceptions() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = invoke("exceptions", "list", "--limit", "1000")["items"]
    return items


needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no samples at {SAMPLES}")


@needs_samples
@pytest.mark.parametrize("tracker", TRACKERS)
def test_every_sample_is_taken_and_nothing_is_dropped(db: Path, tracker: str) -> None:
    load(db, tracker_bundle())
    files = sorted(str(p) for p in (SAMPLES / tracker).glob("*.json"))
    reports = invoke("ingest", "--format", tracker, *files)
    assert len(reports) == len(files)
    for r in reports:
        # every row became something: stored, unchanged, or an exception with a reason
        assert r["rows"] == r["accepted"] + r["revised"] + r["unchanged"] + r["rejected"] \
            + r["deleted"] + r["corrections_proposed"] or (r["rows"] == 0 and r["rejected"] == 1)
        assert sum(r["reasons"].values()) == r["rejected"]
    time_files = [r for r in reports if r["rows"] > 0]
    assert time_files, "the tracker's time-entry responses are read as entries"
    assert sum(r["accepted"] for r in reports) > 0
    for r in reports:
        if r["rows"] == 0:  # a request, an error body or a token: kept, refused with a reason
            assert set(r["reasons"]) == {"invalid_format"}, r
        else:
            assert "invalid_format" not in r["reasons"], r
    # no payload said "not valid JSON": each one is JSON the tracker sends
    assert not [e for e in exceptions() if "not valid JSON" in e["message"]]


@needs_samples
def test_a_single_harvest_object_is_an_entry_not_invalid_json(db: Path) -> None:
    load(db, tracker_bundle())
    [report] = invoke("ingest", "--format", "harvest",
                      str(SAMPLES / "harvest" / "time_entry_get_by_id.json"))
    assert (report["rows"], report["accepted"], report["rejected"]) == (1, 1, 0)


@needs_samples
@pytest.mark.parametrize("tracker", ("toggl", "kimai"))
def test_a_running_timer_is_an_exception_not_an_entry(db: Path, tracker: str) -> None:
    load(db, tracker_bundle())
    sample = {"toggl": "me.time_entries.response.json",
              "kimai": "timesheets.list.response.json"}[tracker]
    [report] = invoke("ingest", "--format", tracker, str(SAMPLES / tracker / sample))
    assert report["reasons"].get("timer_running") == 1
    assert report["accepted"] == report["rows"] - 1


@needs_samples
def test_an_unknown_alias_is_an_exception_naming_the_id(db: Path) -> None:
    load(db, tracker_bundle(unaliased="harvest"))
    [report] = invoke("ingest", "--format", "harvest",
                      str(SAMPLES / "harvest" / "time_entries.page1.json"))
    assert report["reasons"] == {"unknown_alias": 2} and report["accepted"] == 0
    messages = [e["message"] for e in exceptions() if e["reason"] == "unknown_alias"]
    # the tracker's own code for the project is shown with its id
    assert messages and all("harvest project 14307913 (PRJ-1042) has no alias" in m
                            for m in messages)


def test_an_alias_to_an_unknown_code_is_refused_at_load(db: Path) -> None:
    bundle = tracker_bundle()
    bundle["aliases"].append({"source": "harvest", "kind": "project", "external_id": "1",
                              "code": "NOPE"})
    path = db / "bundle.yaml"
    path.write_text(yaml.safe_dump(bundle))
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 2 and "unknown code 'NOPE'" in result.stderr


def test_canonical_files_still_need_a_source_and_formats_are_checked(db: Path) -> None:
    (db / "t.csv").write_text("external_id,employee,project,date,hours\n")
    assert "--source is required" in runner.invoke(app, ["ingest", "t.csv"]).stderr
    result = runner.invoke(app, ["ingest", "--format", "excel", "t.csv"])
    assert result.exit_code == 2 and "one of canonical, harvest" in result.stderr


def test_connections_from_the_command_line_never_show_the_token(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    from support.trackers import Imitation, imitate

    monkeypatch.setenv("HOURBRIDGE_CONNECTION_TOKEN", "tok-secret")
    assert "HOURBRIDGE_SECRET_KEY" in runner.invoke(
        app, ["connections", "add", "h", "--tracker", "harvest", "--base-url",
              "https://api.harvestapp.com", "--account-id", "1"]).stderr
    monkeypatch.setenv("HOURBRIDGE_SECRET_KEY", Fernet.generate_key().decode())
    stored = runner.invoke(app, ["connections", "add", "h", "--tracker", "harvest",
                                  "--base-url", "http://tracker.example", "--account-id", "1"])
    assert stored.exit_code == 0  # stored; the plain-http URL is refused when used
    assert runner.invoke(app, ["connections", "test", "h"]).exit_code == 2
    invoke("connections", "remove", "h")
    with imitate(Imitation("harvest")) as tracker:
        tracker.seed(3)
        invoke("connections", "add", "h", "--tracker", "harvest", "--base-url", tracker.url,
               "--account-id", "1")
        tested = invoke("connections", "test", "h")
        assert (tested["name"], tested["ok"]) == ("h", True)
        listed = runner.invoke(app, ["connections", "list", "--json"])
        assert "tok-secret" not in listed.stdout + listed.stderr
        assert json.loads(listed.stdout)[0]["tracker"] == "harvest"
        missing = runner.invoke(app, ["connections", "add", "c", "--tracker", "clockify",
                                      "--base-url", tracker.url])
        assert missing.exit_code == 0
        pulled = runner.invoke(app, ["sync", "c"])
        # a Clockify connection pointed at Harvest: its report is not there (404), one line
        assert pulled.exit_code == 2 and "404" in pulled.stderr
    assert runner.invoke(app, ["sync", "nope"]).exit_code == 2


@needs_samples
def test_adding_the_missing_alias_and_retrying_takes_the_rows_that_waited(db: Path) -> None:
    load(db, tracker_bundle(unaliased="harvest"))
    page1 = str(SAMPLES / "harvest" / "time_entries.page1.json")
    [report] = invoke("ingest", "--format", "harvest", page1)
    assert report["reasons"] == {"unknown_alias": 2}
    load(db, tracker_bundle())  # the aliases of the project ids now exist
    retried = invoke("exceptions", "retry")
    assert exceptions() == [], retried
    [again] = invoke("ingest", "--format", "harvest", page1)
    assert again["duplicate_payload"]
