"""PostgreSQL's pool pings a connection only after it has sat idle, and replaces one that
died meanwhile: a ping before every transaction was a round trip per write. Statements
reach PostgreSQL as SQLAlchemy renders them, with the server's own `$1` placeholders."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import col, select

from signals.appends import append, batched_appends
from signals.db import Database
from signals.tables import AuditEntry
from tests.conftest import PG_ADMIN
from tests.factories import AUDIT_AT, AUDIT_TABLE, audit_row, recorded_statements

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


def test_a_statement_of_many_parameters_goes_as_rendered(db: Database) -> None:
    """psycopg's default cursor rewrites `%(name)s` placeholders at every execution and
    keeps the result only for statements of at most 50 parameters; a group commit's
    multi-row INSERT has more. It goes with `$n` placeholders, and its rows are stored."""
    statements = recorded_statements(db)
    rows = [audit_row(n) for n in range(12)]
    with db.write() as s, batched_appends(s):
        append(s, AUDIT_TABLE, rows)
    (insert,) = [st for st in statements if st.startswith("INSERT")]
    assert "$60" in insert and "%(" not in insert
    with db.read() as s:
        stored = s.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    assert [(r.route, r.at) for r in stored] == [(f"/r/{n}", AUDIT_AT) for n in range(12)]
