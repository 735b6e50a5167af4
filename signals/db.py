"""Engines and sessions: SQLite tuned for durable concurrent writes, or PostgreSQL.

SQLite is opened in WAL mode with `synchronous=FULL` (an acknowledged commit survives a
power cut) and a busy timeout. Write transactions start with `BEGIN IMMEDIATE`, so two
writers queue on the lock instead of one failing half-way with "database is locked"; read
transactions use a plain deferred `BEGIN` and never block writers under WAL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from signals.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    """The process's handle on the database: a write engine and a read engine."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.resolved_database_url
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            self.write_engine = _sqlite_engine(self.url, begin="BEGIN IMMEDIATE")
            self.read_engine = _sqlite_engine(self.url, begin="BEGIN")
        else:
            self.write_engine = create_engine(
                self.url, pool_pre_ping=True, pool_size=8, max_overflow=16
            )
            self.read_engine = self.write_engine

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: commit on success, roll back on any exception."""
        with Session(self.write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction; closing the session ends it and keeps loaded objects usable."""
        with Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    def ping(self) -> None:
        """Raise unless the database answers a trivial query (readiness checks)."""
        with self.read() as session:
            session.connection().execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
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
        conn.exec_driver_sql(begin)

    return engine


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
