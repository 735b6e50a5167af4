"""SQLite durability and concurrency settings, and the migrations themselves."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from sqlalchemy import inspect, text

from signals.config import Settings
from signals.db import Database
from signals.events import events_as_of, record_events
from signals.factions import create_faction
from signals.migrate import current_revision, downgrade, head_revision, upgrade
from signals.schemas import FactionIn
from signals.taxonomy import Taxonomy
from tests.signals.conftest import event


def test_sqlite_pragmas(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings.resolved_database_url)
    db = Database(settings)
    with db.read() as s:
        conn = s.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (tmp_path / "riftcast.db").exists()


def test_concurrent_writers_wait_instead_of_failing(tmp_path: Path, taxonomy: Taxonomy) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings.resolved_database_url)
    db = Database(settings)
    with db.write() as s:
        create_faction(s, FactionIn(id="north", name="N", movement="M"), by="t")
        create_faction(s, FactionIn(id="south", name="S", movement="M"), by="t")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with db.write() as s:
                    record_events(s, taxonomy, [event(actor=f"w{n}-{i}")], by=f"w{n}")
        except BaseException as exc:  # pragma: no cover - the assertion reports it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read() as s:
        assert len(events_as_of(s)) == 90


def _schema(settings: Settings) -> dict[str, set[str]]:
    """Every table of the database, with its columns."""
    db = Database(settings)
    try:
        with db.read() as s:
            inspector = inspect(s.connection())
            return {
                t: {c["name"] for c in inspector.get_columns(t)}
                for t in inspector.get_table_names()
            }
    finally:
        db.dispose()


def _triggers(settings: Settings) -> set[str]:
    """The names of the database's own triggers."""
    db = Database(settings)
    try:
        with db.read() as s:
            query = (
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                if db.is_sqlite
                else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            )
            return set(s.connection().exec_driver_sql(query).scalars())
    finally:
        db.dispose()


def test_migrations_go_up_and_down(settings: Settings) -> None:
    url = settings.resolved_database_url
    notifies = not url.startswith("sqlite")  # PostgreSQL's probes are woken by a trigger
    assert current_revision(url) == head_revision(url) == "0006"
    assert ("change_log_notify" in _triggers(settings)) == notifies
    downgrade(url, "0005")  # notifications without their rows
    assert ("change_log_notify" in _triggers(settings)) == notifies
    downgrade(url, "0004")
    assert "change_log_notify" not in _triggers(settings)
    downgrade(url, "0003")
    assert "origin" not in _schema(settings)["change_log"]
    downgrade(url, "0002")
    assert "forecast_ledger" not in _schema(settings)
    downgrade(url, "0001")
    assert "ended_on" not in _schema(settings)["indicator_event"]
    downgrade(url, "base")
    assert "indicator_event" not in _schema(settings)
    upgrade(url)
    schema = _schema(settings)
    assert {"faction", "pair", "indicator_event", "outcome", "model_run"} <= set(schema)
    assert {"forecast_ledger", "ledger_horizon", "ledger_score"} <= set(schema)
    assert "ended_on" in schema["indicator_event"] and "origin" in schema["change_log"]
    assert ("change_log_notify" in _triggers(settings)) == notifies


def _turn_is_free(settings: Settings) -> bool:
    """Whether another process could take the write turn now (a non-blocking flock)."""
    fd = os.open(f"{settings.data_dir / 'riftcast.db'}.write-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_writers_take_turns_across_processes(tmp_path: Path) -> None:
    """A write transaction holds the turn (an flock beside the database) from BEGIN to
    COMMIT or ROLLBACK, so writers of every process queue on it and are woken in turn
    instead of sleeping in SQLite's busy handler; reads never take it."""
    settings = Settings(data_dir=tmp_path)
    upgrade(settings.resolved_database_url)
    db = Database(settings)
    try:
        assert _turn_is_free(settings)
        with db.read() as s:
            s.execute(text("SELECT 1"))
            assert _turn_is_free(settings)
        with db.write() as s:
            s.execute(text("SELECT 1"))
            assert not _turn_is_free(settings)
        assert _turn_is_free(settings)
        try:
            with db.write() as s:
                s.execute(text("SELECT 1"))
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert _turn_is_free(settings)
    finally:
        db.dispose()


def test_a_write_begun_in_one_thread_may_end_in_another(tmp_path: Path) -> None:
    """FastAPI runs a dependency's setup and teardown in different worker threads: the
    turn is not owned by a thread, so the next writer is not locked out."""
    settings = Settings(data_dir=tmp_path)
    upgrade(settings.resolved_database_url)
    db = Database(settings)
    try:
        unit = db.write()
        session = unit.__enter__()
        session.execute(text("SELECT 1"))
        ended = threading.Thread(target=unit.__exit__, args=(None, None, None))
        ended.start()
        ended.join(30)
        assert not ended.is_alive() and _turn_is_free(settings)
        done = threading.Event()

        def write() -> None:
            with db.write() as s:
                s.execute(text("SELECT 1"))
            done.set()

        threading.Thread(target=write, daemon=True).start()
        assert done.wait(30)
    finally:
        db.dispose()
