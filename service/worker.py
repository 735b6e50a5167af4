"""The refit worker: a thread in each server process that runs durable refit jobs.

Each worker polls `refit_job`; the claim (signals.jobs) lets one job run at a time across
every process. While a job runs, a second thread beats its heartbeat; a process that dies
mid-fit stops beating and its job is queued again by the next claim. A failed fit records
why. Scheduled refits are queued here too (Settings.refit_interval_hours), and the
forecast ledger's daily snapshot is taken here (`periodic`, cheap when not due).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from models.results import RunInfo
from service.forecasting.runs import summary
from service.metrics import Metrics
from signals import jobs
from signals.config import Settings
from signals.db import Database
from signals.errors import DomainError
from signals.taxonomy import Taxonomy

log = logging.getLogger("riftcast.worker")

RefitFn = Callable[[Database, Settings, Taxonomy], object]


def default_refit(db: Database, settings: Settings, taxonomy: Taxonomy) -> object:
    from service.forecasting.refit import (
        refit,  # imported here: PyMC is heavy and only the worker needs it
    )

    return refit(db, settings, taxonomy)


class RefitWorker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        taxonomy: Taxonomy,
        metrics: Metrics,
        refit_fn: RefitFn = default_refit,
        on_done: Callable[[], None] | None = None,
        periodic: Callable[[], object] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.taxonomy = taxonomy
        self.metrics = metrics
        self.refit_fn = refit_fn
        self.on_done = on_done
        self.periodic = periodic
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self) % 100000}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="refit-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.periodic is not None:
                try:
                    self.periodic()
                except Exception:
                    log.exception("the worker's periodic task failed")
            try:
                jobs.enqueue_if_due(self.db, self.settings.refit_interval_hours)
                ran = self.run_once()
            except Exception:
                log.exception("refit worker poll failed")
                ran = False
            if not ran:
                self._stop.wait(self.settings.worker_poll_seconds)

    def run_once(self) -> bool:
        """Claim and run one job; False when there was none to run."""
        job = jobs.claim(
            self.db, self.name, self.settings.job_stale_seconds, self.settings.job_max_attempts
        )
        if job is None:
            return False
        log.info("refit job %s (%s) started: fitting the log as known now", job.id, job.reason)
        beating = threading.Event()
        beater = threading.Thread(target=self._beat, args=(job.id, beating), daemon=True)
        beater.start()
        started = time.perf_counter()
        try:
            run = self.refit_fn(self.db, self.settings, self.taxonomy)
        except DomainError as exc:
            self._end(beating, beater)
            jobs.fail(self.db, job.id, exc.message)
            self.metrics.refit_seconds.labels("failed").observe(time.perf_counter() - started)
            log.warning("refit job %s failed: %s", job.id, exc.message)
            return True
        except Exception as exc:
            self._end(beating, beater)
            jobs.fail(self.db, job.id, f"{type(exc).__name__}: {exc}")
            self.metrics.refit_seconds.labels("failed").observe(time.perf_counter() - started)
            log.exception("refit job %s crashed", job.id)
            return True
        self._end(beating, beater)
        jobs.finish(self.db, job.id, getattr(run, "id", None))
        self.metrics.refit_seconds.labels("done").observe(time.perf_counter() - started)
        if isinstance(run, RunInfo):
            level = logging.INFO if run.published else logging.WARNING
            log.log(level, "refit job %s done: %s", job.id, summary(run))
        else:
            log.info("refit job %s done", job.id)
        if self.on_done is not None:
            self.on_done()
        return True

    @staticmethod
    def _end(beating: threading.Event, beater: threading.Thread) -> None:
        beating.set()
        beater.join(5)

    def _beat(self, job_id: str, done: threading.Event) -> None:
        while not done.wait(self.settings.job_heartbeat_seconds):
            try:
                if not jobs.heartbeat(self.db, job_id, self.name):
                    log.warning("refit job %s is no longer ours", job_id)
                    return
            except Exception:
                log.exception("heartbeat of job %s failed", job_id)
