"""Serving the Odoo imitation (``support.odoo``) on a loopback port, a thread per request
(``imitate_odoo``), and the faults injected on the way: the imitation's own counters
(``unavailable``, ``drop_after_commit``, ``latency``, ``post_latency``) and faults drawn at
random, seeded (``Faults``)."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .odoo import Odoo


@dataclass
class Faults:
    """Faults drawn per request from a seeded ``rng``, with these probabilities: 503 and 429
    (each with ``Retry-After``), a timeout (the answer comes later than the client waits:
    half of them after the request was carried out, half never carried out), and for an
    account.move create a commit whose answer is lost (``drop``). ``injected`` counts what
    was drawn."""

    rng: random.Random
    unavailable: float = 0.0
    rate_limited: float = 0.0
    timeout: float = 0.0
    drop: float = 0.0
    hang_seconds: float = 2.0
    retry_after: int = 1
    injected: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def draw_even(self) -> bool:
        with self._lock:
            return self.rng.random() < 0.5

    def draw(self, kind: str) -> bool:
        with self._lock:
            hit = self.rng.random() < getattr(self, kind)
            self.injected[kind] += hit
            return hit


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:  # quiet: the test output stays readable
        pass

    def do_POST(self) -> None:
        odoo: Odoo = self.server.odoo
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if odoo.latency:
            time.sleep(odoo.latency)
        if odoo.post_latency and body["params"]["args"][4:5] == ["action_post"]:
            time.sleep(odoo.post_latency)
        if self.path != "/jsonrpc":
            self.send_error(404)
            return
        with odoo._lock:
            refuse = odoo.unavailable > 0
            odoo.unavailable -= refuse
        faults = odoo.faults
        status, after = (503, 0) if refuse else (0, 0)
        if faults is not None and not status:
            if faults.draw("unavailable"):
                status, after = 503, faults.retry_after
            elif faults.draw("rate_limited"):
                status, after = 429, faults.retry_after
            elif faults.draw("timeout"):  # the client gives up waiting
                if faults.draw_even():  # ...and the request is carried out meanwhile
                    odoo.handle(body)
                time.sleep(faults.hang_seconds)
                self.close_connection = True
                self.connection.shutdown(2)
                return
        if status:
            self.send_response(status)
            self.send_header("Retry-After", str(after))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        answer, drop = odoo.handle(body)
        if drop:  # committed; the answer is lost on the way back
            self.close_connection = True
            self.connection.shutdown(2)
            return
        data = json.dumps(answer).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed while waiting: what it asked for is done


@contextmanager
def imitate_odoo(odoo: Odoo) -> Iterator[Odoo]:
    """Serve ``odoo`` on a free loopback port until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.odoo = odoo  # type: ignore[attr-defined]
    odoo.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield odoo
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
