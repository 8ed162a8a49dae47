"""``hourbridge keys``: a key is printed once and stored hashed; bad input is one line, exit 2;
the command line's actor is HOURBRIDGE_ACTOR (or the OS user)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hourbridge.cli.app import app
from hourbridge.store.engine import make_engine
from support.firm import small_firm_bundle

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/keys.db"
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("HOURBRIDGE_ACTOR", "ops-anna")
    monkeypatch.chdir(tmp_path)
    return url


def run(*args: str, exit_code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == exit_code, result.output
    return result.stdout if exit_code == 0 else result.stderr


def test_keys_create_list_rotate_revoke(db: str) -> None:
    made = json.loads(run("keys", "create", "--role", "approver", "--name", "timesheets",
                          "--employee", "E1", "--json"))
    assert made["key"].startswith(f"hbk_{made['key_id']}_") and made["created_by"] == "ops-anna"
    assert "time:approve" in made["scopes"] and made["employee"] == "E1"
    secret = made["key"].split("_", 2)[2]
    with make_engine(db).connect() as conn:  # only the hash is kept
        stored = conn.exec_driver_sql("SELECT secret_hash FROM api_keys").scalar_one()
    assert secret not in stored and len(stored) == 64
    listed = json.loads(run("keys", "list", "--json"))
    assert [k["key_id"] for k in listed] == [made["key_id"]] and "key" not in listed[0]
    assert "secret_hash" not in listed[0]
    rotated = json.loads(run("keys", "rotate", made["key_id"], "--overlap", "2h", "--json"))
    assert rotated["replaces"] == made["key_id"] and rotated["key"] != made["key"]
    run("keys", "revoke", rotated["key_id"])
    states = {k["key_id"]: k["active"] for k in json.loads(run("keys", "list", "--json"))}
    assert states == {made["key_id"]: True, rotated["key_id"]: False}


BAD = [
    (["keys", "create", "--role", "root"], "unknown role 'root'"),
    (["keys", "create", "--role", "admin", "--scope", "time:delete"], "unknown scope"),
    (["keys", "create", "--role", "admin", "--name", " "], "client system's name"),
    (["keys", "create", "--role", "admin", "--rate-limit", "-1"], "rate limit"),
    (["keys", "rotate", "nokey"], "api key 'nokey' not found"),
    (["keys", "rotate", "nokey", "--overlap", "3 days"], "not a duration"),
    (["keys", "revoke", "nokey"], "not found"),
    (["keys", "policy", "XX", "--four-eyes"], "unknown entity 'XX'"),
    (["keys", "policy", "--four-eyes"], "name the entity"),
]


def test_bad_input_is_one_line_and_exit_2(db: str) -> None:
    for args, says in BAD:
        err = run(*args, exit_code=2)
        lines = [line for line in err.splitlines() if not line.startswith("created ")]
        assert says in err and len(lines) == 1, err


def test_four_eyes_policy_and_the_cli_actor(db: str, tmp_path: Path) -> None:
    bundle = tmp_path / "firm.yaml"
    bundle.write_text(yaml.safe_dump(small_firm_bundle()))
    run("load", str(bundle))
    assert json.loads(run("keys", "policy", "DE", "--four-eyes", "--json")) == {
        "DE": {"four_eyes_issue": True}}
    rows = tmp_path / "time.csv"
    rows.write_text("external_id,employee,project,task,work_date,minutes,notes\n"
                    "T1,E1,P1,DEV,2026-08-10,60,x\n")
    run("ingest", "--source", "t", str(rows))
    run("approve", "--project", "P1")  # no --actor: HOURBRIDGE_ACTOR is who acts
    assert json.loads(run("entries", "show", "t:T1", "--json"))["approved_by"] == "ops-anna"
