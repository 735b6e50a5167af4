"""The audit trail (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from service.deps import Admin, ReadSession, get_settings
from service.pagination import PageLimit, page_size
from service.problems import STD_ERRORS, responses
from service.schemas import AuditEntryPublic, AuditPage, UtcDatetime
from signals import audit
from signals.config import Settings

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get(
    "/audit", dependencies=[Admin], response_model=AuditPage, responses=responses(*STD_ERRORS)
)
def audit_list(
    key_id: str | None = Query(None, max_length=26, description="Only this key's entries."),
    since: UtcDatetime | None = Query(None, description="Only entries at or after this time."),
    cursor: int | None = Query(None, ge=0, le=2**62, description="`next_cursor` of a page."),
    limit: int | None = PageLimit,
    session: Session = ReadSession,
    settings: Settings = Depends(get_settings),
) -> AuditPage:
    """Every accepted write and every refused request, newest first."""
    rows, nxt = audit.list_entries(
        session, before=cursor, limit=page_size(limit, settings), key_id=key_id, since=since
    )
    return AuditPage(items=[AuditEntryPublic.model_validate(r) for r in rows], next_cursor=nxt)
