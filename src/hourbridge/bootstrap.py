"""Composition root: the only place that picks concrete adapters.

Entry points (CLI, API, dashboard) call ``bootstrap()`` and talk to the returned ``Hourbridge``;
they never import the store or connectors themselves.
"""

from __future__ import annotations

import os
import re
import tempfile
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from .config import Settings
from .domain import commands as c
from .domain.alerts import Rule
from .domain.audit import intent_of
from .domain.command_limits import command_problems
from .errors import ConcurrentChange, InvalidInput, Retryable
from .lazy import OnFirstUse
from .observability.tracing import install_exporter
from .pipeline.retry import RetryPolicy
from .pipeline.sinks import Destination, Limits, SinkRegistry
from .pipeline.worker import Handler, Relay, Worker
from .services.access import AccessKeys
from .services.deps import Collaborators
from .services.erp import ERP_DOCUMENT_READY
from .services.events import EVENT_HANDLERS
from .services.payments import ERP_PAYMENTS_PULL, payments_job
from .services.ports.uow import UnitOfWork
from .services.webhooks import WEBHOOK_DELIVERY, deliver_webhook
from .store import migrate
from .store.api_keys import SqlApiKeys
from .store.engine import make_engine, read_only
from .store.erp import SqlErp, SqlPostingLog
from .store.idempotency import SqlIdempotencyKeys
from .store.jobs import SqlJobStore
from .store.ledger import SqlLedger
from .store.masterdata import SnapshotCache
from .store.queries import ReadModels
from .store.rate_limits import SqlRateWindows
from .store.schedules import SqlScheduleRuns
from .store.uow import SqlUnitOfWork
from .store.wal import WalCheckpointer

# What only some commands use is imported where they use it, so every command line starts
# without it (issue 16): schedules (croniter, YAML/TOML), alert rules (YAML), the warehouse
# export (pyarrow), the file formats (pydantic, YAML), parallel intake (multiprocessing),
# and every connector: the trackers, the CRM and the webhook sender (httpx, JWT, crypto) are
# built on their first use (``lazy.OnFirstUse``), the ERP sinks when a destination opens.
if TYPE_CHECKING:
    from .connectors.gateway import Trackers
    from .connectors.salesforce import Salesforce
    from .connectors.webhooks import WebhookSender
    from .pipeline.alerts import AlertWatch
    from .pipeline.schedules import Action, Scheduler
    from .services.rows import BatchValidator

