"""Opening the configured database truthfully, for the entry points (CLI, ``serve``).

- The embedded SQLite default creates and migrates its file on first use (and upgrades an
  older schema of its own), saying so once through ``announce``.
- PostgreSQL is migrated only by ``hourbridge db upgrade``: a database without a schema or
  with an older one is refused, naming that command.
- A schema newer than this code knows is refused on every database.
- A malformed URL, an unknown scheme, a missing SQLite folder, an unreachable server or
  refused credentials are refused too. Every refusal is one ``SetupRefused`` line (exit 2 in
  the CLI) that shows the URL without its password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from .bootstrap import Hourbridge, bootstrap
from .config import Settings, load_settings
from .errors import SetupRefused
from .observability.logging import logger
from .store import migrate

log = logger(__name__)
UPGRADE_HINT = "run `hourbridge db upgrade`"
_SCHEMES = ("sqlite", "postgresql", "postgres")


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def state(self) -> str:
        """``missing``, ``current``, ``behind`` or ``ahead`` (unknown to this code)."""
        if self.current is None:
            return "missing"
        if self.current == self.head:
            return "current"
        return "behind" if self.current in migrate.known_revisions() else "ahead"


def parse_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        raise SetupRefused("HOURBRIDGE_DATABASE_URL is not a database URL (write "
                           "sqlite:///FILE or postgresql://user@host/db)") from None
    if url.get_backend_name() not in _SCHEMES:
        raise SetupRefused(f"HOURBRIDGE_DATABASE_URL: unknown scheme {url.drivername!r} "
                           "(use sqlite:///FILE or postgresql://user@host/db)")
    return url


def _sqlite_file(url: URL) -> Path | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _why(exc: BaseException, url: URL) -> str:
    """What the driver said, first line only, never the password."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    if state in ("28P01", "28000"):
        return "the server refused the credentials"
    if state == "3D000":
        return "the database does not exist"
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


def connect(settings: Settings) -> Hourbridge:
    """The app over the configured database, checked to answer; no schema is touched."""
    url = parse_url(settings.database_url)
    path = _sqlite_file(url)
    if path is not None and not path.resolve().parent.is_dir():
        raise SetupRefused(f"cannot create the SQLite database {path}: the folder "
                           f"{path.resolve().parent} does not exist")
    try:
        hb = bootstrap(settings, upgrade=False)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise SetupRefused(f"HOURBRIDGE_DATABASE_URL {_shown(url)}: cannot use it "
                           f"({type(exc).__name__})") from None
    try:
        with hb.engine.connect():
            pass
    except (DBAPIError, SQLAlchemyError) as exc:
        hb.close()
        raise SetupRefused(f"cannot connect to {_shown(url)}: {_why(exc, url)}") from None
    return hb


def schema_state(hb: Hourbridge) -> SchemaState:
    return SchemaState(hb.schema_revision(), migrate.head_revision())


# The table whose partial indexes (work pending approval, open work) an entry leaves when it
# is approved, billed or issued. PostgreSQL drops its index entry only when a vacuum removes
# the row version that left: with no vacuum, every later run reads past all of them (at 1M
# invoiced entries the billing run's count of open work took 2.6 ms, 0.55 ms vacuumed).
_VACUUM_RELIED_ON = ("time_entries",)
_OFF = ("false", "off", "no", "0")


def maintenance_warnings(hb: Hourbridge) -> list[str]:
    """What the engine's speed relies on and the server does not do: PostgreSQL's autovacuum,
    off for the server or for the table above. None on SQLite (no vacuum needed: it
    deletes index entries with the row)."""
    if hb.engine.dialect.name != "postgresql":
        return []
    why = ("the indexes of pending and open work keep an entry for every row that left them "
           "until a VACUUM, so approving and billing slow down as history grows")
    with hb.engine.connect() as conn:
        server = conn.exec_driver_sql("SELECT current_setting('autovacuum')").scalar()
        tables = conn.exec_driver_sql(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname = ANY(%s) AND EXISTS ("
            "SELECT 1 FROM unnest(c.reloptions) o "
            "WHERE lower(split_part(o, '=', 1)) = 'autovacuum_enabled' "
            "AND lower(split_part(o, '=', 2)) = ANY(%s)) ORDER BY c.relname",
            (list(_VACUUM_RELIED_ON), list(_OFF))).scalars().all()
    warnings = [f"autovacuum is off on this PostgreSQL server: {why}; set autovacuum = on"
                ] if server != "on" else []
    warnings += [f"autovacuum is disabled on table {t}: {why}; run ALTER TABLE {t} RESET "
                 "(autovacuum_enabled)" for t in tables]
    return warnings


def upgrade(settings: Settings | None = None) -> tuple[Hourbridge, SchemaState]:
    """``hourbridge db upgrade``: migrate the configured database to this code's schema;
    a newer schema is refused. Returns the open app (the caller closes it)."""
    settings = settings or load_settings()
    url = parse_url(settings.database_url)
    hb = connect(settings)
    try:
        state = schema_state(hb)
        if state.state == "ahead":
            raise SetupRefused(
                f"the database {_shown(url)} has schema {state.current}, newer than this "
                f"hourbridge knows ({state.head}): upgrade hourbridge")
        if state.state == "current":  # nothing to run: Alembic is not even imported
            return hb, state
        hb.upgrade()
        return hb, schema_state(hb)
    except SetupRefused:
        hb.close()
        raise
    except (DBAPIError, SQLAlchemyError) as exc:
        hb.close()
        raise SetupRefused(f"cannot upgrade {_shown(url)}: {_why(exc, url)}") from None


def open_database(settings: Settings | None = None,
                  announce: Callable[[str], None] | None = None, *,
                  upgrade_any: bool = False) -> Hourbridge:
    """The app over a database whose schema this code can use (see the module doc);
    ``upgrade_any``: migrate PostgreSQL too (``hourbridge demo`` creates what it needs)."""
    settings = settings or load_settings()
    url = parse_url(settings.database_url)
    path = _sqlite_file(url)
    new_file = path is not None and not path.exists()
    hb = connect(settings)
    try:
        state = schema_state(hb)
        log.debug("database opened", backend=url.get_backend_name(),
                  schema=state.current, head=state.head)
        if state.state == "ahead":
            raise SetupRefused(
                f"the database {_shown(url)} has schema {state.current}, newer than this "
                f"hourbridge knows ({state.head}): upgrade hourbridge")
        if state.state == "current":
            return hb
        if url.get_backend_name() != "sqlite" and not upgrade_any:
            what = ("has no schema yet" if state.state == "missing"
                    else f"has schema {state.current}, older than {state.head}")
            raise SetupRefused(f"the database {_shown(url)} {what}: {UPGRADE_HINT}")
        hb.upgrade()
        if announce is not None:
            where = (f"{path.name} (schema {state.head}) in {path.resolve().parent}"
                     if path is not None else f"{_shown(url)} (schema {state.head})")
            announce(f"created {where}" if new_file or state.current is None
                     else f"upgraded {where} from schema {state.current}")
        return hb
    except SetupRefused:
        hb.close()
        raise
    except (DBAPIError, SQLAlchemyError) as exc:
        hb.close()
        raise SetupRefused(f"cannot use {_shown(url)}: {_why(exc, url)}") from None
