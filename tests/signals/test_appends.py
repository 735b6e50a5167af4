"""Appended rows: written at once outside a batch; inside one, only when it ends (or is
asked to write), in one INSERT per table."""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import Session, func, select

from signals.appends import append, batched_appends
from signals.db import Database
from signals.tables import AuditEntry, ChangeEntry
from tests.factories import AUDIT_AT, AUDIT_TABLE, audit_row, inserted_tables, recorded_statements

_CHANGES: Table = ChangeEntry.__table__  # type: ignore[attr-defined]


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEntry)).one()


def test_outside_a_batch_a_row_is_written_at_once(db: Database) -> None:
    with db.write() as s:
        append(s, AUDIT_TABLE, audit_row(1))
        assert _count(s) == 1


def test_a_batch_writes_its_rows_at_its_end_in_one_insert(
    db: Database,
) -> None:
    statements = recorded_statements(db)
    with db.write() as s:
        with batched_appends(s):
            append(s, AUDIT_TABLE, audit_row(1))
            append(s, AUDIT_TABLE, [audit_row(2), audit_row(3)])
            assert _count(s) == 0  # not yet written
        assert _count(s) == 3
    assert inserted_tables(statements) == ["audit_entry"]


def test_undo_forgets_the_rows_of_a_write_whose_savepoint_rolled_back(db: Database) -> None:
    with db.write() as s, batched_appends(s) as batch:
        append(s, AUDIT_TABLE, audit_row(1))
        mark = batch.mark()
        append(s, AUDIT_TABLE, [audit_row(2), audit_row(3)])
        batch.undo_to(mark)
        append(s, AUDIT_TABLE, audit_row(4))
    with db.read() as s:
        routes = sorted(r.route for r in s.exec(select(AuditEntry)))
    assert routes == ["/r/1", "/r/4"]


def test_appended_rows_fetch_no_keys(db: Database) -> None:
    """Nothing reads an appended row's generated id back: no RETURNING, not even for a
    lone row (a result to fetch on every write)."""
    statements = recorded_statements(db)
    with db.write() as s:
        append(s, AUDIT_TABLE, audit_row(1))  # at once
        with batched_appends(s):
            append(s, AUDIT_TABLE, audit_row(2))
            append(s, _CHANGES, {"pair_id": "a--b", "kind": "event", "at": AUDIT_AT})
        assert _count(s) == 2
    inserts = [st for st in statements if st.startswith("INSERT")]
    assert len(inserts) == 3 and not any("RETURNING" in st for st in inserts)
