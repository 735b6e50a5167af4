"""The change log's cursor: no committed write is ever skipped, whatever order ids commit in,
nor taken twice. Its commit probe: it hears every commit, by any connection or process, and
nothing else, and tells what was committed when it can without a query of the pool's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import Session

from signals.appends import batched_appends
from signals.changes import (
    CHANGE_CHANNEL,
    GAP_SECONDS,
    ORIGIN,
    ChangeCursor,
    ChangeRow,
    CommitProbe,
    PostgresProbe,
    SqliteProbe,
    latest_change,
    note_change,
    noted_pairs,
    open_probe,
    rows_of_payload,
)
from signals.clock import utcnow
from signals.db import Database
from signals.tables import ChangeEntry

ROOT = Path(__file__).resolve().parents[2]


def _read(db: Database, cursor: ChangeCursor, now: float = 0.0) -> list[str | None]:
    with db.read() as s:
        return [r.pair_id for r in cursor.read(s.connection(), now)]


def test_rows_carry_the_origin_of_the_session_that_noted_them(db: Database) -> None:
    """A serving app's writes are tagged with its origin, one by one and in a batch, and
    the session remembers which pairs it noted so (what the app drops at commit); rows of
    any other writer carry none."""
    cursor = ChangeCursor(latest_change(Session(db.read_engine)))
    with db.write() as s:
        s.info[ORIGIN] = "app-1"
        note_change(s, "a--b", "event")
        note_change(s, None, "faction")
        with batched_appends(s):
            note_change(s, "c--d", "outcome")
        assert noted_pairs(s) == {"a--b", "c--d"}
    with db.write() as s:
        note_change(s, "e--f", "event")
        assert noted_pairs(s) == set()
    with db.read() as s:
        rows = [(r.pair_id, r.origin) for r in cursor.read(s.connection(), 0.0)]
    assert rows == [("a--b", "app-1"), (None, "app-1"), ("c--d", "app-1"), ("e--f", None)]


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


def _open_probe(db: Database) -> CommitProbe:
    """The probe, opened as a server opens it: after its engine's first connection (the
    fixture's SQLite file is not yet in WAL mode; that connection switches it, a real
    change of the file that the probe would rightly report)."""
    with db.read() as s:
        latest_change(s)
    return open_probe(db)


def _heard(probe: CommitProbe, within: float = 2.0) -> bool:
    """Whether the probe reports a commit within the time (a notification travels)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if probe.changed():
            return True
        time.sleep(0.005)
    return False


def _silent(probe: CommitProbe, for_seconds: float = 0.3) -> bool:
    deadline = time.monotonic() + for_seconds
    while time.monotonic() < deadline:
        if probe.changed():
            return False
        time.sleep(0.01)
    return True


def _commit_in_another_process(db: Database, pair_id: str) -> None:
    code = (
        "from signals.changes import note_change\n"
        "from signals.config import Settings\n"
        "from signals.db import Database\n"
        "db = Database(Settings())\n"
        "with db.write() as s:\n"
        f"    note_change(s, {pair_id!r}, 'event')\n"
    )
    env = {
        **os.environ,
        "RIFTCAST_DATABASE_URL": db.url,
        "RIFTCAST_DATA_DIR": str(db.settings.data_dir),
    }
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env, timeout=60)


def test_the_probe_hears_a_commit_by_another_process(db: Database) -> None:
    probe = _open_probe(db)
    try:
        assert isinstance(probe, SqliteProbe if db.is_sqlite else PostgresProbe)
        assert _silent(probe)
        cursor = ChangeCursor(latest_change(Session(db.read_engine)))
        _commit_in_another_process(db, "elsewhere")
        assert _heard(probe)
        assert _read(db, cursor) == ["elsewhere"]
        assert _silent(probe)  # heard once, then quiet again
    finally:
        probe.close()


