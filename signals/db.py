"""Engines and sessions: SQLite tuned for durable concurrent writes, or PostgreSQL.

SQLite is opened in WAL mode with `synchronous=FULL` (an acknowledged commit survives a
power cut) and a busy timeout. Write transactions start with `BEGIN IMMEDIATE`, so two
writers queue on the lock instead of one failing half-way with "database is locked"; read
transactions use a plain deferred `BEGIN` and never block writers under WAL.

SQLite's own queue for that lock is a busy handler that sleeps and retries, up to 100 ms a
sleep: with eight concurrent writers the unlucky one waited most of a second. So writers
first take their turn on a lock that wakes the next waiter the moment it is released —
a thread lock within the process, then `flock` on a file beside the database across
processes (the CLI, other workers) — and reach `BEGIN IMMEDIATE` one at a time.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

from signals.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A PostgreSQL connection that has waited in the pool this long is pinged before it is
# handed out (see `_ping_when_idle`).
PING_IDLE_SECONDS = 5.0

# A write session's `info`: the ids of the pairs known to be stored before it began (read
# only), and those it found stored itself. A pair is never deleted, so what a transaction
# found is known for good once it commits: `Database.write` then adds it to what the
# process's later writes start from, and they skip the lookup (`signals.events`: a query
# per single-event write, a round trip on PostgreSQL). A database restored from a backup
# under a running server needs the server restarted: every cache of it holds what it read.
KNOWN_PAIRS = "riftcast_known_pairs"
FOUND_PAIRS = "riftcast_found_pairs"


class Database:
    """The process's handle on the database: a write engine and a read engine."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.resolved_database_url
        self.is_sqlite = self.url.startswith("sqlite")
        self._turn: WriteTurn | None = None
        self.known_pairs: set[str] = set()  # see KNOWN_PAIRS
        if self.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            path = sqlite_file(settings)
            self._turn = WriteTurn(Path(f"{path}.write-lock") if path else None)
            self.write_engine = _sqlite_engine(self.url, "BEGIN IMMEDIATE", self._turn)
            self.read_engine = _sqlite_engine(self.url, begin="BEGIN")
        else:
            self.write_engine = _postgres_engine(self.url)
            self.read_engine = self.write_engine

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: commit on success, roll back on any exception."""
        with Session(self.write_engine, expire_on_commit=False) as session:
            found: set[str] = set()
            session.info[KNOWN_PAIRS], session.info[FOUND_PAIRS] = self.known_pairs, found
            try:
                yield session
                if session.in_transaction():  # a write that joined the group commit
                    session.commit()  # never used its own: nothing to commit
            except BaseException:
                session.rollback()
                raise
            self.known_pairs |= found

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction; closing the session ends it and keeps loaded objects usable."""
        with Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    def schema_revision(self) -> str | None:
        """The migration the schema is at, as Alembic recorded it (None before the first);
        raises when the database does not answer. One small read: a readiness probe's."""
        with self.read() as session:
            found = session.connection().execute(text("SELECT version_num FROM alembic_version"))
            return found.scalar()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    def dispose(self) -> None:
        """Close every connection (and the SQLite write-turn file): a short-lived process
        (a CLI command) holds the database in a `with` block that ends with this."""
        if self._turn is not None:
            self._turn.close()
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


class WriteTurn:
    """Writers one at a time, woken in turn: a thread lock, and an exclusive `flock` on
    `path` (when given) while a transaction holds the turn. Neither is owned by a thread:
    a write transaction may begin in one worker thread and commit in another."""

    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        self._path = path
        self._fd: int | None = None  # opened at the first write: reading creates no file

    def acquire(self) -> None:
        self._lock.acquire()
        try:
            if self._path is not None:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _turn_connection(turn: WriteTurn) -> type[sqlite3.Connection]:
    """A DB-API connection class that gives the turn back once its transaction has
    committed or rolled back (after, not before: the next writer must not meet the lock)."""

    class TurnConnection(sqlite3.Connection):
        holds_turn = False

        def _give_back(self) -> None:
            if self.holds_turn:
                self.holds_turn = False
                turn.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self._give_back()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self._give_back()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self._give_back()

    return TurnConnection


def _sqlite_engine(url: str, begin: str, turn: WriteTurn | None = None) -> Engine:
    connect_args: dict[str, Any] = {
        "check_same_thread": False,
        "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
    }
    if turn is not None:
        connect_args["factory"] = _turn_connection(turn)
    engine = create_engine(
        url,
        connect_args=connect_args,
        pool_size=8,
        max_overflow=16,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if turn is None:
            conn.exec_driver_sql(begin)
            return
        raw = conn.connection.dbapi_connection
        turn.acquire()
        try:
            conn.exec_driver_sql(begin)
        except BaseException:
            turn.release()
            raise
        raw.holds_turn = True

    return engine


def _postgres_engine(url: str) -> Engine:
    """With psycopg, statements go to PostgreSQL as SQLAlchemy renders them, with the
    server's own `$1` placeholders (SQLAlchemy's `numeric_dollar` paramstyle, psycopg's
    `RawCursor`). psycopg's default cursor rewrites `%(name)s` placeholders into those at
    every execution, and keeps the result only for statements of at most 50 parameters: a
    group commit's multi-row INSERT of reports has more, and under eight concurrent writers
    the rewriting took a tenth of the committer thread's time (issue 16)."""
    raw: dict[str, Any] = {}
    if make_url(url).get_driver_name() == "psycopg":
        from psycopg import RawCursor  # only a process that serves PostgreSQL imports it

        raw = {"paramstyle": "numeric_dollar", "connect_args": {"cursor_factory": RawCursor}}
    engine = create_engine(url, pool_size=8, max_overflow=16, **raw)
    # A multi-row INSERT without RETURNING as one multi-VALUES statement, as the psycopg2
    # dialect does, not psycopg's executemany: its pipeline took a fifth of a worker's time
    # holding the GIL under single-event writes (issue 16).
    engine.dialect.use_insertmanyvalues_wo_returning = True
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Hand out a pooled connection that has been idle for PING_IDLE_SECONDS only once it
    answers a ping; one that does not is replaced (the pool tries three times).

    What kills a pooled connection is mostly time: a proxy's or a firewall's idle timeout,
    a server restarted while the pool slept. SQLAlchemy's `pool_pre_ping` pings at every
    checkout instead: a round trip before each transaction, which under single-event
    writes was a tenth of a worker's time. A connection used moments ago that died all the
    same (the server restarted under load) fails its one transaction; SQLAlchemy then
    invalidates the whole pool, so the next ones reconnect."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["riftcast_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("riftcast_idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return  # new (it has just connected) or used moments ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection lost while idle: {exc}") from exc


def missing_schema(exc: BaseException) -> bool:
    """Whether `exc` is the database saying a table does not exist: it was never migrated
    (SQLite's "no such table", PostgreSQL's undefined table)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if not isinstance(exc, OperationalError | ProgrammingError):
        return False
    text = str(exc.orig)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` is a failure to connect (no server, no such database, refused)."""
    from sqlalchemy.exc import OperationalError

    text = str(getattr(exc, "orig", ""))
    return isinstance(exc, OperationalError) and (
        "connection" in text or "unable to open database file" in text
    )


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite database file the settings point at; None for other databases."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def safe_url(settings: Settings) -> str:
    """The database URL with any password hidden, to print."""
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)
