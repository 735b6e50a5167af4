"""The change log: one row per write that can move a forecast.

Each server process reads it through a `ChangeCursor` to learn, within a fraction of a
second, that another process accepted a write, and which pair it touched. Reading it every
few tens of milliseconds costs an idle server several percent of a core, so a
`CommitProbe` answers first, in microseconds and without leaving the event loop, whether
anything may have been committed since it was last asked. Under a stream of writes, where
every process hears a commit every few milliseconds, the probe also says what was
committed whenever it can without a worker thread (`CommitProbe.told`): PostgreSQL's
notifications carry the rows (migration 0006), SQLite's probe reads them on its own
connection. Otherwise, and once a second in any case, the cursor reads the log.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    bindparam,
    create_engine,
    func,
    or_,
)
from sqlalchemy import select as core_select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, select

from signals.appends import append
from signals.clock import utcnow
from signals.db import Database, sqlite_file
from signals.tables import ChangeEntry

if TYPE_CHECKING:  # psycopg is imported only by a process that serves PostgreSQL
    import psycopg

log = logging.getLogger("riftcast.changes")

# A model run was published: every pair's forecast changes.
RUN_CHANGE = "run"
# A key was revoked: nothing a forecast depends on, but every process must forget the keys
# it has verified.
KEY_CHANGE = "key"


# The PostgreSQL channel on which every insert into the change log notifies the probes (a
# trigger: migration 0005), with the rows inserted as the payload (migration 0006).
CHANGE_CHANNEL = "riftcast_changes"
_CHANGES: Table = ChangeEntry.__table__  # type: ignore[attr-defined]
# session.info: the serving app whose writes these are, when that app drops what they make
# stale itself once they commit (service.freshness: `Freshness.local`). Its rows carry it,
# so its own change poller need not drop the same caches a second time.
ORIGIN = "riftcast_change_origin"
_NOTED_PAIRS = "riftcast_noted_pairs"  # session.info: the pairs noted with an origin


def noted_pairs(session: Session) -> set[str]:
    """The pairs whose changes this session has noted under its ORIGIN: what its app must
    drop at commit, since its poller will pass over those rows. (A write that fails in a
    group commit's savepoint leaves its pairs here: dropping a fresh entry costs a
    recomputation, never a stale answer.)"""
    return set(session.info.get(_NOTED_PAIRS, ()))


def note_change(session: Session, pair_id: str | None, kind: str) -> None:
    """Log a change inside the writer's transaction (inside `batched_appends`, at the end
    of the block). On PostgreSQL the insert itself wakes the probes: a trigger on the table
    sends the NOTIFY, which the server delivers at commit and drops on rollback, so a probe
    hears of exactly the committed changes (migration 0005)."""
    origin = session.info.get(ORIGIN)
    row = {"pair_id": pair_id, "kind": kind, "at": utcnow(), "origin": origin}
    if origin is not None and pair_id is not None:
        session.info.setdefault(_NOTED_PAIRS, set()).add(pair_id)
    # A Core INSERT, not an ORM object: nothing reads the row back in this session, and
    # the unit of work would cost several times the CPU of the insert itself.
    append(session, _CHANGES, row)


def latest_change(session: Session) -> int:
    value = session.exec(select(func.max(ChangeEntry.id))).one()
    return int(value or 0)


# How long an id skipped by the cursor is looked for again: longer than any write
# transaction stays open between adding its change row and committing.
GAP_SECONDS = 120.0
# At most this many skipped ids are remembered (rolled-back writes leave gaps forever).
MAX_GAPS = 2_000
READ_LIMIT = 10_000
# At most this many rows are read on the event loop at a time (`SqliteProbe.told`).
TOLD_LIMIT = 1_000


class ChangeRow(NamedTuple):
    """What a reader of the change log needs of one row."""

    id: int
    pair_id: str | None
    kind: str
    origin: str | None


_READ_CHANGES = core_select(*(_CHANGES.c[name] for name in ChangeRow._fields))


def _reading(where: ColumnElement[bool]) -> Select[Any]:
    """A cursor's read, built once: under writes a process reads many times a second, and
    building the statement each time cost more than the read's own SQL."""
    return _READ_CHANGES.where(where).order_by(_CHANGES.c.id).limit(bindparam("limit"))


