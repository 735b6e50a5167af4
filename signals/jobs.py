"""The durable refit job queue, shared by every server process.

At most one job runs at a time across all processes. A claim is serialised: on SQLite the
write transaction is `BEGIN IMMEDIATE` (one writer at a time); on PostgreSQL the claim
takes a transaction-scoped advisory lock and picks the oldest queued row with
`FOR UPDATE SKIP LOCKED`. A running job beats; one whose heartbeat is older than
`stale_seconds` belonged to a crashed process and is queued again (or failed after
`max_attempts`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, select

from signals.clock import new_id, to_utc, utcnow
from signals.db import Database
from signals.errors import NotFound
from signals.tables import RefitJob

CLAIM_LOCK_KEY = 0x52494654  # "RIFT": the advisory lock id of the claim on PostgreSQL
ACTIVE = ("queued", "running")


def queued(session: Session) -> RefitJob | None:
    """The refit waiting to run (not yet claimed), if any: the one the next change joins."""
    return session.exec(
        select(RefitJob).where(RefitJob.status == "queued").order_by(col(RefitJob.created_at))
    ).first()


def enqueue(session: Session, reason: str, by: str) -> RefitJob:
    """Queue a refit; if one is already queued (not yet running), that one is returned."""
    waiting = queued(session)
    if waiting is not None:
        return waiting
    job = RefitJob(
        id=new_id(),
        status="queued",
        reason=reason[:100],
        requested_by=by[:100],
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def _serialise(session: Session) -> None:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=CLAIM_LOCK_KEY))  # type: ignore[call-overload]


def requeue_stale(
    session: Session, stale_seconds: float, max_attempts: int, now: datetime | None = None
) -> list[RefitJob]:
    """Queue again the running jobs whose heartbeat stopped; fail those out of attempts."""
    now = now or utcnow()
    limit = now - timedelta(seconds=stale_seconds)
    changed = []
    for job in session.exec(select(RefitJob).where(RefitJob.status == "running")):
        beat = job.heartbeat_at or job.started_at or job.created_at
        if to_utc(beat) >= limit:
            continue
        if job.attempts >= max_attempts:
            job.status, job.finished_at = "failed", now
            job.error = f"the worker stopped responding {job.attempts} time(s); giving up"
        else:
            job.error = f"requeued: worker {job.worker} stopped responding"
            job.status, job.worker = "queued", None
        session.add(job)
        changed.append(job)
    session.flush()
    return changed


def claim(
    db: Database, worker: str, stale_seconds: float = 60.0, max_attempts: int = 3
) -> RefitJob | None:
    """Start the oldest queued job unless a live job is running anywhere; None otherwise."""
    with db.write() as session:
        _serialise(session)
        requeue_stale(session, stale_seconds, max_attempts)
        running = session.exec(select(RefitJob.id).where(RefitJob.status == "running")).first()
        if running is not None:
            return None
        stmt = (
            select(RefitJob)
            .where(RefitJob.status == "queued")
            .order_by(col(RefitJob.created_at), col(RefitJob.id))
            .limit(1)
        )
        if not db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        job = session.exec(stmt).first()
        if job is None:
            return None
        now = utcnow()
        job.status, job.worker = "running", worker[:100]
        job.started_at = job.heartbeat_at = now
        job.attempts += 1
        session.add(job)
        session.flush()
        return job


def heartbeat(db: Database, job_id: str, worker: str) -> bool:
    """Beat; False when the job is no longer ours (requeued after a stall, or finished)."""
    with db.write() as session:
        job = session.get(RefitJob, job_id)
        if job is None or job.status != "running" or job.worker != worker:
            return False
        job.heartbeat_at = utcnow()
        session.add(job)
        return True


def finish(db: Database, job_id: str, run_id: str | None) -> None:
    with db.write() as session:
        job = _get(session, job_id)
        job.status, job.finished_at, job.run_id, job.error = "done", utcnow(), run_id, None
        session.add(job)


def fail(db: Database, job_id: str, error: str) -> None:
    with db.write() as session:
        job = _get(session, job_id)
        job.status, job.finished_at, job.error = "failed", utcnow(), error[:4000]
        session.add(job)


def enqueue_if_due(db: Database, interval_hours: float, by: str = "schedule") -> RefitJob | None:
    """Queue a scheduled refit when no job was created within the interval (0 disables)."""
    if interval_hours <= 0:
        return None
    with db.write() as session:
        _serialise(session)
        last = session.exec(select(RefitJob).order_by(col(RefitJob.created_at).desc())).first()
        if last is not None and utcnow() - to_utc(last.created_at) < timedelta(
            hours=interval_hours
        ):
            return None
        return enqueue(session, "schedule", by)


def _get(session: Session, job_id: str) -> RefitJob:
    job = session.get(RefitJob, job_id)
    if job is None:
        raise NotFound(f"no refit job {job_id!r}")
    return job


def get_job(session: Session, job_id: str) -> RefitJob:
    return _get(session, job_id)


def list_jobs(session: Session, limit: int = 50) -> list[RefitJob]:
    stmt = select(RefitJob).order_by(col(RefitJob.created_at).desc(), col(RefitJob.id).desc())
    return list(session.exec(stmt.limit(limit)))
