"""Rows appended to the log tables, written in one INSERT per table at a block's end.

A single-event write appends three rows: the report, its audit row and its change row.
The group commit runs the writes of a group one after another in one transaction, so on
PostgreSQL each of those INSERTs was a round trip that every later write of the group
waited on: three per write, most of a group's time. Inside `batched_appends(session)` an
`append` is collected instead, and the rows are written when the block ends — one
multi-row INSERT per table — or when the caller asks
(`AppendBatch.write`), as the group commit does inside each savepoint once a write of the
group has failed, so that a row that breaks a constraint is the error of the write that
appended it.

Only append-only rows go through here: nothing reads them back in the transaction that
wrote them, so it does not matter that they reach the database only at its end, and their
generated keys are not fetched (`Insert.inline()`: no RETURNING). Callers name the table;
its INSERT is built once (`_insert_into`), so that SQLAlchemy finds its compiled form by
a cache key it has already computed rather than by a new statement's. A write that must see
its own rows (a correction racing another for the same event takes a savepoint around its
INSERT) executes them itself. Outside the block, `append` executes at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

_BATCH = "riftcast_append_batch"  # session.info: inside `batched_appends`, its AppendBatch

Row = dict[str, Any]
Mark = dict[Insert, int]


@cache
def _insert_into(table: Table) -> Insert:
    """The one INSERT of appended rows into `table`: without RETURNING."""
    return insert(table).inline()


@dataclass
class AppendBatch:
    """The rows appended in one transaction and not yet written, by INSERT statement (in
    the order the tables were first appended to)."""

    pending: dict[Insert, list[Row]] = field(default_factory=dict)

    def mark(self) -> Mark:
        """Where the rows of the write about to run will begin."""
        return {statement: len(rows) for statement, rows in self.pending.items()}

    def undo_to(self, mark: Mark) -> None:
        """Forget the rows appended since `mark`: that write's savepoint rolled back."""
        for statement, rows in self.pending.items():
            del rows[mark.get(statement, 0) :]

    def write(self, session: Session) -> None:
        """Write what is pending now, after whatever the ORM holds (a pair created on first
        reference: the rows refer to it). Rows that raise stay pending: the caller rolls
        back its savepoint and forgets them with `undo_to`."""
        session.flush()
        for statement, rows in self.pending.items():
            if rows:
                session.connection().execute(statement, rows)
                rows.clear()


def append(session: Session, table: Table, rows: Row | Sequence[Row]) -> None:
    """Insert `rows` into `table` in the session's transaction: at once, or at the end of
    the enclosing `batched_appends` block."""
    statement = _insert_into(table)
    batch: AppendBatch | None = session.info.get(_BATCH)
    if batch is None:
        many = rows if isinstance(rows, dict) else list(rows)
        session.connection().execute(statement, many)
        return
    kept = batch.pending.setdefault(statement, [])
    if isinstance(rows, dict):
        kept.append(rows)
    else:
        kept.extend(rows)


@contextmanager
def batched_appends(session: Session) -> Iterator[AppendBatch]:
    """Collect the appends of the block; write them when it ends normally (on an exception
    nothing is written: the transaction rolls back)."""
    batch = AppendBatch()
    session.info[_BATCH] = batch
    try:
        yield batch
    finally:
        session.info.pop(_BATCH, None)
    batch.write(session)
