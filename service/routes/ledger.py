"""The forecast ledger's reads: the track record, one pair's ledger, and the bulk export.

The ledger (signals.ledger) keeps every headline forecast served and scores each window
once an outcome settles it; these routes let a reader check "how good has it been?" and
take everything away. Included before `forecasts`' router, so that `/forecasts/export` is
not read as a pair called "export".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from service.cache import ForecastCache
from service.concurrency import Slots
from service.deps import PairIdPath, Reader, ReadSession, get_cache, get_settings
from service.forecasting.export import FORECAST_COLUMNS, MEDIA_TYPES, forecast_rows, render
from service.pagination import PageLimit, page_size
from service.problems import STD_ERRORS, ApiError, responses
from service.schemas import (
    CoveragePublic,
    HorizonBaseRate,
    LedgerEntryPublic,
    LedgerPage,
    LedgerWindowPublic,
    RecordGroupPublic,
    ReliabilityBinPublic,
    TrackRecordPublic,
    UtcDatetime,
    WindowScorePublic,
)
from signals import ledger
from signals.clock import to_utc
from signals.config import Settings
from signals.factions import get_pair, pair_ids

if TYPE_CHECKING:  # models.record loads scikit-learn: with the first track record only
    from models.record import Group
    from models.results import PairForecast

# How long a client refused for want of an export slot is asked to wait.
EXPORT_RETRY_SECONDS = 5

router = APIRouter(prefix="/v1", tags=["track record"])

CSV_EXAMPLE = (
    ",".join(FORECAST_COLUMNS) + "\nhaqqani-network--kandahar-leadership,haqqani-network,"
    "kandahar-leadership,cohesive,2025-03-02T10:00:00+00:00,2025-03-02,90,0.21,0.08,0.41,"
    "unlikely,true,01JNDX6Q9S00000000000000R1,false,1+abcd1234\n"
)
JSONL_EXAMPLE = (
    '{"pair_id": "haqqani-network--kandahar-leadership", "horizon_days": 90, '
    '"probability": 0.21, "lower": 0.08, "upper": 0.41, "as_of": "2025-03-02T10:00:00+00:00", '
    '"run_id": "01JNDX6Q9S00000000000000R1", "prior_only": false, "…": "…"}\n'
)


def _group(g: Group) -> RecordGroupPublic:
    return RecordGroupPublic(
        key=g.key,
        n=g.n,
        n_ruptured=g.n_ruptured,
        mean_probability=g.mean_probability,
        base_rate=g.base_rate,
        brier=g.brier,
        brier_base_rate=g.brier_base_rate,
        brier_skill=g.brier_skill,
        log_score=g.log_score,
        coverage=CoveragePublic(inside=g.inside, n=g.n, share=g.coverage, share_ci=g.coverage_ci),
    )


@router.get(
    "/track-record",
    dependencies=[Reader],
    response_model=TrackRecordPublic,
    responses=responses(*STD_ERRORS),
)
def track_record_get(
    bins: int = Query(10, ge=2, le=20, description="Quantile bins of the reliability curve."),
    session: Session = ReadSession,
) -> TrackRecordPublic:
    """How the forecasts served have scored as outcomes settled their windows: count,
    Brier, Brier skill against each horizon's base rate, log score and the coverage of the
    90% intervals — overall, per horizon, per movement and per model run — and the
    reliability curve."""
    from service.forecasting.track_record import (  # scikit-learn loads with the first record
        BASE_RATE_DEFINITION,
        track_record,
    )

    tr = track_record(session, bins)
    return TrackRecordPublic(
        n_entries=tr.n_entries,
        n_settled=tr.n_settled,
        n_pending=tr.n_pending,
        base_rate_definition=BASE_RATE_DEFINITION,
        base_rates=[
            HorizonBaseRate(horizon_days=h, base_rate=r) for h, r in sorted(tr.base_rates.items())
        ],
        overall=_group(tr.overall) if tr.overall else None,
        by_horizon=[_group(g) for g in tr.by_horizon],
        by_movement=[_group(g) for g in tr.by_movement],
        by_run=[_group(g) for g in tr.by_run],
        reliability=[ReliabilityBinPublic.model_validate(b) for b in tr.reliability],
    )


@router.get(
    "/forecasts/export",
    dependencies=[Reader],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One row per pair and horizon, streamed: CSV with a header, or JSON "
            "Lines with the same fields.",
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
                "application/x-ndjson": {"schema": {"type": "string"}, "example": JSONL_EXAMPLE},
            },
        },
        **responses(*STD_ERRORS, 503),
    },
)
async def forecasts_export(
    request: Request,
    format: Literal["csv", "jsonl"] = Query("csv", description="`csv` or `jsonl`."),
    as_of: UtcDatetime | None = Query(
        None, description="Every forecast as it could have been made then (events known then)."
    ),
    cache: ForecastCache = Depends(get_cache),
) -> StreamingResponse:
    """Every pair's forecast at every configured horizon, with its 90% interval, knowledge
    time and model run, streamed pair by pair (any number of pairs, in bounded memory).
    A worker runs `RIFTCAST_EXPORT_CONCURRENCY` at once; another gets 503 and
    `Retry-After`."""
    when = None
    if as_of is not None:  # refused before the first byte, while a 422 can still be sent
        when = await anyio.to_thread.run_sync(cache.require().check_as_of, as_of)
    db = cache.require().db

    def ids() -> list[str]:
        with db.read() as session:
            return pair_ids(session)

    def cached(pair_id: str) -> PairForecast | None:
        entry = cache.peek(pair_id, count=False)
        return entry.forecast if entry is not None else None

    slots: Slots = request.app.state.export_slots
    if not slots.take():
        raise ApiError(
            503,
            f"this worker is running {slots.size} export(s) already; retry shortly",
            headers={"Retry-After": str(EXPORT_RETRY_SECONDS)},
        )
    try:
        rows = forecast_rows(cache.require(), await anyio.to_thread.run_sync(ids), when, cached)
    except BaseException:
        slots.give_back()
        raise
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        slots.holding(render(rows, FORECAST_COLUMNS, format)),
        media_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="riftcast-forecasts-{stamp}.{format}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/forecasts/{pair_id}/ledger",
    dependencies=[Reader],
    response_model=LedgerPage,
    responses=responses(*STD_ERRORS, 404),
)
def forecasts_ledger(
    pair_id: PairIdPath,
    cursor: str | None = Query(None, max_length=26, description="`next_cursor` of a page."),
    limit: int | None = PageLimit,
    session: Session = ReadSession,
    settings: Settings = Depends(get_settings),
) -> LedgerPage:
    """What was said about one pair: every headline forecast served (on each change, and a
    daily snapshot), newest first, each window with its score once settled."""
    get_pair(session, pair_id)
    views, nxt = ledger.list_entries(session, pair_id, cursor, page_size(limit, settings))
    return LedgerPage(items=[_entry(v) for v in views], next_cursor=nxt)


def _entry(view: ledger.EntryView) -> LedgerEntryPublic:
    e = view.entry
    return LedgerEntryPublic(
        id=e.id,
        pair_id=e.pair_id,
        made_at=to_utc(e.made_at),
        made_on=e.made_on,
        as_of=to_utc(e.as_of),
        kind=e.kind,  # type: ignore[arg-type]
        status=e.status,
        run_id=e.run_id,
        prior_only=e.run_id is None,
        taxonomy_version=e.taxonomy_version,
        etag=e.etag,
        horizons=[
            LedgerWindowPublic(
                horizon_days=w.horizon.horizon_days,
                probability=w.horizon.probability,
                lower=w.horizon.lower,
                upper=w.horizon.upper,
                window_start=w.horizon.window_start,
                window_end=w.horizon.window_end,
                score=None
                if w.score is None
                else WindowScorePublic(
                    outcome=w.score.outcome,
                    brier=w.score.brier,
                    log_score=w.score.log_score,
                    inside_interval=w.score.inside,
                    settled_by=w.score.outcome_id,
                    scored_at=to_utc(w.score.scored_at),
                ),
            )
            for w in view.windows
        ],
    )