def test_the_probe_hears_a_commit_by_another_connection(db: Database) -> None:
    probe = _open_probe(db)
    try:
        with db.write() as s:  # two changes in one transaction: one commit heard
            note_change(s, "here", "event")
            note_change(s, "there", "event")
        assert _heard(probe)
        assert _silent(probe)
    finally:
        probe.close()


def test_any_insert_into_the_change_log_wakes_the_probe(db: Database) -> None:
    """Whoever inserts a change row — here plain SQL, not `note_change` — the probe hears
    it once committed: on PostgreSQL the table's trigger sends the NOTIFY (migration
    0005), not the writer."""
    probe = _open_probe(db)
    try:
        assert _silent(probe)
        with db.write() as s:
            s.connection().exec_driver_sql(
                "INSERT INTO change_log (pair_id, kind, at) VALUES ('raw', 'event', '2025-01-01')"
            )
        assert _heard(probe)
    finally:
        probe.close()


def test_the_probe_is_silent_when_nothing_is_committed(db: Database) -> None:
    probe = _open_probe(db)
    try:
        with db.read() as s:
            latest_change(s)
        with pytest.raises(RuntimeError), db.write() as s:  # rolled back: never committed
            note_change(s, "rolled-back", "event")
            s.flush()
            raise RuntimeError
        assert _silent(probe, 0.5)
    finally:
        probe.close()


@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_a_dropped_probe_connection_says_maybe_and_listens_again(db: Database) -> None:
    probe = _open_probe(db)
    assert isinstance(probe, PostgresProbe) and probe.conn is not None
    try:
        pid = probe.conn.info.backend_pid
        with db.write_engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert _heard(probe)  # the lost connection: it cannot tell, so "maybe"
        assert probe.conn is None and probe.changed()
        probe.connect()
        assert probe.conn is not None and _silent(probe)
        with db.write() as s:
            note_change(s, "after", "event")
        assert _heard(probe)
    finally:
        probe.close()


def test_the_probe_answers_maybe_while_it_cannot_connect(db: Database) -> None:
    probe = _open_probe(db)
    probe.close()
    assert probe.changed() and probe.changed()  # never "nothing" when it cannot know


def _told(probe: CommitProbe, cursor: ChangeCursor) -> list[ChangeRow] | None:
    assert _heard(probe)
    return probe.told(cursor, 0.0)


@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_a_notification_tells_the_rows_its_transaction_committed(db: Database) -> None:
    """What a server learns from the NOTIFY alone (migration 0006): each committed row,
    with its pair, kind and origin, in id order; nothing of a transaction rolled back."""
    probe = _open_probe(db)
    try:
        cursor = ChangeCursor(latest_change(Session(db.read_engine)))
        with db.write() as s:
            s.info[ORIGIN] = "app-1"
            with batched_appends(s):
                note_change(s, "a--b", "event")
                note_change(s, None, "faction")
        with pytest.raises(RuntimeError), db.write() as s:
            note_change(s, "rolled-back", "event")
            s.flush()
            raise RuntimeError
        with db.write() as s:
            note_change(s, "c--d", "outcome")
        time.sleep(0.2)  # both notifications have arrived
        told = _told(probe, cursor)
        assert told is not None
        assert [(r.pair_id, r.kind, r.origin) for r in told] == [
            ("a--b", "event", "app-1"),
            (None, "faction", "app-1"),
            ("c--d", "outcome", None),
        ]
        assert _silent(probe) and probe.told(cursor, 1.0) == []
        assert _read(db, cursor, 2.0) == []  # taken once: a read does not bring them again
    finally:
        probe.close()


