"""Serving an ERP imitation on a free loopback port (a thread per request, as
``support.odoo`` does): each imitation is a plain object whose ``handle(Request)`` returns a
``Reply``, or ``DROP`` to close the connection without an answer (a write that committed and
whose answer was lost)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # bytes/str as is, anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)


DROP = Reply(-1)


class Imitation(Protocol):
    url: str
    latency: float  # seconds before each request is handled
    answer_latency: float  # seconds after a write is done, before its answer goes back

    def handle(self, request: Request) -> Reply: ...


class _Handler(BaseHTTPRequestHandler):
    server: Any  # HTTP/1.0: a connection per request, none left open when a test ends

    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        erp: Imitation = self.server.erp
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        parts = urlsplit(self.path)
        request = Request(self.command, parts.path, dict(parse_qsl(parts.query)),
                          {k.lower(): v for k, v in self.headers.items()}, body)
        if erp.latency:
            time.sleep(erp.latency)
        reply = erp.handle(request)
        if erp.answer_latency and request.method != "GET":
            time.sleep(erp.answer_latency)  # done: a client killed now never hears of it
        if reply is DROP:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if isinstance(reply.body, bytes | str):
            data = reply.body.encode() if isinstance(reply.body, str) else reply.body
            ctype = reply.headers.get("Content-Type", "text/plain")
        else:
            data = b"" if reply.body is None else json.dumps(reply.body).encode()
            ctype = reply.headers.get("Content-Type", "application/json")
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                if name.lower() not in ("content-type", "set-cookie"):
                    self.send_header(name, value)
            for cookie in reply.headers.get("Set-Cookie", "").split("\n"):
                if cookie:
                    self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed while waiting: what it asked for is done

    do_GET = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve


@contextmanager
def serve(erp: Imitation) -> Iterator[Imitation]:
    """Serve ``erp`` on a free loopback port until the block ends; sets ``erp.url``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.erp = erp  # type: ignore[attr-defined]
    erp.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield erp
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
