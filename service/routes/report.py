"""`GET /v1/forecasts/{pair}/report.pdf`: the pair's one-page brief, for readers who would
rather print than call the API.

The PDF is drawn from the same forecast and history the JSON routes serve (the cached
forecast when no `as_of` is given), so the brief and the dashboard never disagree. It is
kept and rendered through `service.briefs.BriefCache`: a repeated request costs nothing,
and renders run a bounded number at a time.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from service.bodies import etag_matches
from service.briefs import BriefCache, gather_brief
from service.cache import ForecastCache
from service.deps import PairIdPath, Reader, get_cache
from service.problems import STD_ERRORS, responses
from service.schemas import HorizonDays, UtcDatetime

router = APIRouter(prefix="/v1", tags=["forecasts"])


@router.get(
    "/forecasts/{pair_id}/report.pdf",
    dependencies=[Reader],
    response_class=Response,
    responses={
        200: {
            "description": "The one-page brief (PDF).",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        **responses(*STD_ERRORS, 404),
    },
)
def forecasts_report(
    request: Request,
    pair_id: PairIdPath,
    as_of: UtcDatetime | None = Query(
        None, description="The forecast as it could have been made then (events known then)."
    ),
    horizon: Annotated[
        HorizonDays, Query(description="Horizon of the probability-over-time chart, in days.")
    ] = 90,
    cache: ForecastCache = Depends(get_cache),
    if_none_match: str | None = Header(None),
) -> Response:
    """The pair's brief: the forecast per horizon in words, its history with the events,
    the top drivers with their sources and the model run's diagnostics. Conditional with
    `If-None-Match`: a brief changes only when its forecast or track record does (the
    recorded backtest, or the ledger's settled forecasts)."""
    forecaster = cache.require()
    entry = cache.get(pair_id) if as_of is None else cache.compute(pair_id, as_of, None)
    brief = gather_brief(request.app.state.db, forecaster, entry.forecast, horizon)

    def render() -> bytes:
        buffer = io.BytesIO()
        brief.render(buffer, "pdf")
        return buffer.getvalue()

    briefs: BriefCache = request.app.state.briefs
    key = (entry.etag, *brief.key)
    etag = briefs.etag(key)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    filename = f"riftcast-{pair_id}-{entry.forecast.as_of.date().isoformat()}.pdf"
    return Response(
        briefs.get(key, render),
        media_type="application/pdf",
        headers={**headers, "Content-Disposition": f'inline; filename="{filename}"'},
    )
