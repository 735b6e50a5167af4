"""SQLite durability and concurrency settings, and the migrations themselves."""

from __future__ import annotations

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


def test_migrations_go_up_and_down(settings: Settings) -> None:
    url = settings.resolved_database_url
    assert current_revision(url) == head_revision(url) == "0003"
    downgrade(url, "0002")
    db = Database(settings)
    with db.read() as s:
        assert "forecast_ledger" not in set(inspect(s.connection()).get_table_names())
    db.dispose()
    downgrade(url, "0001")
    db = Database(settings)
    with db.read() as s:
        columns = {c["name"] for c in inspect(s.connection()).get_columns("indicator_event")}
    assert "ended_on" not in columns
    db.dispose()
    downgrade(url, "base")
    db = Database(settings)
    with db.read() as s:
        tables = set(inspect(s.connection()).get_table_names())
    assert "indicator_event" not in tables
    db.dispose()
    upgrade(url)
    db = Database(settings)
    with db.read() as s:
        tables = set(inspect(s.connection()).get_table_names())
        s.exec(text("SELECT count(ended_on) FROM indicator_event"))  # type: ignore[call-overload]
    assert {"faction", "pair", "indicator_event", "outcome", "model_run"} <= tables
    assert {"forecast_ledger", "ledger_horizon", "ledger_score"} <= tables
    db.dispose()
