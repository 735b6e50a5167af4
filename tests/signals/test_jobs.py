"""The durable refit queue: one running job across claimers, stale requeue, failures."""

from __future__ import annotations

import threading
from datetime import timedelta

from signals import jobs
from signals.clock import utcnow
from signals.db import Database
from signals.tables import RefitJob


def test_enqueue_dedupes_queued(db: Database) -> None:
    with db.write() as s:
        a = jobs.enqueue(s, "request", "admin")
        b = jobs.enqueue(s, "outcome", "analyst")
    assert a.id == b.id


def test_claim_one_at_a_time_and_finish(db: Database) -> None:
    with db.write() as s:
        job = jobs.enqueue(s, "request", "admin")
    got = jobs.claim(db, "w1")
    assert got is not None and got.id == job.id and got.status == "running" and got.attempts == 1
    with db.write() as s:
        jobs.enqueue(s, "request", "admin")
    assert jobs.claim(db, "w2") is None  # one is running
    assert jobs.heartbeat(db, job.id, "w1") and not jobs.heartbeat(db, job.id, "w2")
    jobs.finish(db, job.id, "RUN1")
    nxt = jobs.claim(db, "w2")
    assert nxt is not None and nxt.id != job.id
    jobs.fail(db, nxt.id, "no data")
    with db.read() as s:
        done, failed = s.get(RefitJob, job.id), s.get(RefitJob, nxt.id)
    assert done is not None and done.status == "done" and done.run_id == "RUN1"
    assert failed is not None and failed.status == "failed" and failed.error == "no data"


def test_concurrent_claims_start_exactly_one(db: Database) -> None:
    with db.write() as s:
        jobs.enqueue(s, "request", "admin")
    results: list[object] = []
    barrier = threading.Barrier(6)

    def claimer(i: int) -> None:
        barrier.wait()
        results.append(jobs.claim(db, f"w{i}"))

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1


def test_stale_job_is_requeued_then_failed(db: Database) -> None:
    with db.write() as s:
        job = jobs.enqueue(s, "request", "admin")
    assert jobs.claim(db, "crashed", max_attempts=2) is not None
    with db.write() as s:  # the worker died: its heartbeat is old
        row = s.get(RefitJob, job.id)
        assert row is not None
        row.heartbeat_at = utcnow() - timedelta(minutes=10)
        s.add(row)
    again = jobs.claim(db, "w2", stale_seconds=60, max_attempts=2)
    assert again is not None and again.id == job.id and again.attempts == 2
    with db.write() as s:
        row = s.get(RefitJob, job.id)
        assert row is not None
        row.heartbeat_at = utcnow() - timedelta(minutes=10)
        s.add(row)
    assert jobs.claim(db, "w3", stale_seconds=60, max_attempts=2) is None
    with db.read() as s:
        row = s.get(RefitJob, job.id)
    assert row is not None and row.status == "failed" and "stopped responding" in (row.error or "")


def test_schedule(db: Database) -> None:
    assert jobs.enqueue_if_due(db, 0) is None
    first = jobs.enqueue_if_due(db, 1.0)
    assert first is not None and first.reason == "schedule"
    assert jobs.enqueue_if_due(db, 1.0) is None


def test_a_requeued_job_names_the_worker_that_stopped(db: Database) -> None:
    """Issue 11, item 11: the message said "worker None" (the name was cleared first)."""
    with db.write() as s:
        job = jobs.enqueue(s, "request", "admin")
    assert jobs.claim(db, "crashed-worker") is not None
    with db.write() as s:
        row = s.get(RefitJob, job.id)
        assert row is not None
        row.heartbeat_at = utcnow() - timedelta(minutes=10)
        s.add(row)
    with db.write() as s:
        (requeued,) = jobs.requeue_stale(s, stale_seconds=60, max_attempts=3)
    assert requeued.status == "queued" and requeued.worker is None
    assert requeued.error == "requeued: worker crashed-worker stopped responding"
