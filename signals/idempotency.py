"""Idempotency-Key records: the response of a write, stored in the write's transaction.

A request first *claims* its key in a short transaction of its own (a placeholder row with
status 0, so a concurrent duplicate in any process sees it in flight); the write's own
transaction then replaces the placeholder with the response, so the write and its record
commit together. A failed write removes the placeholder; a placeholder abandoned by a
crash is taken over after `inflight_seconds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete

from signals.clock import to_utc, utcnow
from signals.db import Database
from signals.tables import IdempotencyRecord

IN_FLIGHT = 0


@dataclass(frozen=True)
class Claim:
    outcome: Literal["new", "replay", "mismatch", "in_flight"]
    record: IdempotencyRecord | None = None


def claim(
    db: Database,
    owner: str,
    key: str,
    route: str,
    request_hash: str,
    inflight_seconds: float = 60.0,
) -> Claim:
    """Decide what a request carrying this key does: run, replay, or be refused."""
    with db.read() as session:
        found = session.get(IdempotencyRecord, (owner, key))
    if found is not None:
        decided = _decide(found, route, request_hash, inflight_seconds)
        if decided is not None:
            return decided
    try:
        with db.write() as session:
            found = session.get(IdempotencyRecord, (owner, key))
            if found is not None:
                decided = _decide(found, route, request_hash, inflight_seconds)
                if decided is not None:
                    return decided
                session.delete(found)  # abandoned placeholder: take it over
                session.flush()
            session.add(
                IdempotencyRecord(
                    owner=owner,
                    key=key,
                    route=route,
                    request_hash=request_hash,
                    status_code=IN_FLIGHT,
                    response_body="",
                    created_at=utcnow(),
                )
            )
    except IntegrityError:  # another process claimed it between our read and write
        return Claim("in_flight")
    return Claim("new")


def _decide(
    found: IdempotencyRecord, route: str, request_hash: str, inflight_seconds: float
) -> Claim | None:
    if found.route != route or found.request_hash != request_hash:
        return Claim("mismatch", found)
    if found.status_code != IN_FLIGHT:
        return Claim("replay", found)
    age = utcnow() - to_utc(found.created_at)
    if age < timedelta(seconds=inflight_seconds):
        return Claim("in_flight", found)
    return None


def complete(session: Session, owner: str, key: str, status_code: int, response_body: str) -> None:
    """Store the response in the write's own transaction."""
    row = session.get(IdempotencyRecord, (owner, key))
    # Taken over by a retry after a long stall, and since released: abort this write (its
    # transaction rolls back) rather than commit a result no record answers for.
    if row is None:
        raise RuntimeError("idempotency placeholder vanished")
    row.status_code = status_code
    row.response_body = response_body
    session.add(row)


def release(db: Database, owner: str, key: str) -> None:
    """Drop an unfinished placeholder (the write failed, so a retry must run again)."""
    with db.write() as session:
        session.exec(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.owner == owner,  # type: ignore[arg-type]
                IdempotencyRecord.key == key,  # type: ignore[arg-type]
                IdempotencyRecord.status_code == IN_FLIGHT,  # type: ignore[arg-type]
            )
        )
