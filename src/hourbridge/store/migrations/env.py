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

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite alters a table by copying it and dropping the old one, which its foreign
        # keys refuse while rows point at it. The pragma only takes effect outside a
        # transaction, so it goes to the driver before SQLAlchemy begins one; the keys are
        # checked after the migration and the connection is not reused with them off.
        connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            "PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left {len(broken)} rows whose foreign key "
                                       f"points nowhere, e.g. {broken[0]}; nothing changed")
        connection.commit()
    finally:
        if sqlite:
            connection.invalidate()  # never back into the pool with foreign keys off
