"""Alembic environment: the engine comes from the caller (``store.migrate``), never from a file."""

from __future__ import annotations

from alembic import context

from hourbridge.store.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - alembic CLI use
    from hourbridge.config import Settings
    from hourbridge.store.engine import make_engine

    engine = make_engine(Settings().database_url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
