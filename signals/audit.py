"""The audit trail: one row per accepted write and per refused (401/403) request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table
from sqlmodel import Session, col, select

from signals.appends import append
from signals.clock import to_utc, utcnow
from signals.tables import AuditEntry

_AUDIT: Table = AuditEntry.__table__  # type: ignore[attr-defined]


def record(
    session: Session,
    *,
    key_id: str | None,
    key_name: str | None,
    method: str,
    route: str,
    status_code: int,
    result: str,
    object_id: str | None = None,
) -> None:
    """Append one audit row in the caller's transaction: a Core INSERT, since nothing reads
    the row back in that session and the ORM's unit of work would cost several times the
    insert itself on every write (group commit runs a group's writes one after another,
    and writes their audit rows in one INSERT: `signals.appends`)."""
    append(
        session,
        _AUDIT,
        {
            "at": utcnow(),
            "key_id": key_id,
            "key_name": key_name[:100] if key_name else key_name,
            "method": method[:10],
            "route": route[:300],
            "object_id": object_id[:200] if object_id else object_id,
            "status_code": status_code,
            "result": result[:300],
        },
    )


def list_entries(
    session: Session,
    *,
    before: int | None = None,
    limit: int = 100,
    key_id: str | None = None,
    since: datetime | None = None,
) -> tuple[list[AuditEntry], int | None]:
    """Newest first; the cursor is the id of the last row returned when more remain."""
    stmt = select(AuditEntry)
    if before is not None:
        stmt = stmt.where(col(AuditEntry.id) < before)
    if key_id:
        stmt = stmt.where(AuditEntry.key_id == key_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= to_utc(since))
    rows = list(session.exec(stmt.order_by(col(AuditEntry.id).desc()).limit(limit + 1)))
    cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], cursor