_NEWER = _CHANGES.c.id > bindparam("last_id")
_READ_NEWER = _reading(_NEWER)
_READ_NEWER_OR_GAPS = _reading(or_(_NEWER, _CHANGES.c.id.in_(bindparam("gaps", expanding=True))))


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

    def read(self, conn: Connection, now: float, limit: int = READ_LIMIT) -> list[ChangeRow]:
        """The rows committed since the last read, including late ones below `last_id`
        (at most `limit`, the oldest first). Read as plain rows (a Core select): a serving
        process reads many times a second under writes, and ORM objects cost it several
        times the query."""
        self._forget_old_gaps(now)
        values = {"last_id": self.last_id, "limit": limit}
        if self.gaps:
            found = conn.execute(_READ_NEWER_OR_GAPS, {**values, "gaps": list(self.gaps)})
        else:
            found = conn.execute(_READ_NEWER, values)
        return self.take([ChangeRow(*row) for row in found], now)

    def take(self, rows: Iterable[ChangeRow], now: float) -> list[ChangeRow]:
        """Of `rows`, committed rows of the log (read from it, or told by a probe), those
        not taken before, in id order; the ids they jump over are remembered as gaps."""
        self._forget_old_gaps(now)
        fresh = {r.id: r for r in rows if r.id > self.last_id or r.id in self.gaps}
        top = max(fresh, default=self.last_id)
        for missing in range(max(self.last_id + 1, top - MAX_GAPS), top):
            if missing not in fresh:
                self.gaps[missing] = now
        for found in fresh:
            self.gaps.pop(found, None)
        if len(self.gaps) > MAX_GAPS:  # keep the newest ids: the likeliest to commit late
            self.gaps = dict(sorted(self.gaps.items())[-MAX_GAPS:])
        self.last_id = max(self.last_id, top)
        return [fresh[i] for i in sorted(fresh)]

    def _forget_old_gaps(self, now: float) -> None:
        if self.gaps:
            self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_SECONDS}


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


# A probe whose connection failed is reopened at most this often (each try may wait for a
# TCP connect); until then it answers "maybe", and the cursor reads at every poll.
PROBE_RETRY_SECONDS = 1.0
PG_CONNECT_TIMEOUT_SECONDS = 5


class CommitProbe:
    """Has anything been committed since the last call? The base answers "maybe" every
    time: the cursor then reads at every poll, as it did before probes existed (an
    in-memory SQLite database, or an unknown dialect).

    `changed()` runs on the event loop: it never blocks and never raises, and answers True
    when it cannot tell. `connect()` may block (run it in a worker thread): it (re)opens the
    probe's own connection when it is down. Call it just before a full read of the change
    log, so anything committed before the probe listens is seen by that read.
    """

    def changed(self) -> bool:
        return True

    def told(self, cursor: ChangeCursor, now: float) -> list[ChangeRow] | None:
        """What was committed since `cursor` last took anything, taken into it, when the
        probe can say so on the event loop; None when the log must be read (in a worker
        thread, after `connect()`). Ask it after `changed()` said True."""
        return None

    def connect(self) -> None:
        return None

    def fileno(self) -> int | None:
        """A socket that turns readable when a commit is signalled, for the poller to wake
        on instead of waiting out its interval; None when the probe can only be asked."""
        return None

    def close(self) -> None:
        return None


