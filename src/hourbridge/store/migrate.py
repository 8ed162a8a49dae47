"""Alembic, driven from code: migrations are the only way a schema is created.

Every command that opens the database first asks whether its schema is this code's head
(``dbsetup``). That question is answered without Alembic, which costs a quarter of a second
to import and then imports every migration to read its revision: the version files'
``revision`` / ``down_revision`` assignments are read as syntax trees, and the database's
revision is one row of ``alembic_version``. Alembic itself is imported only to migrate, or
when the cheap reading finds something it does not expect (then Alembic answers, as before).
tests/integration/test_migrations.py checks the two readings agree.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSIONS = MIGRATIONS / "versions"
VERSION_TABLE = "alembic_version"


def alembic_config(engine: Engine) -> Config:
    cfg = alembic_config_without_engine()
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, ``None`` before the first migration."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        stamped = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(stamped) <= 1:
        return stamped[0] if stamped else None
    return _alembic_current_revision(engine)  # several heads stamped: Alembic's own error


def _alembic_current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def reset(engine: Engine) -> None:
    """Drop every Hourbridge table (and Alembic's version row): ``demo --reset``."""
    from .tables import metadata

    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))


def head_revision() -> str:
    """The newest schema this code knows."""
    graph = revision_graph()
    if graph is not None:
        parents = {down for downs in graph.values() for down in downs}
        heads = [rev for rev in graph if rev not in parents]
        if len(heads) == 1:
            return heads[0]
    return _alembic_head_revision()


def known_revisions() -> set[str]:
    graph = revision_graph()
    return set(graph) if graph is not None else _alembic_known_revisions()


@cache
def revision_graph() -> dict[str, tuple[str, ...]] | None:
    """Each migration's revision and the revisions it follows, read from the version files'
    module-level assignments; ``None`` when a file does not declare them as plain literals."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in ("revision",
                                                                      "down_revision"):
                        try:
                            values[target.id] = ast.literal_eval(node.value)
                        except ValueError:
                            return None
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str) or revision in graph:
            return None
        downs = (down,) if isinstance(down, str) else down if isinstance(down, tuple) else ()
        if down is not None and not (downs and all(isinstance(d, str) for d in downs)):
            return None
        graph[revision] = tuple(str(d) for d in downs)
    return graph or None


def _alembic_head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config_without_engine()).get_current_head()
    assert head is not None
    return head


def _alembic_known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config_without_engine())
    return {rev.revision for rev in script.walk_revisions()}


def alembic_config_without_engine() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg
