"""The change log: one row per write that can move a forecast.

Each server process reads it through a `ChangeCursor` to learn, within a fraction of a
second, that another process accepted a write, and which pair it touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

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


# How long an id skipped by the cursor is looked for again: longer than any write
# transaction stays open between adding its change row and committing.
GAP_SECONDS = 120.0
# At most this many skipped ids are remembered (rolled-back writes leave gaps forever).
MAX_GAPS = 2_000
READ_LIMIT = 10_000


@dataclass
class ChangeCursor:
    """How far one process has read the change log, robust to ids committed out of order.

    PostgreSQL hands out a sequence value when a row is inserted, not when its transaction
    commits: a write that took id 41 can commit after the one that took id 42, so a reader
    that only asks for `id > last` would skip 41 for ever. The cursor remembers every id it
    has jumped over, with when it first missed it, and asks for those again at every read
    until they appear or GAP_SECONDS pass (an id whose transaction rolled back never does).
    """

    last_id: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # id -> when first missed

    def read(self, session: Session, now: float) -> list[ChangeEntry]:
        """The rows committed since the last read, including late ones below `last_id`."""
        self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_SECONDS}
        newer = col(ChangeEntry.id) > self.last_id
        where = or_(newer, col(ChangeEntry.id).in_(list(self.gaps))) if self.gaps else newer
        stmt = select(ChangeEntry).where(where).order_by(col(ChangeEntry.id)).limit(READ_LIMIT)
        rows = list(session.exec(stmt))
        seen = {int(r.id or 0) for r in rows}
        top = max(seen, default=self.last_id)
        for missing in range(max(self.last_id + 1, top - MAX_GAPS), top):
            if missing not in seen:
                self.gaps[missing] = now
        for found in seen:
            self.gaps.pop(found, None)
        if len(self.gaps) > MAX_GAPS:  # keep the newest ids: the likeliest to commit late
            self.gaps = dict(sorted(self.gaps.items())[-MAX_GAPS:])
        self.last_id = max(self.last_id, top)
        return rows


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
