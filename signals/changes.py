"""The change log: one row per write that can move a forecast.

Each server process polls the highest id to learn, within a fraction of a second, that
another process accepted a write, and which pair it touched.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from signals.clock import utcnow
from signals.tables import ChangeEntry

# A model run was published: every pair's forecast changes.
RUN_CHANGE = "run"
# A key was revoked: nothing a forecast depends on, but every process must forget the keys
# it has verified.
KEY_CHANGE = "key"


def note_change(session: Session, pair_id: str | None, kind: str) -> None:
    session.add(ChangeEntry(pair_id=pair_id, kind=kind, at=utcnow()))


def latest_change(session: Session) -> int:
    value = session.exec(select(func.max(ChangeEntry.id))).one()
    return int(value or 0)


def changes_since(session: Session, after: int, limit: int = 10_000) -> list[ChangeEntry]:
    stmt = (
        select(ChangeEntry).where(ChangeEntry.id > after).order_by(ChangeEntry.id).limit(limit)  # type: ignore[operator, arg-type]
    )
    return list(session.exec(stmt))


def latest_change_time(session: Session, pair_id: str) -> datetime | None:
    """When the newest write that the pair's forecast reflects was accepted: its knowledge
    time. That is the pair's own newest event, retraction or outcome, or the newest
    published run, whichever is later: every process computes the same value from the same
    data (so the same ETag), and writes about other pairs leave it alone. Both maxima are
    read from an index.
    """
    own = session.exec(select(func.max(ChangeEntry.at)).where(ChangeEntry.pair_id == pair_id))
    run = session.exec(select(func.max(ChangeEntry.at)).where(ChangeEntry.kind == RUN_CHANGE))
    times = [t for t in (own.one(), run.one()) if t is not None]
    return max(times) if times else None