@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_rows_too_many_for_a_notification_are_read_from_the_log(db: Database) -> None:
    probe = _open_probe(db)
    try:
        cursor = ChangeCursor(latest_change(Session(db.read_engine)))
        pairs = [f"pair-{i:04d}--another-faction-name" for i in range(300)]
        with db.write() as s:  # one statement (the trigger is a statement's)
            s.connection().exec_driver_sql(
                "INSERT INTO change_log (pair_id, kind, at) SELECT 'pair-' || "
                "lpad(g::text, 4, '0') || '--another-faction-name', 'event', now() "
                "FROM generate_series(0, 299) AS g ORDER BY g"
            )
        assert _told(probe, cursor) is None  # the payload would not fit: read the log
        assert _read(db, cursor) == pairs
        with db.write() as s:
            note_change(s, "after", "event")
        told = _told(probe, cursor)
        assert told is not None and [r.pair_id for r in told] == ["after"]
    finally:
        probe.close()


def test_rows_read_from_the_log_are_not_told_again(db: Database) -> None:
    """A commit heard by the probe but read by the cursor first (the safety net's read,
    or a read in a worker thread) is taken once."""
    probe = _open_probe(db)
    try:
        cursor = ChangeCursor(latest_change(Session(db.read_engine)))
        with db.write() as s:
            note_change(s, "once", "event")
        time.sleep(0.2)
        assert _read(db, cursor) == ["once"]
        assert _told(probe, cursor) == []
    finally:
        probe.close()


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_sqlite_tells_a_large_import_a_part_at_a_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's probe reads the rows on the event loop, TOLD_LIMIT at a time, and says
    "committed" again while some are left."""
    monkeypatch.setattr("signals.changes.TOLD_LIMIT", 3)
    probe = _open_probe(db)
    try:
        cursor = ChangeCursor(latest_change(Session(db.read_engine)))
        with db.write() as s, batched_appends(s):
            for i in range(5):
                note_change(s, f"p{i}", "event")
        first = _told(probe, cursor)
        assert first is not None and [r.pair_id for r in first] == ["p0", "p1", "p2"]
        rest = _told(probe, cursor)
        assert rest is not None and [r.pair_id for r in rest] == ["p3", "p4"]
        assert _silent(probe)
    finally:
        probe.close()


def test_a_cursor_takes_rows_told_out_of_id_order_once_each() -> None:
    """Notifications arrive in commit order, and PostgreSQL's ids need not commit in id
    order: an id told after a higher one fills the gap that one left."""
    cursor = ChangeCursor(10)
    rows = {i: ChangeRow(i, f"p{i}", "event", None) for i in (11, 12, 13)}
    assert cursor.take([rows[13], rows[11]], 0.0) == [rows[11], rows[13]]
    assert set(cursor.gaps) == {12}
    assert cursor.take([rows[12], rows[13]], 1.0) == [rows[12]]
    assert cursor.gaps == {} and cursor.take(list(rows.values()), 2.0) == []


@pytest.mark.parametrize(
    "payload", [b"", b"not json", b"{}", b"[]", b"[[1, 2]]", b'[["1", "p", "event", null]]', b"3"]
)
def test_a_payload_that_does_not_tell_rows_says_read_the_log(payload: bytes) -> None:
    assert rows_of_payload(payload) is None


def test_a_payload_tells_rows() -> None:
    payload = b'[[7, "a--b", "event", "app-1"], [8, null, "run", null]]'
    assert rows_of_payload(payload) == [
        ChangeRow(7, "a--b", "event", "app-1"),
        ChangeRow(8, None, "run", None),
    ]


@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_a_groups_change_rows_are_one_insert_and_one_notification(db: Database) -> None:
    """The rows appended in a block are written as one multi-row INSERT (not psycopg's
    executemany, one statement a row), so the statement trigger sends one notification."""
    _, params = db.write_engine.dialect.create_connect_args(db.write_engine.url)
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANGE_CHANNEL}")
        with db.write() as s, batched_appends(s):
            for pid in ("a--b", "c--d", "e--f"):
                note_change(s, pid, "event")
        notes = list(listener.notifies(timeout=1.0))
    assert len(notes) == 1
    rows = rows_of_payload(notes[0].payload)
    assert rows is not None and [r.pair_id for r in rows] == ["a--b", "c--d", "e--f"]
