"""Ids and server time. Every timestamp is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from ulid import ULID


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """Aware datetimes are converted; naive ones are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def new_id() -> str:
    """A ULID: 26 characters, sortable by creation time."""
    return str(ULID())
