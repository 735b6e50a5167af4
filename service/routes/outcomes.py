"""Outcomes: what the model learns from. A new outcome queues a refit."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlmodel import Session

from service.batches import check_batch, single
from service.deps import (
    AnalystWriter,
    PairFilter,
    Reader,
    ReadSession,
    Writer,
    get_settings,
)
from service.pagination import PageLimit, page_size
from service.problems import STD_ERRORS, responses
from service.schemas import (
    OutcomeIn,
    OutcomeList,
    OutcomePublic,
    OutcomesCreate,
    OutcomesCreated,
    UtcDatetime,
)
from signals import jobs
from signals.config import Settings
from signals.errors import InvalidInput
from signals.outcomes import outcomes_as_of, record_outcomes

router = APIRouter(prefix="/v1", tags=["outcomes"])


@router.get(
    "/outcomes", dependencies=[Reader], response_model=OutcomeList, responses=responses(*STD_ERRORS)
)
def outcomes_list(
    pair: PairFilter = None,
    as_of: UtcDatetime | None = Query(None, description="As recorded by this time."),
    limit: int | None = PageLimit,
    session: Session = ReadSession,
    settings: Settings = Depends(get_settings),
) -> OutcomeList:
    """Outcomes in recording order."""
    rows = outcomes_as_of(session, as_of, pair)[: page_size(limit, settings)]
    return OutcomeList(items=[OutcomePublic.model_validate(r) for r in rows])


@router.post(
    "/outcomes",
    status_code=201,
    response_model=OutcomesCreated,
    responses=responses(*STD_ERRORS, 409),
)
def outcomes_create(payload: OutcomesCreate, w: Writer = AnalystWriter) -> Response:
    """Record one outcome or a batch (array), all or nothing; queues a refit job."""
    items: list[OutcomeIn] = payload if isinstance(payload, list) else [payload]
    check_batch(len(items), w.settings.max_batch)
    if (replay := w.replay(payload)) is not None:
        return replay
    try:
        rows = record_outcomes(w.session, items, by=w.who.name)
    except InvalidInput as exc:
        raise single(exc) if not isinstance(payload, list) else exc from None
    job = jobs.queued(w.session) if rows else None  # record_outcomes queued (or joined) it
    body = OutcomesCreated(
        items=[OutcomePublic.model_validate(r) for r in rows],
        refit_job_id=job.id if job else None,
    )
    return w.done(
        body,
        status=201,
        result=f"recorded {len(rows)} outcome(s)",
        object_id=rows[0].id if len(rows) == 1 else f"{len(rows)} outcomes",
    )
