"""Forecasts: every pair's latest, one pair's (cached, with ETag), history, what-if, SSE.

Forecasts are recomputed from the published run's draws (NumPy, no MCMC) and cached per
pair; `If-None-Match` with the current ETag gets 304 and no body.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from sse_starlette import EventSourceResponse

from models.forecast import MAX_HORIZON_DAYS
from service.auth import Principal
from service.bodies import conditional
from service.cache import ForecastCache
from service.deps import PairIdPath, Reader, get_cache, get_settings
from service.listing import CURSOR_MAX_LENGTH, ORDERS, ListingOrder
from service.pagination import limit_query, page_size
from service.problems import STD_ERRORS, responses
from service.schemas import (
    ForecastHistory,
    ForecastList,
    ForecastPublic,
    HorizonChange,
    HorizonDays,
    IsoDate,
    UtcDatetime,
    WhatIfIn,
    WhatIfPublic,
)
from service.stream import Subscriber, Threshold, event_stream, summary
from signals.config import Settings
from signals.errors import FieldProblem, InvalidInput
from signals.factions import normal_pair_id
from signals.fields import PAIR_ID_LENGTH

router = APIRouter(prefix="/v1", tags=["forecasts"])

IfNoneMatch = Header(None, alias="If-None-Match", max_length=2000)
AcceptEncoding = Header(None, alias="Accept-Encoding", max_length=2000, include_in_schema=False)
HORIZON_DOC = (
    f"Horizon in days (1–{MAX_HORIZON_DAYS}); repeat for several. The configured ones by default."
)


def conditional_response(
    body: bytes,
    etag: str,
    if_none_match: str | None,
    gzipped: bytes | None = None,
    accept_encoding: str | None = None,
) -> Response:
    """The cached body, or 304, exactly as the polling fast path sends it."""
    status, headers, content = conditional(body, etag, if_none_match, gzipped, accept_encoding)
    response = Response(content, status_code=status)
    response.raw_headers = headers
    return response


def _horizons(horizon: list[int] | None) -> list[int] | None:
    if horizon and len(horizon) > 20:
        raise InvalidInput("at most 20 horizons", [FieldProblem("horizon", "at most 20")])
    return horizon or None


@router.get(
    "/forecasts",
    dependencies=[Reader],
    response_model=ForecastList,
    responses=responses(*STD_ERRORS, 304),
)
async def forecasts_list(
    horizon: Annotated[
        HorizonDays | None, Query(description="The horizon to sort by (one of the configured).")
    ] = None,
    sort: ListingOrder = Query(
        ORDERS[0], description="Order: by probability at `horizon`, or by pair id."
    ),
    cursor: str | None = Query(
        None, max_length=CURSOR_MAX_LENGTH, description="`next_cursor` of a page."
    ),
    limit: int | None = limit_query("forecast_page_size"),
    if_none_match: str | None = IfNoneMatch,
    accept_encoding: str | None = AcceptEncoding,
    cache: ForecastCache = Depends(get_cache),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Every pair's latest forecast at the configured horizons, sorted, a page at a time
    (follow `next_cursor`); gzip-compressed when the client accepts it
    (`Accept-Encoding: gzip`), as browsers do."""
    h = horizon or settings.horizons[0]
    if h not in settings.horizons:
        raise InvalidInput(
            f"horizon must be one of {settings.horizons}",
            [FieldProblem("horizon", f"must be one of {settings.horizons}")],
        )
    size = page_size(limit, settings, settings.forecast_page_size)
    # Cached until the next write: answered on the event loop; built in the threadpool.
    listing = cache.peek_listing(h, sort)
    if listing is None:
        listing = await anyio.to_thread.run_sync(cache.listing, h, sort)
    found = listing.peek_page(cursor, size)
    if found is None:
        found = await anyio.to_thread.run_sync(listing.page, cursor, size)
    return conditional_response(
        found.body, found.etag, if_none_match, found.gzipped, accept_encoding
    )


