"""The refit worker: runs queued jobs, records failures, resumes after a crash."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest

from service.metrics import Metrics
from service.worker import RefitWorker
from signals import jobs
from signals.clock import utcnow
from signals.config import Settings
from signals.db import Database
from signals.errors import InvalidInput
from signals.tables import RefitJob
from signals.taxonomy import Taxonomy


@dataclass
class FakeRun:
    id: str


def test_worker_runs_and_fails_jobs(db: Database, settings: Settings, taxonomy: Taxonomy) -> None:
    calls: list[str] = []

    def ok(db: Database, settings: Settings, taxonomy: Taxonomy) -> FakeRun:
        calls.append("ok")
        return FakeRun("RUN1")

    def no_data(db: Database, settings: Settings, taxonomy: Taxonomy) -> FakeRun:
        raise InvalidInput.one("outcomes", "no outcomes are recorded yet")

    worker = RefitWorker(db, settings, taxonomy, Metrics(), refit_fn=ok)
    assert worker.run_once() is False
    with db.write() as s:
        job = jobs.enqueue(s, "request", "admin")
    assert worker.run_once() is True and calls == ["ok"]
    with db.read() as s:
        row = s.get(RefitJob, job.id)
    assert row is not None and row.status == "done" and row.run_id == "RUN1"
    worker.refit_fn = no_data
    with db.write() as s:
        job2 = jobs.enqueue(s, "outcome", "analyst")
    assert worker.run_once()
    with db.read() as s:
        row = s.get(RefitJob, job2.id)
    assert row is not None and row.status == "failed" and "no outcomes" in (row.error or "")


def test_crashed_job_is_picked_up_by_another_worker(
    db: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    with db.write() as s:
        job = jobs.enqueue(s, "request", "admin")
    assert jobs.claim(db, "dead-process") is not None
    with db.write() as s:
        row = s.get(RefitJob, job.id)
        assert row is not None
        row.heartbeat_at = utcnow() - timedelta(seconds=settings.job_stale_seconds + 5)
        s.add(row)
    worker = RefitWorker(db, settings, taxonomy, Metrics(), refit_fn=lambda *a: FakeRun("RUN2"))
    assert worker.run_once()
    with db.read() as s:
        row = s.get(RefitJob, job.id)
    assert row is not None and row.status == "done" and row.attempts == 2


def test_worker_thread_starts_and_stops(
    db: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    import time

    fast = settings.model_copy(update={"worker_poll_seconds": 0.05})
    done: list[str] = []
    worker = RefitWorker(
        db,
        fast,
        taxonomy,
        Metrics(),
        refit_fn=lambda *a: FakeRun("R"),
        on_done=lambda: done.append("x"),
    )
    with db.write() as s:
        jobs.enqueue(s, "request", "admin")
    worker.start()
    deadline = time.monotonic() + 10
    while not done and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    assert done == ["x"]


def test_the_worker_logs_each_run_with_its_diagnostics(
    db: Database, settings: Settings, taxonomy: Taxonomy, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 12, item 5: the server says when a refit starts, and whether its run was
    published (with R-hat, ESS, divergences) or refused (with the reason)."""
    from models.results import RunInfo

    def run(published: bool) -> RunInfo:
        return RunInfo(
            id="RUN9", created_at=utcnow(), cutoff=utcnow(), published=published,
            reason="" if published else "3 divergent transitions", sampler="nutpie",
            taxonomy_version=taxonomy.version, n_pairs=62, n_obs=13344, n_events=322,
            n_ruptures=34, max_rhat=1.004, min_ess_bulk=667.0, min_ess_tail=540.0,
            divergences=0 if published else 3, seconds=43.8,
        )  # fmt: skip

    caplog.set_level(logging.INFO, logger="riftcast")
    for published in (True, False):
        worker = RefitWorker(
            db, settings, taxonomy, Metrics(), refit_fn=lambda *_, p=published: run(p)
        )
        with db.write() as s:
            jobs.enqueue(s, "request", "admin")
        assert worker.run_once()
    text = caplog.text
    assert "started: fitting the log as known now" in text
    assert "run RUN9: 62 pairs, 13344 pair-weeks, 34 ruptures, 322 events; R-hat 1.004" in text
    assert "bulk ESS 667, 0 divergences, 43.8 s; published" in text
    assert "NOT published: 3 divergent transitions" in text
