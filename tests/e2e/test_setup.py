"""The first hour: set-up says what it does, and refuses in one line what it cannot do.

SQLite creates and migrates its database on first use and says so once; PostgreSQL needs
``hourbridge db upgrade``; a bad URL, an unreachable server, a missing folder or a schema newer
than the code is one line on stderr and exit 2 (README "Settings").
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hourbridge import __version__
from hourbridge.api.app import create_app
from hourbridge.bootstrap import bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from hourbridge.store import migrate

runner = CliRunner()
# the newest migration (helpers add migrations in parallel: the lead re-chains them)
HEAD = ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()


def _one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HOURBRIDGE_DATABASE_URL", raising=False)
    return tmp_path


def test_sqlite_default_is_created_on_first_use_and_said_once(here: Path) -> None:
    first = runner.invoke(app, ["invoices", "list", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == []
    assert _one_line(first.stderr) == f"created hourbridge.db (schema {HEAD}) in {here}"
    assert (here / "hourbridge.db").exists()
    again = runner.invoke(app, ["invoices", "list", "--json"])
    assert again.exit_code == 0 and again.stderr == ""


def test_sqlite_schema_newer_than_the_code_is_refused(here: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with sqlite3.connect(here / "hourbridge.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    for args in (["invoices", "list"], ["db", "upgrade"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        line = _one_line(result.stderr)
        assert f"schema 9999, newer than this hourbridge knows ({HEAD})" in line
    hb = bootstrap(Settings(database_url=f"sqlite:///{here}/hourbridge.db"), upgrade=False)
    with TestClient(create_app(hb)) as client:  # /readyz needs no credential
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["code"] == "schema_ahead"


@pytest.mark.postgres
def test_postgresql_needs_db_upgrade_first(postgres_url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", postgres_url)
    hb = bootstrap(Settings(database_url=postgres_url), upgrade=False)
    with TestClient(create_app(hb)) as client:  # /readyz needs no credential
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["code"] == "schema_missing"
        assert "hourbridge db upgrade" in r.json()["detail"]
    refused = runner.invoke(app, ["invoices", "list"])
    assert refused.exit_code == 2
    line = _one_line(refused.stderr)
    assert "has no schema yet: run `hourbridge db upgrade`" in line
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    works = runner.invoke(app, ["invoices", "list", "--json"])
    assert works.exit_code == 0 and json.loads(works.stdout) == [] and works.stderr == ""
    hb = bootstrap(Settings(database_url=postgres_url), upgrade=False)
    with TestClient(create_app(hb)) as client:  # /readyz needs no credential
        assert client.get("/readyz").json() == {
            "status": "ready", "schema_revision": HEAD, "schema_state": "current"}


@pytest.mark.postgres
def test_db_upgrade_warns_when_postgresql_will_not_vacuum(postgres_url: str,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """The open- and pending-work indexes rely on vacuum (README, Settings): `db upgrade`
    says so when the server's autovacuum is off (this test server's is), and when the table
    of those indexes has its own autovacuum disabled, until it is reset."""
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", postgres_url)
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        server_on = conn.execute("SHOW autovacuum").fetchone() == ("on",)
        assert ("warning: autovacuum is off on this PostgreSQL server" in first.stderr) is (
            not server_on), first.stderr
        assert "disabled on table" not in first.stderr
        conn.execute("ALTER TABLE time_entries SET (autovacuum_enabled = off)")
        off = runner.invoke(app, ["db", "upgrade"])
        assert off.exit_code == 0, off.output
        assert ("warning: autovacuum is disabled on table time_entries: the indexes of "
                "pending and open work keep an entry for every row that left them until a "
                "VACUUM") in off.stderr, off.stderr
        assert "ALTER TABLE time_entries RESET (autovacuum_enabled)" in off.stderr
        assert off.stderr.count("disabled on table") == 1
        conn.execute("ALTER TABLE time_entries RESET (autovacuum_enabled)")
        reset = runner.invoke(app, ["db", "upgrade"])
        assert reset.exit_code == 0 and "disabled on table" not in reset.stderr


def test_db_upgrade_on_sqlite_warns_of_nothing(here: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


@pytest.mark.parametrize(("url", "expected"), [
    ("mysql://me:hunter2@db/x", "unknown scheme 'mysql'"),
    ("not a url", "is not a database URL"),
    ("postgresql://me:hunter2@127.0.0.1:1/x", "cannot connect to postgresql://me:***@"
                                              "127.0.0.1:1/x: "),
    ("sqlite:///{tmp}/missing/folder/h.db", "the folder {tmp}/missing/folder does not exist"),
])
def test_unusable_database_is_one_line_and_exit_2(here: Path, monkeypatch: pytest.MonkeyPatch,
                                                  url: str, expected: str) -> None:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url.format(tmp=here))
    for args in (["invoices", "list"], ["db", "upgrade"], ["demo", "--json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        line = _one_line(result.stderr)
        assert line.startswith("error (setup): ") and expected.format(tmp=here) in line
        assert "hunter2" not in result.output
        assert result.stdout == ""


def _hourbridge(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("hourbridge")), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_serve_refuses_an_unreachable_database_at_start_up(here: Path) -> None:
    result = _hourbridge("serve", "--port", "0", HOURBRIDGE_DATABASE_URL=(
        "postgresql://me:hunter2@127.0.0.1:1/x"))
    assert result.returncode == 2
    assert "cannot connect to postgresql://me:***@127.0.0.1:1/x" in _one_line(result.stderr)


def test_version(here: Path) -> None:
    for flag in ("--version", "-V"):
        result = runner.invoke(app, [flag])
        assert result.exit_code == 0 and result.stdout == f"hourbridge {__version__}\n"
    assert not (here / "hourbridge.db").exists()  # no database needed to say it


def test_log_level_is_honoured(here: Path) -> None:
    quiet = _hourbridge("invoices", "list", "--json")
    assert quiet.returncode == 0 and "database opened" not in quiet.stderr
    loud = _hourbridge("invoices", "list", "--json", HOURBRIDGE_LOG_LEVEL="debug")
    assert loud.returncode == 0 and "database opened" in loud.stderr
    as_json = _hourbridge("invoices", "list", "--json", HOURBRIDGE_LOG_LEVEL="DEBUG",
                          HOURBRIDGE_LOG_FORMAT="json")
    events = [json.loads(ln) for ln in as_json.stderr.splitlines() if ln.startswith("{")]
    assert {"event": "database opened", "level": "debug"}.items() <= events[0].items()
    bad = _hourbridge("invoices", "list", HOURBRIDGE_LOG_LEVEL="loud")
    assert bad.returncode == 2 and "HOURBRIDGE_LOG_LEVEL" in _one_line(bad.stderr)
