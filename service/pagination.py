"""The page size of a listing, shared by every route that pages (events, outcomes, the
ledger, the audit trail, the forecasts)."""

from __future__ import annotations

from typing import Any

from fastapi import Query

from signals.config import Settings
from signals.errors import FieldProblem, InvalidInput

# The page size every listing takes: the OpenAPI document states the ceiling, and
# RIFTCAST_MAX_PAGE_SIZE may only lower it (a larger `limit` is then a named 422).
PAGE_CEILING = 500


def limit_query(setting: str) -> Any:
    """The `limit` parameter of a listing whose default page size is the setting named."""
    default = Settings.model_fields[setting].default
    return Query(
        None,
        ge=1,
        le=PAGE_CEILING,
        description=f"Page size: {default} by default (RIFTCAST_{setting.upper()}), at most "
        f"{PAGE_CEILING} (or RIFTCAST_MAX_PAGE_SIZE).",
    )


PageLimit = limit_query("default_page_size")


def newest(default: int) -> Any:
    """The `limit` of a short newest-first list (runs, jobs): not paged, the same ceiling."""
    return Query(default, ge=1, le=PAGE_CEILING, description="At most this many, newest first.")


def page_size(limit: int | None, settings: Settings, default: int | None = None) -> int:
    """`limit`, or `default` (the configured default page size when None); above
    `Settings.max_page_size` a 422 naming `limit` (the OpenAPI document states the ceiling
    the setting may only lower)."""
    if limit is None:
        return settings.default_page_size if default is None else default
    if limit > settings.max_page_size:
        raise InvalidInput(
            f"limit: at most {settings.max_page_size}",
            [FieldProblem("limit", f"must be at most {settings.max_page_size}")],
        )
    return limit
