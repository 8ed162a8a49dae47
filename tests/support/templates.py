"""Fresh databases already at the schema head, made by copying one migrated template.

Migrating an empty database costs about a quarter of a second on SQLite and more on
PostgreSQL; most tests bootstrap a database of their own, and measured on the suite that was
more than half the time of the modules that do (40 migrations: 11.3 s of 18.4 s). Each test
process therefore migrates one template per engine, through the product's own
``migrate.upgrade``, the first time a test asks, and every fresh database is a copy of it:
SQLite's file copied, PostgreSQL's ``CREATE DATABASE … TEMPLATE``. A copy is the schema the
migrations make, byte for byte (SQLite) or block for block (PostgreSQL); the migrations
themselves are still run, from empty, by the tests that are about them
(tests/integration/test_migrations.py and the tests marked ``empty_database``).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from hourbridge.store import migrate
from hourbridge.store.engine import make_engine


@functools.cache
def _sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="hb-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    # everything in the main file, nothing left in a write-ahead log beside it: the copy is
    # the file alone (the header keeps WAL mode for the copy)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def migrated_sqlite(path: Path | str) -> str:
    """A new SQLite database at ``path`` at the schema head; its URL."""
    shutil.copyfile(_sqlite_template(), path)
    return f"sqlite:///{path}"


@functools.cache
def _postgres_template(base: str) -> str:
    import psycopg

    name = f"hb_template_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    _CREATED.append((base, name))
    engine = make_engine(make_url(base).set(database=name).render_as_string(
        hide_password=False))
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()  # a template must have no session open when it is copied
    return name


_CREATED: list[tuple[str, str]] = []  # (server, template) made by this process


def drop_templates() -> None:
    """Drop this process's PostgreSQL templates (the test session's end; also at exit, for a
    process that ends without one)."""
    while _CREATED:
        _drop(*_CREATED.pop())
    _postgres_template.cache_clear()


atexit.register(drop_templates)


def _drop(base: str, name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error:
        pass  # the server went first: nothing left to drop


def create_postgres(base: str, name: str, migrated: bool) -> None:
    """Database ``name`` on ``base``'s server: empty, or a copy of the migrated template."""
    import psycopg

    template = f' TEMPLATE "{_postgres_template(base)}"' if migrated else ""
    with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{template}')
