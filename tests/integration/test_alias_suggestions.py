"""An unknown tracker id (issue 11 item 5) waits as an ``unknown_alias`` exception whose message
suggests the codes most like it (by code and by the tracker's name for it); adding the alias
(``hourbridge aliases add``) takes the rows that waited for it at once. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.app import app as cli
from hourbridge.config import Settings
from hourbridge.connectors import TRACKERS
from hourbridge.connectors.gateway import Trackers
from hourbridge.connectors.native import NativeFile
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats.bundle import BundleDocument, to_domain
from hourbridge.store import tables as t
from support.firm import small_firm_bundle
from support.trackers import Imitation, imitate

SOURCE = "acme-harvest"


def entry(ident: int, project: int, code: str | None, name: str, task: str = "Development"
          ) -> dict[str, object]:
    return {"id": ident, "spent_date": "2026-07-02", "hours": 1.5, "notes": f"item {ident}",
            "user": {"id": 17, "name": "Dana Reyes"},
            "project": {"id": project, "name": name, "code": code},
            "task": {"id": 55, "name": task}, "billable": True, "is_running": False,
            "updated_at": "2026-07-02T10:00:00Z"}


@pytest.fixture
def hb(database_url: str) -> Iterator[Hourbridge]:
    app = bootstrap(Settings(database_url=database_url))
    bundle = {**small_firm_bundle(), "aliases": [
        {"source": SOURCE, "kind": "user", "external_id": "17", "code": "E1"},
        {"source": SOURCE, "kind": "task", "external_id": "55", "code": "DEV"}]}
    app.handle(c.LoadMasterData(to_domain([("bundle", BundleDocument.model_validate(bundle))])))
    yield app
    app.close()


def test_unknown_ids_suggest_codes_and_adding_the_alias_takes_what_waited(
        hb: Hourbridge) -> None:
    page = {"time_entries": [entry(1, 777, "P-1", "ERP Rollout"),
                             entry(2, 777, "P-1", "ERP Rollout"),
                             entry(3, 888, None, "Internal admin")]}
    payload = NativeFile.from_bytes(TRACKERS["harvest"], "page.json",
                                    json.dumps(page).encode())
    report = hb.handle(c.IngestTimeEntries(SOURCE, payload)).as_dict()
    assert (report["accepted"], report["reasons"]) == (0, {"unknown_alias": 3})
    messages = {x["external_id"]: x["message"] for x in hb.queries.exceptions()}
    assert "project 777 (P-1) has no alias" in messages["1"]
    assert "did you mean P1?" in messages["1"]  # the tracker's code is like ours
    assert "aliases add acme-harvest project 777 P1" in messages["1"]
    assert "did you mean INT?" in messages["3"]  # by the tracker's name for it

    with pytest.raises(InvalidInput, match="did you mean P1"):
        hb.handle(c.AddAlias(SOURCE, "project", "777", "P11"))
    with pytest.raises(InvalidInput, match="kind"):  # (customer is a kind: CRM accounts)
        hb.handle(c.AddAlias(SOURCE, "client", "777", "P1"))
    added = hb.handle(c.AddAlias(SOURCE, "project", "777", "P1"))
    assert (added["waiting"], added["resolved"], added["was"]) == (2, 2, None)
    assert sorted(e["external_id"] for e in hb.queries.entries(source=SOURCE)) == ["1", "2"]
    assert [x["external_id"] for x in hb.queries.exceptions()] == ["3"]
    again = hb.handle(c.AddAlias(SOURCE, "project", "777", "P1"))
    assert (again["waiting"], again["was"]) == (0, "P1")


def test_the_cli_adds_an_alias(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/a.db")
    runner = CliRunner()
    app = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/a.db"))
    app.handle(c.LoadMasterData(to_domain([("bundle", BundleDocument.model_validate(
        small_firm_bundle()))])))
    app.close()
    done = runner.invoke(cli, ["aliases", "add", "toggl", "user", "17", "E1", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["code"] == "E1"
    bad = runner.invoke(cli, ["aliases", "add", "toggl", "user", "17", "E9"])
    assert bad.exit_code == 2 and "E9" in bad.stderr


def test_aliases_are_learnt_from_the_trackers_lists_and_take_what_waited(
        database_url: str) -> None:
    key = Fernet.generate_key().decode()
    hb = bootstrap(Settings(database_url=database_url),
                   trackers=Trackers(TRACKERS, key, sleep=lambda s: None))
    try:
        hb.handle(c.LoadMasterData(to_domain([("bundle", BundleDocument.model_validate(
            small_firm_bundle()))])))
        with imitate(Imitation("harvest", lists={
                "users": [{"id": 17, "email": "e1"}, {"id": 18, "email": "someone@x"}],
                "projects": [{"id": 99, "name": "ERP Rollout", "code": None},
                             {"id": 98, "name": "Other", "code": "int"}],
                "tasks": [{"id": 5, "name": "development"}, {"id": 6, "name": "Devel"}]})
                ) as tracker:
            tracker.seed(4)
            name = "acme-harvest"
            hb.handle(c.AddConnection(name, "harvest", tracker.url, c.Secret((
                ("token", "tok-secret"), ("account_id", "1")))))
            # an entry of a user not yet learnt waits (ingested before any list was read)
            page = {"time_entries": [tracker.harvest_entry(tracker.entries[2])]}
            waited = hb.handle(c.IngestTimeEntries(name, NativeFile.from_bytes(
                TRACKERS["harvest"], "early.json", json.dumps(page).encode()))).as_dict()
            assert waited["reasons"] == {"unknown_alias": 1}  # its user, project and task
            tested = hb.handle(c.TestConnection(name))["aliases"]
            # user 17 is E1 (case), project 99 by name, 98 by code, task 5 by name; user 18
            # and task 6 match nothing exactly: left for a person
            assert (tested["listed"], tested["learnt"], tested["resolved"]) == (6, 4, 1)
            with hb.engine.connect() as conn:
                learnt = dict(conn.execute(select(
                    t.id_aliases.c.external_id, t.id_aliases.c.code).where(
                        t.id_aliases.c.source == name)).all())
            assert learnt == {"17": "E1", "99": "P1", "98": "INT", "5": "DEV"}
            synced = hb.handle(c.SyncConnection(name)).as_dict()
            assert synced["aliases"]["learnt"] == 0  # nothing new to learn
            # user 18's entries (1, 3) wait with a reason; user 17's are taken (2 before)
            assert (synced["accepted"], synced["unchanged"], synced["reasons"]) == (
                1, 1, {"unknown_alias": 2})
    finally:
        hb.close()
