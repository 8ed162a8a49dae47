"""Structured logs to stderr; personal fields never appear in them (ids only).

Database errors are the one place row values could slip in: a driver's message repeats them
(PostgreSQL's ``DETAIL: Key (code)=(...)``, ``Failing row contains (...)``, COPY's
``CONTEXT``). ``redact_database_errors`` installs a log-record factory, once for the process,
so whatever logger or handler formats it, a record whose exception is (or was caused by) a
database error keeps the traceback frames and the error classes and SQLSTATE, never the
messages. The engines hide statement parameters as well (``store.engine``).
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import structlog

from hourbridge.domain.classification import redact

_DATABASE_MODULES = ("sqlalchemy", "psycopg", "sqlite3")
_installed = False


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was configured: a
    command run in-process (tests, embedding) may swap stderr and close the old one, and a
    later log line must not fail on the closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR: Any = _CurrentStderr()


def _drop_classified(_logger: Any, _method: str, event: Any) -> Any:
    """No value under a classified key (domain.classification) reaches a log line."""
    return redact(event)


def logger(name: str) -> Any:
    """A structlog logger that writes to stderr at WARNING until ``configure`` says otherwise.

    structlog's own default prints every level to standard output, which corrupted documents
    a command writes there (an e-invoice on stdout began with "database opened") whenever a
    command ran without the CLI's start-up (tests, embedding)."""
    if not structlog.is_configured():
        structlog.configure(
            processors=[_drop_classified, *structlog.get_config()["processors"]],
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            logger_factory=structlog.PrintLoggerFactory(_STDERR))
    return structlog.get_logger(name)


def configure(level: str = "WARNING", json: bool = False) -> None:
    """Logs at ``level`` (``HOURBRIDGE_LOG_LEVEL``) and above, structlog's and the standard
    library's alike, as readable lines or JSON (``HOURBRIDGE_LOG_FORMAT``).

    The root logger's level is set even when a handler exists already (``basicConfig`` alone
    does nothing then: under uvicorn, or a second configure), and loggers are not cached on
    first use, so a later configure reaches loggers already used."""
    redact_database_errors()
    numeric = logging.getLevelName(level.upper())
    logging.basicConfig(stream=sys.stderr, level=numeric, format="%(message)s")
    logging.getLogger().setLevel(numeric)
    processors: list[structlog.typing.Processor] = [
        _drop_classified,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    processors.append(structlog.processors.JSONRenderer() if json
                      else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(_STDERR),
        cache_logger_on_first_use=False,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes, oldest first (as a traceback prints them)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen[::-1]


def is_database_error(exc: BaseException) -> bool:
    return any(type(e).__module__.split(".")[0] in _DATABASE_MODULES for e in _chain(exc))


def describe(exc: BaseException) -> str:
    """``module.Class`` (and SQLSTATE) of an error, without its message."""
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(exc, "sqlstate", None)
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return f"{name} (sqlstate {state}; message withheld)" if state else \
        f"{name} (message withheld)"


def redacted_traceback(exc: BaseException) -> str:
    parts = []
    for e in _chain(exc):
        parts.append("Traceback (most recent call last):\n"
                     + "".join(traceback.format_tb(e.__traceback__)) + describe(e) + "\n")
    return "\n".join(parts).rstrip("\n")


def redact_database_errors() -> None:
    """Install the redacting record factory (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_database_error(exc):
            record.exc_info = None
            record.exc_text = redacted_traceback(exc)
        return record

    logging.setLogRecordFactory(factory)