class SqliteProbe(CommitProbe):
    """`PRAGMA data_version` on a dedicated connection to the file: its value changes when
    any other connection (of this process or another) commits, and only then. A few
    microseconds: it reads the WAL index in shared memory. The connection never writes,
    and never waits on a lock (a busy database answers "maybe")."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None
        self.engine: Engine | None = None  # over `conn`, for the cursor's statement
        self.version: object = None
        self.unread = False  # the last told() stopped at TOLD_LIMIT rows

    def connect(self) -> None:
        if self.conn is not None:
            return
        # mode=rw: never create a missing file; timeout 0: never block the event loop;
        # opened in a worker thread, asked on the event loop's.
        uri = f"file:{quote(self.path)}?mode=rw"
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False
            )
            self.version = conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as exc:
            log.warning("change probe cannot open %s (reading every poll): %s", self.path, exc)
            if conn is not None:
                conn.close()
            return
        self.conn = conn
        self.engine = create_engine("sqlite://", creator=lambda: conn, poolclass=StaticPool)

    def changed(self) -> bool:
        if self.conn is None:
            return True
        try:
            version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            self.close()
            return True
        if version == self.version and not self.unread:
            return False
        self.version = version
        return True

    def told(self, cursor: ChangeCursor, now: float) -> list[ChangeRow] | None:
        """The rows, read on the probe's own connection: a WAL reader never waits, and
        one that would (a checkpoint resetting the log) fails at once, leaving the read to
        a worker thread. At most TOLD_LIMIT rows, so that a large import does not hold
        the event loop; `changed()` says True again while more are waiting."""
        if self.engine is None:
            return None
        try:
            with self.engine.connect() as conn:
                rows = cursor.read(conn, now, TOLD_LIMIT)
        except (sqlite3.Error, SQLAlchemyError):
            return None
        self.unread = len(rows) >= TOLD_LIMIT
        return rows

    def close(self) -> None:
        conn, self.conn = self.conn, None
        engine, self.engine = self.engine, None
        if engine is not None:
            engine.dispose()
        if conn is not None:
            conn.close()


class PostgresProbe(CommitProbe):
    """LISTEN on `CHANGE_CHANNEL` over a dedicated autocommit connection; `changed()` reads
    whatever the server has sent without waiting (`PQconsumeInput`, then `PQnotifies`).
    A dropped connection answers "maybe" until `connect()` has listened again."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.conn: psycopg.Connection[Any] | None = None
        self.retry_at = 0.0
        self.heard: list[ChangeRow] = []  # rows the notifications carried, not yet told
        self.untold = False  # a notification came without its rows (too many to carry)

    def connect(self) -> None:
        if self.conn is not None or time.monotonic() < self.retry_at:
            return
        import psycopg

        conn: psycopg.Connection[Any] | None = None
        try:
            conn = psycopg.connect(**self.params, autocommit=True)
            conn.execute(f"LISTEN {CHANGE_CHANNEL}")
        except psycopg.Error as exc:
            log.warning("change probe cannot listen (reading every poll meanwhile): %s", exc)
            if conn is not None:
                conn.close()
            self.retry_at = time.monotonic() + PROBE_RETRY_SECONDS
            return
        self.conn = conn

    def changed(self) -> bool:
        if self.conn is None:
            return True
        import psycopg

        pgconn = self.conn.pgconn
        try:
            pgconn.consume_input()  # never blocks: reads only what has arrived
        except psycopg.Error:
            log.warning("change probe lost its connection; reconnecting")
            self.close()
            return True
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            self.close()
            return True
        heard = False
        while (note := pgconn.notifies()) is not None:
            heard = True
            rows = rows_of_payload(note.extra)
            if rows is None:
                self.untold = True
            else:
                self.heard += rows
        return heard

    def told(self, cursor: ChangeCursor, now: float) -> list[ChangeRow] | None:
        """The rows the notifications carried: no query at all. None when one came without
        them, or the connection dropped (a notification may have been lost with it)."""
        heard, self.heard = self.heard, []
        if self.conn is None or self.untold:
            self.untold = False
            return None
        return cursor.take(heard, now)

    def fileno(self) -> int | None:
        return None if self.conn is None else self.conn.pgconn.socket

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


def rows_of_payload(payload: str | bytes) -> list[ChangeRow] | None:
    """The rows a change notification carries: a JSON array of [id, pair_id, kind, origin]
    (migration 0006); None for anything else (an empty payload: too many rows to carry)."""
    try:
        items = json.loads(payload)
        rows = [ChangeRow(*item) for item in items] if isinstance(items, list) else []
    except (ValueError, TypeError):
        return None
    if not rows or not all(isinstance(r.id, int) and isinstance(r.kind, str) for r in rows):
        return None
    return rows


def open_probe(db: Database) -> CommitProbe:
    """The commit probe for this database, connected (this may block: call it in a worker
    thread, before the cursor's first read)."""
    url = db.write_engine.url
    path = sqlite_file(db.settings)
    probe: CommitProbe
    if path is not None:
        probe = SqliteProbe(str(path))
    elif url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg":
        _, params = db.write_engine.dialect.create_connect_args(url)
        params.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_SECONDS)
        probe = PostgresProbe(dict(params))
    else:
        probe = CommitProbe()
    probe.connect()
    return probe
