"""The indicator event log: list, read, append (one or a batch), retract."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
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
    EventIn,
    EventPage,
    EventPublic,
    EventsCreate,
    EventsCreated,
    IsoDate,
    RetractionIn,
    UtcDatetime,
)
from signals.config import Settings
from signals.errors import Conflict, InvalidInput
from signals.events import EventFilter, get_event, list_events, record_events, retract_event

router = APIRouter(prefix="/v1", tags=["events"])

EventId = Path(max_length=26, description="The event's ULID.")


@router.get(
    "/events", dependencies=[Reader], response_model=EventPage, responses=responses(*STD_ERRORS)
)
def events_list(
    pair: PairFilter = None,
    type: str | None = Query(None, max_length=64, description="Indicator type key."),
    actor: str | None = Query(None, max_length=200, description="Exact actor name."),
    occurred_from: IsoDate | None = Query(None, description="Occurred on or after this day."),
    occurred_to: IsoDate | None = Query(None, description="Occurred on or before this day."),
    recorded_from: UtcDatetime | None = Query(None, description="Recorded at or after."),
    recorded_to: UtcDatetime | None = Query(None, description="Recorded at or before."),
    as_of: UtcDatetime | None = Query(
        None, description="Only the events in force as known at this time."
    ),
    include_history: bool = Query(
        False, description="Also list superseded events, corrections' targets and retractions."
    ),
    cursor: str | None = Query(None, max_length=26, description="`next_cursor` of a page."),
    limit: int | None = PageLimit,
    session: Session = ReadSession,
    settings: Settings = Depends(get_settings),
) -> EventPage:
    """Events in recording order, filtered, one page at a time."""
    flt = EventFilter(
        pair_id=pair,
        type=type,
        actor=actor,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
        as_of=as_of,
        include_history=include_history,
    )
    rows, next_cursor = list_events(session, flt, cursor, page_size(limit, settings))
    return EventPage(items=[EventPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/events/{event_id}",
    dependencies=[Reader],
    response_model=EventPublic,
    responses=responses(*STD_ERRORS, 404),
)
def events_get(event_id: str = EventId, session: Session = ReadSession) -> EventPublic:
    """One event of the log (reports, corrections and retractions alike)."""
    return EventPublic.model_validate(get_event(session, event_id))


@router.post(
    "/events",
    status_code=201,
    response_model=EventsCreated,
    responses=responses(*STD_ERRORS, 409),
)
def events_create(payload: EventsCreate, w: Writer = AnalystWriter) -> Response:
    """Record one event (an object) or a batch (an array of up to 500 — Settings.max_batch),
    all or nothing. A problem in a batch names the item as `[i].field`.

    A single event joins the group commit (issue 16): concurrent single-event POSTs share
    one transaction and one fsync, each all-or-nothing, each answered after the commit. A
    batch is already one transaction of its own. Most single events never reach this
    function: the write fast path (`service.fastwrite`) records them before routing, with
    the same code, and passes here what it does not take."""
    if isinstance(payload, list):
        check_batch(len(payload), w.settings.max_batch)
        if (replay := w.replay(payload)) is not None:
            return replay
        answer, n = record(w, payload)
    else:
        if (replay := w.replay(payload)) is not None:
            return replay
        try:
            answer, n = w.joined(lambda: record(w, [payload]))
        except (InvalidInput, Conflict) as exc:
            raise single(exc) from None
    w.request.app.state.metrics.events_accepted.inc(n)
    return answer


def record(w: Writer, items: list[EventIn]) -> tuple[Response, int]:
    """Append the events in `w.session`, with the audit row and the idempotency record;
    the answer and how many events it recorded. Shared with the write fast path
    (`service.fastwrite`)."""
    rows = record_events(w.session, w.taxonomy, items, by=w.who.name)
    body = EventsCreated(items=[EventPublic.model_validate(r) for r in rows])
    answer = w.done(
        body,
        status=201,
        result=f"recorded {len(rows)} event(s)",
        object_id=rows[0].id if len(rows) == 1 else f"{len(rows)} events",
    )
    return answer, len(rows)


@router.post(
    "/events/{event_id}/retract",
    status_code=201,
    response_model=EventPublic,
    responses=responses(*STD_ERRORS, 404, 409),
)
def events_retract(
    payload: RetractionIn, event_id: str = EventId, w: Writer = AnalystWriter
) -> Response:
    """Retract an event: a new row of kind `retraction`; nothing is deleted."""
    if (replay := w.replay(payload)) is not None:
        return replay
    row = retract_event(w.session, event_id, payload.reason, by=w.who.name)
    return w.done(
        EventPublic.model_validate(row),
        status=201,
        result=f"retracted {event_id}",
        object_id=row.id,
    )
