"""``hourbridge webhooks`` and ``hourbridge deadletters`` on the command line, and the dead
letters on the API: list with reasons, show with the audit, replay by id/reason/since."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from support.api import actor, api_client
from support.webhook_receiver import Receiver, webhook_receiver

runner = CliRunner()
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks library vector's


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("HOURBRIDGE_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver(SECRET) as r:
        yield r


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


def _dead_letter(env: Path, key: str = "je-1") -> int:
    """One dead letter: an event nothing handles (no_handler)."""
    hb = bootstrap(Settings())
    try:
        with hb.uow() as uow:
            uow.outbox.add(key, "hourbridge.unknown.v1", key, {"id": key},
                           datetime.now(UTC))
            uow.commit()
        hb.worker.drain()
    finally:
        hb.close()
    [row] = [r for r in run_json("deadletters", "list") if r["key"] == key]
    return int(row["id"])


def test_webhooks_add_list_test_remove(env: Path, receiver: Receiver,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOURBRIDGE_WEBHOOK_SECRET", SECRET)
    added = run_json("webhooks", "add", "erp", "--url", receiver.url, "--event-type", "*")
    assert added["status"] == "active" and "secret" not in added  # given, so not shown
    [listed] = run_json("webhooks", "list")
    assert listed["name"] == "erp" and SECRET not in json.dumps(listed)
    tested = run_json("webhooks", "test", "erp")
    assert tested["status"] == 204 and receiver.raw[0].signed
    assert receiver.raw[0].msg_id == tested["webhook_id"]
    assert run_json("webhooks", "deliveries", "erp") == []  # a test is not an outbox delivery
    run("webhooks", "remove", "erp")
    assert run_json("webhooks", "list") == []
    bad = run("webhooks", "remove", "erp", code=2)
    assert "not found" in bad.output


def test_a_made_secret_is_printed_once(env: Path, receiver: Receiver) -> None:
    out = run("webhooks", "add", "made", "--url", receiver.url, "--event-type", "*").stdout
    assert "signing secret (shown once" in out and "whsec_" in out
    assert "whsec_" not in run("webhooks", "list").stdout


def test_deadletters_list_show_replay(env: Path) -> None:
    letter = _dead_letter(env)
    [row] = run_json("deadletters", "list", "--reason", "no_handler")
    assert row["id"] == letter and row["reason"] == "no_handler"
    assert run_json("deadletters", "list", "--reason", "refused") == []
    assert run_json("deadletters", "list", "--since", "2999-01-01T00:00Z") == []
    shown = run_json("deadletters", "show", str(letter))
    assert shown["payload"] == {"id": "je-1"} and shown["replays"] == []
    done = run_json("deadletters", "replay", str(letter), "--by", "ops",
                    "--note", "handler deployed")
    assert done["replayed"] == [letter]
    again = run_json("deadletters", "replay", str(letter), "--by", "ops")
    assert again["replayed"] == [] and again["not_dead"] == [letter]
    [audit] = run_json("deadletters", "show", str(letter))["replays"]
    assert (audit["replayed_by"], audit["note"], audit["dead_reason"]) == (
        "ops", "handler deployed", "no_handler")


def test_deadletters_refuse_unknown_reasons_and_naive_times(env: Path) -> None:
    bad = run("deadletters", "replay", "--reason", "because", code=2)
    assert "no_handler" in bad.output  # lists the valid codes
    naive = run("deadletters", "list", "--since", "2026-12-06T08:00", code=2)
    assert "time zone" in naive.output
    nothing = run("deadletters", "replay", "--by", "ops", code=2)
    assert "name the dead letters" in nothing.output


def test_worker_help_documents_concurrency() -> None:
    out = run("worker", "--help").stdout
    assert "--concurrency" in out and "SQLite uses one" in out


@pytest.fixture
def client(env: Path) -> Iterator[tuple[TestClient, Hourbridge]]:
    hb = bootstrap(Settings())
    with api_client(hb) as c:
        yield c, hb
    hb.close()


def test_api_dead_letters_show_and_replay(client: tuple[TestClient, Hourbridge],
                                          env: Path) -> None:
    c, _ = client
    letter = _dead_letter(env, "je-api")
    listed = c.get("/v1/dead-letters", params={"reason": "no_handler"}).json()["items"]
    assert [r["id"] for r in listed] == [letter]
    assert c.get("/v1/dead-letters", params={"reason": "nope"}).status_code == 422
    shown = c.get(f"/v1/dead-letters/{letter}").json()
    assert shown["key"] == "je-api" and shown["status"] == "dead"
    assert c.get("/v1/dead-letters/999999").status_code == 404
    r = c.post("/v1/dead-letters/replay", json={"reason": "no_handler", "actor": "api-user",
                                                 "note": "retry"})
    assert r.status_code == 200, r.text
    assert r.json()["replayed"] == [letter] and r.json()["by"] == actor(c)  # the key's
    [audit] = c.get(f"/v1/dead-letters/{letter}").json()["replays"]
    assert audit["replayed_by"] == actor(c)
    assert c.post("/v1/dead-letters/replay", json={"actor": "x"}).status_code == 422