CONCURRENT_RETRIES = 3  # runs of a command that lost a race to a concurrent writer
# makes the unit of work of one command from the engine and the master-data snapshot cache
UowFactory = Callable[[Engine, SnapshotCache], UnitOfWork]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Hourbridge:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime]
    queries: ReadModels
    worker: Worker
    idempotency: SqlIdempotencyKeys
    snapshots: SnapshotCache = field(default_factory=SnapshotCache)
    collaborators: Collaborators = field(default_factory=Collaborators)
    uow_factory: UowFactory = SqlUnitOfWork
    sinks: SinkRegistry | None = None  # ERP destinations the worker delivers to
    _closed: bool = field(default=False, repr=False)
    _alerts: AlertWatch | None = field(default=None, repr=False)
    # SQLite: the log checkpointed beside the commands (store/wal.py)
    _checkpointer: WalCheckpointer | None = field(default=None, repr=False)

    @property
    def access(self) -> AccessKeys:
        """The API keys of client systems (create, rotate, revoke, authenticate)."""
        return AccessKeys(SqlApiKeys(self.engine), self.clock)

    @property
    def rate_windows(self) -> SqlRateWindows:
        """Per-credential request counts every API process shares (``api.ratelimit``)."""
        return SqlRateWindows(self.engine)

    def uow(self) -> Any:
        """A fresh unit of work (``SqlUnitOfWork`` unless bootstrap was given a factory)."""
        return self.uow_factory(self.engine, self.snapshots)

    def handle(self, command: Any) -> Any:
        """Run one command through its use case (see ``services.handlers``).

        Database failures that a second try can get past (a lock timeout, a serialization
        failure, a unique key taken by a concurrent writer) become ``Retryable``: the whole
        transaction was rolled back, so running the command again is safe.
        """
        # the table of every use case, imported by the first command (a no-op ``db upgrade``
        # runs none); later calls find it in ``sys.modules``
        from .services.handlers import COMMAND_HANDLERS, QUERY_HANDLERS

        query = QUERY_HANDLERS.get(type(command))
        if query is not None:  # reads only: nothing to retry
            return self._database_errors_retryable(lambda: query(command, self.uow()))
        handler = COMMAND_HANDLERS[type(command)]
        refused = command_problems(command)  # texts and ids no database could keep alike
        if refused:
            if len(refused) == 1:  # one readable line: the message names the field
                raise InvalidInput(refused[0].message)
            raise InvalidInput(f"{len(refused)} values refused", list(refused))

        intent = intent_of(command)  # a financial change or admin action: audited

        def run() -> Any:
            for attempt in range(1, CONCURRENT_RETRIES + 1):
                try:
                    uow, now = self.uow(), self.clock()
                    audit_as = getattr(uow, "audit_as", None)  # test fakes keep no chain
                    if intent is not None and audit_as is not None:
                        audit_as(intent, now)
                    return handler(command, uow, now, self.collaborators)
                except ConcurrentChange:
                    # another writer changed what this run read; it rolled back whole, and
                    # a second try reads what the other one committed
                    if attempt == CONCURRENT_RETRIES:
                        raise
            raise AssertionError("unreachable")

        return self._database_errors_retryable(run)

    @staticmethod
    def _database_errors_retryable(run: Callable[[], Any]) -> Any:
        try:
            return run()
        except (OperationalError, IntegrityError) as exc:
            raise Retryable(f"database busy or changed concurrently, try again: "
                            f"{type(exc.orig).__name__ if exc.orig else exc}",
                            retry_after=1.0) from exc

    def scheduler(self, actions: Mapping[str, Action]) -> Scheduler:
        """The schedules of ``settings.schedules_file`` (none without one), run by
        ``actions``; the file is read here, so a wrong one refuses only schedule commands."""
        from .formats.schedules import read_schedules
        from .pipeline.schedules import Scheduler

        path = self.settings.schedules_file
        return Scheduler(read_schedules(Path(path)) if path else [],
                         SqlScheduleRuns(self.engine), actions, self.clock,
                         lease=timedelta(seconds=self.settings.worker_lease_seconds))

    def alert_watch(self, say: Callable[[str], None] = lambda line: None) -> AlertWatch:
        """The worker's alert check (``pipeline.alerts``), one per process: the standalone
        worker and ``serve``'s in-process worker call the same ``check()``. The rules file is
        read here; a broken one says so through ``say`` and turns alerts off."""
        from .observability.alerts import load_rules
        from .pipeline.alerts import AlertWatch

        if self._alerts is None:
            try:
                rules: tuple[Rule, ...] = load_rules(self.settings.alert_rules)
            except InvalidInput as exc:  # a broken rules file must not stop deliveries
                say(f"alerts off: {exc}")
                rules = ()
            self._alerts = AlertWatch(
                self.queries, rules, self.settings.alert_interval_seconds, self.clock,
                lambda alerts: self.handle(c.RaiseAlerts(alerts)), say=say)
        return self._alerts

    def schedule_runs(self, schedule: str | None = None, limit: int = 100
                      ) -> list[dict[str, Any]]:
        return SqlScheduleRuns(self.engine).runs(schedule, limit)

    def export_warehouse(self, folder: Path) -> dict[str, int]:
        """Entries, invoices, invoice lines and postings as Parquet files in ``folder``."""
        from .store.warehouse import export_warehouse

        return export_warehouse(read_only(self.engine), folder)

    def recover_intake(self, inbox_ids: Sequence[int] = (), older_than: timedelta =
                       timedelta(0), wait: bool = True) -> list[dict[str, Any]]:
        """Process payloads that were kept but never processed (a crash, a killed process):
        the given ones, or every one received more than ``older_than`` ago (but a mapped
        spreadsheet: ``ingest --mapping`` again). Each goes through
        the same intake as when it arrived, read back from the inbox; with ``wait=False`` one
        that another process is processing right now is skipped."""
        from .connectors import TRACKERS
        from .connectors.native import NativeFile, tracker_of
        from .formats.sheet import is_mapped_sheet
        from .formats.timefile import TimeFile

        # a mapped spreadsheet reads only through its mapping, which is not kept: the same
        # ``ingest --mapping`` finishes it (read here as canonical, it would fail for good)
        stuck = [p for p in self.queries.stuck_payloads(self.clock() - older_than)
                 if not is_mapped_sheet(p["media_type"])]
        if inbox_ids:
            wanted = set(inbox_ids)
            stuck = [p for p in stuck if p["id"] in wanted]
        reports = []
        for p in stuck:
            with tempfile.TemporaryDirectory(prefix="hourbridge-inbox-") as folder:
                # a copy on disk: intake reads a payload more than once, never whole in memory
                copy = Path(folder) / "payload"
                with copy.open("wb") as f:
                    for chunk in self.queries.payload_chunks(p["id"]):
                        f.write(chunk)
                expenses = p["kind"] == "expenses"
                tracker = tracker_of(p["media_type"])
                payload: c.IncomingPayload = (
                    NativeFile(TRACKERS[tracker], p["filename"], partial(copy.open, "rb"))
                    if tracker in TRACKERS else
                    TimeFile(p["filename"], p["media_type"], partial(copy.open, "rb"),
                             "expenses" if expenses else "time_entries"))
                # as its sender could: a limited key's payload stays limited
                command = (c.IngestExpenses if expenses else c.IngestTimeEntries)(
                    p["source"], payload, wait, p["entities"])
                report = self.handle(command)
            reports.append({"inbox_id": p["id"], "source": p["source"], "kind": p["kind"],
                            **report.as_dict()})
        return reports

    @staticmethod
    def tracker_payload(tracker: str, path: Path | None = None, *, name: str = "",
                        data: bytes = b"") -> c.IncomingPayload:
        """A tracker's own payload (``--format``): the file at ``path``, or ``data``."""
        from .connectors import TRACKERS
        from .connectors.native import NativeFile

        if tracker not in TRACKERS:
            raise InvalidInput(f"unknown format {tracker!r}: one of canonical, "
                               f"{', '.join(sorted(TRACKERS))}")
        if path is not None:
            return NativeFile.from_path(TRACKERS[tracker], path)
        return NativeFile.from_bytes(TRACKERS[tracker], name, data)

    def upgrade(self) -> None:
        migrate.upgrade(self.engine)

    def schema_revision(self) -> str | None:
        return migrate.current_revision(self.engine)

    def reset(self) -> None:
        migrate.reset(self.engine)
        migrate.upgrade(self.engine)

    @property
    def database(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        if not self._closed:
            for relay in self.worker.relays:  # NATS: drain the connection, stop its loop
                closing = getattr(relay, "close", None)
                if closing is not None:
                    closing()
            sender = getattr(self.collaborators.webhooks, "close", None)
            if sender is not None:
                sender()
            if self.sinks is not None:  # the ERPs' HTTP connections
                self.sinks.close()
            if self._checkpointer is not None:
                self._checkpointer.close()
            self.engine.dispose()
            self._closed = True


def bootstrap(settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now,
              upgrade: bool = True, uow_factory: UowFactory = SqlUnitOfWork,
              retry_policy: RetryPolicy | None = None,
              trackers: Trackers | None = None, webhooks: WebhookSender | None = None,
              relays: Sequence[Relay] | None = None,
              crm: Salesforce | None = None) -> Hourbridge:
    """The application on ``settings``: its commands run in units of work ``uow_factory``
    makes, its worker retries deliveries by ``retry_policy`` (default: ``RetryPolicy()``) and
    hands each delivered event to ``relays`` (default: JetStream when ``nats_url`` is set)."""
    settings = settings or Settings()
    install_exporter(settings.tracing)
    engine = make_engine(settings.database_url)
    if upgrade:
        migrate.upgrade(engine)
    snapshots = SnapshotCache()
    ledger = SqlLedger(engine, clock)
    handlers: dict[str, Handler] = {
        type_: (lambda payload, h=handler: h(payload, ledger))
        for type_, handler in EVENT_HANDLERS.items()
    }
    sinks = SinkRegistry(partial(_open_destination, engine), SqlPostingLog(engine), clock)
    # queued ERP documents go to the registry, which picks the sink by the destination the
    # event names
    handlers[ERP_DOCUMENT_READY] = sinks.deliver
    # a payments pull (``erp payments pull --queue``, a schedule's hook) runs as a command of
    # the application made below
    made: list[Hourbridge] = []
    handlers[ERP_PAYMENTS_PULL] = lambda event: payments_job(event, made[0].handle)
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    loopback = settings.allow_loopback_http
    sender = webhooks or OnFirstUse(partial(_webhook_sender, key, clock, loopback))
    # a delivery job carries the event as its payload (see services.webhooks)
    handlers[WEBHOOK_DELIVERY] = lambda payload: deliver_webhook(
        payload, lambda: uow_factory(engine, snapshots), sender, clock)
    if relays is None:
        relays = []
        if settings.nats_url:
            from .connectors.nats import JetStreamRelay  # imported only where NATS is used
            relays.append(JetStreamRelay(settings.nats_url))
    worker = Worker(SqlJobStore(engine), handlers, clock, batch=settings.worker_batch,
                    policy=retry_policy or RetryPolicy(),
                    lease=timedelta(seconds=settings.worker_lease_seconds),
                    # deliveries to webhooks and ERPs are jobs of ours, not events to fan out
                    relays=relays,
                    relayed=lambda type_: type_ not in (WEBHOOK_DELIVERY, ERP_DOCUMENT_READY,
                                                        ERP_PAYMENTS_PULL),
                    # a claim's ERP documents go together: several per request to the ERP
                    batch_handlers={ERP_DOCUMENT_READY: sinks.deliver_many})
    gateway = trackers or OnFirstUse(partial(_tracker_gateway, key, loopback))
    hb = Hourbridge(settings, engine, clock, ReadModels(read_only(engine)), worker,
                    SqlIdempotencyKeys(engine, clock), snapshots=snapshots,
                    collaborators=Collaborators(
                        validator=_parallel_validator(settings.intake_workers),
                        trackers=gateway, webhooks=sender, erps=sinks,
                        erp=lambda n: sinks.destination(n).sink,
                        crm=crm or OnFirstUse(partial(_salesforce, key, loopback))),
                    uow_factory=uow_factory, sinks=sinks)
    made.append(hb)
    hb._checkpointer = WalCheckpointer.of(engine)
    if hb._checkpointer is not None:  # an application never closed stops it when collected
        weakref.finalize(hb, hb._checkpointer.stop)
    return hb


# The adapters ``bootstrap`` hands to the use cases, each imported and built where a use case
# first needs it (see ``OnFirstUse``): a database command never loads them.
def _webhook_sender(key: str | None, clock: Callable[[], datetime],
                    allow_loopback_http: bool) -> WebhookSender:
    from .connectors.webhooks import WebhookSender

    return WebhookSender(key, clock, allow_loopback_http=allow_loopback_http)


def _tracker_gateway(key: str | None, allow_loopback_http: bool) -> Trackers:
    from .connectors import TRACKERS
    from .connectors.gateway import Trackers

    return Trackers(TRACKERS, key, allow_loopback_http=allow_loopback_http)


def _salesforce(key: str | None, allow_loopback_http: bool) -> Salesforce:
    from .connectors.salesforce import Salesforce

    return Salesforce(key, allow_loopback_http=allow_loopback_http)


def _parallel_validator(workers: int) -> BatchValidator:
    """Intake validation on ``workers`` other cores (``pipeline.parallel``), imported by the
    first payload validated: only intake validates."""

    def validate(*args: Any, **kwargs: Any) -> Any:
        from .pipeline.parallel import ParallelValidator

        return ParallelValidator(workers=workers)(*args, **kwargs)

    return validate


def _open_destination(engine: Engine, name: str) -> Destination | None:
    """The sink of destination ``name`` from its stored profile; its key from the
    environment variable the profile names (``connection.secret_env``; default
    ``HOURBRIDGE_ERP_<NAME>_KEY``), never from the database."""
    with engine.connect() as conn:
        profile = next((p for p in SqlErp(conn).profiles() if p.destination == name), None)
    if profile is None:
        return None
    from .connectors import SINKS  # the sinks' folders load on their first call

    env = profile.connection.get("secret_env") or (
        "HOURBRIDGE_ERP_" + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_KEY")
    sink = SINKS[profile.system](profile.connection, os.environ.get(env, ""))
    return Destination(sink, Limits(profile.concurrency, profile.documents_per_second),
                       profile.documents_per_request)
