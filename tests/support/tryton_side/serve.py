"""Serve one Tryton database over HTTP on a free port (run by the Tryton venv's python).

    TRYTOND_DATABASE_URI=postgresql://... python serve.py DATABASE

Binds 127.0.0.1 port 0 (no fixed port: tests run in parallel), prints ``PORT <n>`` once the
pool is loaded, then serves JSON-RPC (``trytond.wsgi.app``) until killed.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    os.environ["TRYTOND_DATABASE_NAMES"] = argv[1]  # the pool loads before the first request
    from trytond.application import app  # reads TRYTOND_DATABASE_URI, starts the pool
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
