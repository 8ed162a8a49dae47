"""Migrations are the only way a schema is created; the migrated schema equals the metadata."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, insert, inspect, text

from hourbridge.store import migrate
from hourbridge.store.engine import make_engine
from hourbridge.store.tables import metadata

# each test migrates an empty database itself (not a migrated template's copy)
pytestmark = pytest.mark.empty_database


def _head() -> str | None:
    return ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()


def _created_on(dialect: str) -> Any:
    """Alembic's filter: a constraint of the metadata is compared only where its DDL is
    created (``ddl_if``: the keys of the tables written in bulk exist on SQLite only, see
    ``tables.base.checked_per_statement``)."""
    def include(obj: Any, name: str | None, type_: str, reflected: bool,
                compare_to: Any) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return reflected or condition is None or condition.dialect in (None, dialect)
    return include


def test_migrated_schema_equals_metadata(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": True,
                "include_object": _created_on(conn.dialect.name)})
            diff = compare_metadata(context, metadata)
        assert diff == []
        assert migrate.current_revision(engine) == _head()
        assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    finally:
        engine.dispose()


def test_reset_then_upgrade_recreates_everything(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        migrate.reset(engine)
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == _head()
    finally:
        engine.dispose()


def _filler(column: Any, row_id: int) -> Any:
    """A value a column of the old schema accepts (ids and foreign keys: the row's id)."""
    if column.foreign_keys:  # the value the referenced column got
        return _filler(next(iter(column.foreign_keys)).column, row_id)
    kind = type(column.type).__name__.lower()
    if column.primary_key and "int" in kind:
        return row_id
    if "int" in kind:
        return 0
    if "bool" in kind:
        return False
    if kind in ("date",):
        return date(2026, 7, 1)
    if "time" in kind:
        return datetime(2026, 7, 1, tzinfo=UTC)
    if "numeric" in kind or "decimal" in kind or "float" in kind:
        return 0
    if "json" in kind:
        return {}
    if "binary" in kind or "blob" in kind or "bytea" in kind:
        return b"x"
    return f"k{row_id}"


def test_upgrade_keeps_rows_of_every_table(database_url: str) -> None:
    """An old database with a row in every table (foreign keys pointing at each other)
    upgrades to the newest schema: SQLite rebuilds tables with rows pointing at them."""
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, "0001")
        old = MetaData()
        old.reflect(engine)
        with engine.begin() as conn:
            for table in old.sorted_tables:
                if table.name == "alembic_version":
                    continue
                conn.execute(insert(table).values(
                    {c.name: _filler(c, 1) for c in table.columns
                     if not c.nullable or c.foreign_keys or c.primary_key}))
        counts_before = {n: _count(engine, n) for n in old.tables}
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == _head()
        assert {n: _count(engine, n) for n in old.tables} == counts_before
    finally:
        engine.dispose()


def _count(engine: Any, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_the_cheap_reading_of_revisions_agrees_with_alembic(database_url: str) -> None:
    """Start-up (issue 16) reads the head, the known revisions and the database's revision
    without Alembic; Alembic reads the same, at every step of the chain."""
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    assert migrate.head_revision() == script.get_current_head()
    assert migrate.known_revisions() == {r.revision for r in script.walk_revisions()}
    graph = migrate.revision_graph()
    assert graph is not None
    assert graph == {r.revision: (r.down_revision,) if isinstance(r.down_revision, str)
                     else tuple(r.down_revision or ()) for r in script.walk_revisions()}
    engine = make_engine(database_url)
    try:
        migrate.reset(engine)
        assert migrate.current_revision(engine) is None
        for step in ("0001", "0013_audit_log", "head"):
            migrate.upgrade(engine, step)
            with engine.connect() as conn:
                expected = MigrationContext.configure(conn).get_current_revision()
            assert migrate.current_revision(engine) == expected
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
