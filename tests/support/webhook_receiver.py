"""A loopback webhook receiver for tests: a real HTTP server in a thread that checks each
delivery's Standard Webhooks signature, de-duplicates by ``webhook-id`` (as the spec asks
receivers to) and answers from a script."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hourbridge.connectors.webhooks import verify


@dataclass(frozen=True)
class Delivery:
    msg_id: str
    timestamp: int
    body: bytes
    signed: bool


@dataclass
class Receiver:
    secret: str
    # answer for the n-th raw delivery (0-based) of a webhook-id: (status, headers)
    answer: Callable[[str, int], tuple[int, dict[str, str]]] = lambda msg_id, n: (204, {})
    delay: float = 0.0  # seconds each answer takes (to be killed mid-delivery)
    raw: list[Delivery] = field(default_factory=list)
    applied: dict[str, Delivery] = field(default_factory=dict)  # first 2xx per webhook-id
    acked: dict[str, int] = field(default_factory=dict)  # 2xx answers per webhook-id
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    inflight: int = 0  # requests received and not yet answered

    def record(self, d: Delivery) -> tuple[int, dict[str, str]]:
        with self.lock:
            n = sum(1 for r in self.raw if r.msg_id == d.msg_id)
            self.raw.append(d)
            self.inflight += 1
        try:
            if self.delay:
                time.sleep(self.delay)
        finally:
            with self.lock:
                self.inflight -= 1
        if not d.signed:
            return 401, {}
        status, headers = self.answer(d.msg_id, n)
        if 200 <= status < 300:
            with self.lock:
                self.applied.setdefault(d.msg_id, d)  # de-duplicated by webhook-id
                self.acked[d.msg_id] = self.acked.get(d.msg_id, 0) + 1
        return status, headers


@contextmanager
def webhook_receiver(secret: str, **kwargs: object) -> Iterator[Receiver]:
    receiver = Receiver(secret, **kwargs)  # type: ignore[arg-type]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            msg_id = self.headers.get("webhook-id", "")
            ts = int(self.headers.get("webhook-timestamp", "0"))
            signed = verify(receiver.secret, msg_id, ts, body,
                            self.headers.get("webhook-signature", ""))
            status, headers = receiver.record(Delivery(msg_id, ts, body, signed))
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
