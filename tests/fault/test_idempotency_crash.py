"""An API process killed (SIGKILL) after its request committed and before it kept the response.

The Idempotency-Key is marked ``applied`` inside the request's own transaction, so when the
lease of the dead process runs out a retry with the same key is told the request was applied
(409 ``idempotency_response_lost``) instead of running it a second time. Before, the key was
settled in a transaction of its own after the commit, and this retry created a second hold.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select, update

from hourbridge.store import tables as t
from hourbridge.store.engine import make_engine
from support.api import bearer
from support.fault import Firm, figure
from support.server import admin_key, free_port, serve

HOLD = {"scope": "project", "ref": "P1", "reason": "missing_po", "actor": "am",
        "note": "PO 4711 pending"}

# The API as `hourbridge serve` runs it, except that the process kills itself with SIGKILL
# right after a request holding an Idempotency-Key commits: the worst moment, before the key
# can be settled and before the client hears anything.
DYING_SERVER = """
import os, signal, sys
import uvicorn
from hourbridge.store import idempotency, uow

def commit_then_die(conn):
    claim = idempotency._CLAIM.get()
    if claim is not None:
        os.kill(os.getpid(), signal.SIGKILL)

uow.committed = commit_then_die
from hourbridge.api.app import create_app
from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
uvicorn.run(create_app(bootstrap(Settings())), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning")
"""


def _start_dying_server(firm: Firm, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    script = folder / "dying_server.py"
    script.write_text(DYING_SERVER)
    process = subprocess.Popen([sys.executable, str(script), str(port)], env=firm.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise TimeoutError("the dying server did not start")


def test_a_request_killed_after_its_commit_never_runs_again(firm: Firm, tmp_path: Path) -> None:
    key = admin_key(firm.env)
    process, url = _start_dying_server(firm, tmp_path)
    try:
        try:
            httpx.post(f"{url}/v1/holds", json=HOLD, timeout=30,
                       headers={**bearer(key), "Idempotency-Key": "kill-1"})
            raise AssertionError("the server answered; it should have died after its commit")
        except httpx.TransportError:
            pass  # the connection dropped: the client does not know whether it happened
        assert process.wait(timeout=30) == -9
    finally:
        if process.poll() is None:
            process.kill()

    ik = t.idempotency_keys
    engine = make_engine(firm.url)
    with engine.begin() as conn:
        # the one key of this database (stored namespaced by the credential, not as sent)
        [(stored_key, status)] = conn.execute(select(ik.c.key, ik.c.status)).all()
        holds_after_crash = conn.execute(select(func.count()).select_from(t.holds)).scalar()
        # the dead process's lease runs out (instead of waiting the 60 s it lasts)
        conn.execute(update(ik).where(ik.c.key == stored_key)
                     .values(reserved_at=datetime.now(UTC) - timedelta(minutes=5)))
    engine.dispose()
    assert status == "applied" and holds_after_crash == 1

    with serve(firm.url, tmp_path / "server.log") as server:
        retry = httpx.post(f"{server.url}/v1/holds", json=HOLD,
                           headers={**server.headers, "Idempotency-Key": "kill-1"}, timeout=30)
        holds = httpx.get(f"{server.url}/v1/holds", params={"all": "true"},
                          headers=server.headers).json()["items"]
        other = httpx.post(f"{server.url}/v1/holds", json={**HOLD, "note": "another"},
                           headers={**server.headers, "Idempotency-Key": "kill-2"}, timeout=30)
    figure(f"idempotency kill -9 after commit ({firm.url.split(':')[0]}): "
           f"retry {retry.status_code} {retry.json().get('code')}, holds {len(holds)}")
    assert retry.status_code == 409, retry.text
    assert retry.json()["code"] == "idempotency_response_lost"
    assert retry.headers["content-type"].startswith("application/problem+json")
    assert len(holds) == 1  # the retry did not create a second hold
    assert other.status_code == 201  # the server works on