@router.get(
    "/forecasts/stream",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "Server-Sent Events: `ready` once, then `forecast` whenever a "
            "pair's forecast changes and `alert` when a threshold is crossed.",
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string"},
                    "example": 'event: forecast\ndata: {"pair_id": "a--b", "horizons": []}\n\n',
                }
            },
        },
        **responses(*STD_ERRORS),
    },
)
async def forecasts_stream(
    request: Request,
    pair: list[str] | None = Query(
        None, max_length=50, description="Only these pairs (repeat); all pairs by default."
    ),
    threshold: list[str] | None = Query(
        None,
        max_length=50,
        description="`pair:horizon:probability`, e.g. `a--b:90:0.3` (repeat): also send an "
        "`alert` when the probability at that horizon crosses the value.",
    ),
    settings: Settings = Depends(get_settings),
    who: Principal = Reader,
) -> EventSourceResponse:
    """Server-Sent Events of forecast changes (and threshold alerts). Revoking the key
    ends the stream with a `revoked` event within one change-log poll."""
    thresholds = tuple(_threshold(t, settings) for t in threshold or [])
    pairs = frozenset(normal_pair_id(p[:PAIR_ID_LENGTH]) for p in pair) if pair else None
    cache: ForecastCache = request.app.state.cache
    initial: list[dict[str, Any]] = []
    for pid in sorted({t.pair_id for t in thresholds}):
        entry = await anyio.to_thread.run_sync(cache.get, pid)
        initial.append(summary(entry))
    sub = Subscriber(pairs=pairs, thresholds=thresholds, key_id=who.key_id)
    return EventSourceResponse(
        event_stream(request.app.state.broker, sub, initial),
        ping=int(settings.sse_ping_seconds),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _threshold(text: str, settings: Settings) -> Threshold:
    parts = text.rsplit(":", 2)
    problem = FieldProblem("threshold", "must be pair:horizon:probability")
    if len(parts) != 3:
        raise InvalidInput(f"bad threshold {text[:60]!r}", [problem])
    pair_id, horizon_text, value_text = parts
    pair_id = normal_pair_id(pair_id)  # either order, as everywhere a pair is named
    try:
        horizon, value = int(horizon_text), float(value_text)
    except ValueError:
        raise InvalidInput(f"bad threshold {text[:60]!r}", [problem]) from None
    if horizon not in settings.horizons or not 0.0 <= value <= 1.0 or not pair_id:
        raise InvalidInput(
            f"a threshold's horizon is one of {settings.horizons} and its value in [0, 1]",
            [problem],
        )
    return Threshold(pair_id[:PAIR_ID_LENGTH], horizon, value)


@router.get(
    "/forecasts/{pair_id}",
    dependencies=[Reader],
    response_model=ForecastPublic,
    responses=responses(*STD_ERRORS, 304, 404),
)
async def forecasts_get(
    pair_id: PairIdPath,
    as_of: UtcDatetime | None = Query(
        None, description="The forecast as it could have been made then (events known then)."
    ),
    horizon: list[int] | None = Query(None, description=HORIZON_DOC),
    on: IsoDate | None = Query(
        None,
        description="Retrospective: the forecast for this earlier date, from the same "
        "knowledge (events that occurred later are not counted).",
    ),
    if_none_match: str | None = IfNoneMatch,
    cache: ForecastCache = Depends(get_cache),
) -> Response:
    """A pair's rupture forecast: probability, 90% interval and phrase per horizon; drivers;
    the model run it came from, or that the priors alone forecast."""
    hz = _horizons(horizon)
    latest = as_of is None and on is None
    # The polling path: a cache hit is answered on the event loop; anything that touches
    # the database or NumPy runs in the threadpool.
    entry = cache.peek(pair_id, hz) if latest else None
    if entry is None and latest:
        entry = await anyio.to_thread.run_sync(cache.get, pair_id, hz)
    elif entry is None:
        entry = await anyio.to_thread.run_sync(cache.compute, pair_id, as_of, hz, on)
    return conditional_response(entry.body, entry.etag, if_none_match)


@router.get(
    "/forecasts/{pair_id}/history",
    dependencies=[Reader],
    response_model=ForecastHistory,
    responses=responses(*STD_ERRORS, 304, 404),
)
def forecasts_history(
    pair_id: PairIdPath,
    horizon: Annotated[HorizonDays, Query(description="Horizon in days.")] = 90,
    start: IsoDate | None = Query(None, description="First date (a year back by default)."),
    end: IsoDate | None = Query(None, description="Last date (today by default)."),
    step_days: int = Query(7, ge=1, le=365, description="Days between points."),
    if_none_match: str | None = IfNoneMatch,
    cache: ForecastCache = Depends(get_cache),
) -> Response:
    """The pair's forecast over time at one horizon, for charts."""
    body, etag = cache.history(pair_id, horizon, start, end, step_days)
    return conditional_response(body, etag, if_none_match)


@router.post(
    "/forecasts/{pair_id}/what-if",
    dependencies=[Reader],
    response_model=WhatIfPublic,
    responses=responses(*STD_ERRORS, 404),
)
def forecasts_what_if(
    payload: WhatIfIn,
    pair_id: PairIdPath,
    cache: ForecastCache = Depends(get_cache),
    settings: Settings = Depends(get_settings),
) -> WhatIfPublic:
    """The forecast with hypothetical events added, beside the current one. Nothing is
    stored."""
    if len(payload.events) > settings.max_batch:
        raise InvalidInput(
            f"at most {settings.max_batch} hypothetical events",
            [FieldProblem("events", f"at most {settings.max_batch} items")],
        )
    current, what_if = cache.require().what_if(pair_id, payload.events, payload.horizons)
    cur = ForecastPublic.model_validate(current, from_attributes=True)
    alt = ForecastPublic.model_validate(what_if, from_attributes=True)
    changes = [
        HorizonChange(
            horizon_days=a.horizon_days,
            current=a.probability,
            what_if=b.probability,
            delta=b.probability - a.probability,
        )
        for a, b in zip(cur.horizons, alt.horizons, strict=True)
    ]
    return WhatIfPublic(current=cur, what_if=alt, changes=changes)
