"""PostgreSQL's pool pings a connection only after it has sat idle, and replaces one that
died meanwhile: a ping before every transaction was a round trip per write."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from signals.db import Database
from tests.conftest import PG_ADMIN

pytestmark = pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
IDLE = 0.2


def _backend(db: Database) -> int:
    with db.read() as s:
        return int(s.connection().execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture
def pings(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pings the pool sends (counted), with a short idle time."""
    monkeypatch.setattr("signals.db.PING_IDLE_SECONDS", IDLE)
    dialect = db.write_engine.dialect
    ping, sent = dialect.do_ping, []

    def counted(conn: Any) -> bool:
        sent.append(1)
        return ping(conn)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return sent


def test_a_connection_used_moments_ago_is_not_pinged(db: Database, pings: list[int]) -> None:
    first = _backend(db)
    assert [_backend(db) for _ in range(5)] == [first] * 5 and pings == []
    time.sleep(IDLE * 1.5)
    assert _backend(db) == first and pings == [1]


def test_a_connection_that_died_while_idle_is_replaced(db: Database, pings: list[int]) -> None:
    dead = _backend(db)
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (dead,))
    time.sleep(IDLE * 1.5)
    assert _backend(db) != dead and pings == [1]  # the request never saw the dead one
