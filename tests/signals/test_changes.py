"""The change log's cursor: no committed write is ever skipped, whatever order ids commit in."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from signals.changes import GAP_SECONDS, ChangeCursor, latest_change, note_change
from signals.clock import utcnow
from signals.db import Database
from signals.tables import ChangeEntry


def _read(db: Database, cursor: ChangeCursor, now: float = 0.0) -> list[str | None]:
    with db.read() as s:
        return [r.pair_id for r in cursor.read(s, now)]


def test_an_id_that_commits_late_is_read_when_it_commits(db: Database) -> None:
    """Ids 2 and 3 are written before id 1 is: the cursor still reads 1 when it appears."""
    cursor = ChangeCursor(latest_change(Session(db.read_engine)))
    base = cursor.last_id
    with db.write() as s:
        for i in (2, 3):
            s.add(ChangeEntry(id=base + i, pair_id=f"p{i}", kind="event", at=utcnow()))
    assert _read(db, cursor) == ["p2", "p3"]
    assert cursor.last_id == base + 3 and set(cursor.gaps) == {base + 1}
    assert _read(db, cursor, 1.0) == []  # nothing new: nothing read twice
    with db.write() as s:
        s.add(ChangeEntry(id=base + 1, pair_id="p1", kind="event", at=utcnow()))
    assert _read(db, cursor, 2.0) == ["p1"]
    assert cursor.gaps == {} and _read(db, cursor, 3.0) == []


def test_a_gap_that_never_fills_is_forgotten(db: Database) -> None:
    cursor = ChangeCursor(0)
    with db.write() as s:
        s.add(ChangeEntry(id=5, pair_id="p5", kind="event", at=utcnow()))
    assert _read(db, cursor) == ["p5"] and set(cursor.gaps) == {1, 2, 3, 4}
    assert _read(db, cursor, GAP_SECONDS + 1) == [] and cursor.gaps == {}


@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_postgres_sequence_values_committed_out_of_order_are_not_skipped(db: Database) -> None:
    """The defect of issue 11, item 3, with real transactions: A takes an id and stays
    open, B takes the next id and commits, the cursor reads B; then A commits."""
    cursor = ChangeCursor(latest_change(Session(db.read_engine)))
    slow = Session(db.write_engine)
    note_change(slow, "slow-pair", "event")
    slow.flush()  # the sequence value is taken now; the row is not visible until commit
    with db.write() as fast:
        note_change(fast, "fast-pair", "event")
    assert _read(db, cursor) == ["fast-pair"]
    slow.commit()
    slow.close()
    assert _read(db, cursor, 0.5) == ["slow-pair"]
