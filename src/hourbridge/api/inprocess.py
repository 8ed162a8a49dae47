"""``hourbridge serve``'s in-process worker: the outbox is drained after each write
(``deps.drain_later``) and, on a timer every ``alert_interval_seconds``, drained again and the
alert rules checked through ``Hourbridge.alert_watch`` -- the same ``AlertWatch.check`` the
standalone ``hourbridge worker`` calls each round, so alerts reach the log, the webhooks and
the dashboard whether or not a separate worker runs."""

from __future__ import annotations

import logging
import threading

from hourbridge.bootstrap import Hourbridge

log = logging.getLogger(__name__)


class InProcessWorker:
    def __init__(self, hb: Hourbridge, interval: float | None = None) -> None:
        self.hb = hb
        self.interval = interval or hb.settings.alert_interval_seconds
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="hourbridge-serve-worker",
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """At shutdown: a drain under way hands back what it has not started."""
        self.stopping.set()
        self.hb.worker.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=30)

    def tick(self) -> None:
        """One round: deliver what is due, then check the alert rules if due."""
        try:
            self.hb.worker.drain()
        except Exception:
            log.exception("in-process drain failed; the outbox keeps the jobs for the next one")
        try:
            self.hb.alert_watch(say=log.warning).check()
        except Exception:
            log.exception("in-process alert check failed; the next round checks again")

    def _run(self) -> None:
        self.tick()
        while not self.stopping.wait(self.interval):
            self.tick()
