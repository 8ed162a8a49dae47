"""A real HTTP server for tests: ``hourbridge serve`` in a subprocess on a free local port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def admin_key(env: dict[str, str]) -> str:
    """A new admin key (never throttled) made by ``hourbridge keys create`` on ``env``'s
    database."""
    cli = Path(sys.executable).with_name("hourbridge")
    done = subprocess.run([str(cli), "keys", "create", "--role", "admin", "--name", "tests",
                           "--rate-limit", "0", "--json"], env=env, check=True,
                          capture_output=True, timeout=120)
    key: str = json.loads(done.stdout)["key"]
    return key


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    key: str = ""

    @property
    def headers(self) -> dict[str, str]:
        """The credential every API route but the probes needs (an admin key)."""
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def http(self) -> httpx.Client:
        """A client sending ``headers`` (close it, or use it in ``with``)."""
        return httpx.Client(headers=self.headers, timeout=60)

    def memory_kib(self, field: str = "VmRSS") -> int:
        """``VmRSS`` (now) or ``VmHWM`` (peak) of the server process, in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise LookupError(field)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def serve(database_url: str, log_path: Path, timeout: float = 30.0) -> Iterator[Server]:
    """Start the API on ``database_url``; stdout and stderr go to ``log_path``."""
    port = free_port()
    # a secret key of its own, as an operator sets one: dashboard logins sign their cookie
    # with it (and connection secrets are encrypted with it)
    env = {"HOURBRIDGE_SECRET_KEY": Fernet.generate_key().decode(), **os.environ,
           "HOURBRIDGE_DATABASE_URL": database_url}
    cli = Path(sys.executable).with_name("hourbridge")
    # as an operator would: PostgreSQL gets its schema from `db upgrade`, never from serve
    subprocess.run([str(cli), "db", "upgrade"], env=env, check=True, capture_output=True,
                   timeout=120)
    key = admin_key(env)
    with log_path.open("wb") as log:
        process = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1",
                                    "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                   env=env)
    server = Server(f"http://127.0.0.1:{port}", process, log_path, key)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {server.log()}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"server did not start: {server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
