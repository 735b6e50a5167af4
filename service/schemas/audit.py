"""The audit trail."""

from __future__ import annotations

from pydantic import Field

from service.schemas.common import PUBLIC, Public
from signals.tables import AuditEntryBase


class AuditEntryPublic(AuditEntryBase):
    """Who did what, when, to which object, and how it ended."""

    model_config = PUBLIC

    id: int = Field(examples=[42])


class AuditPage(Public):
    """Audit entries, newest first; pass `next_cursor` as `cursor` for older ones."""

    items: list[AuditEntryPublic]
    next_cursor: int | None = Field(examples=[None])
