"""The indicator event log: append-only, bitemporal.

An event is never updated or deleted. A correction is a new event whose `supersedes`
points at the one it replaces; a retraction is a new row of kind `retraction`. What was
known at time T is therefore the rows with `recorded_at <= T`, minus those superseded by
a row also recorded by T — a query served by the (pair_id, recorded_at) index.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Row as SqlRow
from sqlalchemy import Table, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, col, select

from signals.appends import append
from signals.changes import note_change
from signals.clock import new_id, to_utc, utcnow
from signals.db import FOUND_PAIRS, KNOWN_PAIRS
from signals.errors import Conflict, FieldProblem, InvalidInput, NotFound
from signals.factions import ensure_pair, pair_fields, pair_id_for, unknown_factions
from signals.schemas import EventIn, content_hash, format_fuzzy_date
from signals.tables import IndicatorEvent, Pair
from signals.taxonomy import Taxonomy


def check_events(
    session: Session,
    taxonomy: Taxonomy,
    items: Sequence[EventIn],
    lines: Sequence[int],
    stored_pairs: set[str] | None = None,
) -> list[FieldProblem]:
    """Every problem with a batch that needs the database or the taxonomy to see.
    `stored_pairs`: the items' pairs already stored, when the caller has looked them up."""
    if stored_pairs is None:
        stored_pairs = _stored_pairs(session, items)
    problems: list[FieldProblem] = []
    for item, line in zip(items, lines, strict=True):
        kind = taxonomy.get(item.type)
        if kind is None:
            problems.append(FieldProblem("type", f"unknown indicator type {item.type!r}", line))
        elif item.ended_on is not None and not kind.state:
            message = f"{item.type!r} is a one-off event, not a state: it has no end"
            problems.append(FieldProblem("ended_on", message, line))
        # A stored pair's factions exist (foreign keys): two lookups saved per event.
        if pair_id_for(item.faction_a, item.faction_b) not in stored_pairs:
            problems += unknown_factions(session, pair_fields(item.faction_a, item.faction_b), line)
        if item.supersedes is not None:
            problem = _check_supersedes(session, item, line)
            if problem:
                problems.append(problem)
    return problems


def _check_supersedes(session: Session, item: EventIn, line: int) -> FieldProblem | None:
    old = session.get(IndicatorEvent, item.supersedes)
    if old is None or old.kind == "retraction":
        return FieldProblem("supersedes", f"unknown event {item.supersedes!r}", line)
    if old.pair_id != pair_id_for(item.faction_a, item.faction_b):
        return FieldProblem("supersedes", "a correction must be about the same pair", line)
    return None


def _successor_conflict(
    session: Session, event_id: str, line: int | None = None
) -> Conflict | None:
    """409 naming the row that already supersedes `event_id`, if one does (and, in a
    batch, the item that tried to: `line`)."""
    winner = _superseded_by(session, event_id)
    if winner is None:
        return None
    how = "retracted" if winner.kind == "retraction" else "corrected"
    return Conflict(
        f"event {event_id} was already {how} by {winner.id}",
        [FieldProblem("supersedes", f"superseded by {winner.id}", line)],
    )


_EVENTS: Table = IndicatorEvent.__table__  # type: ignore[attr-defined]
_PAIRS: Table = Pair.__table__  # type: ignore[attr-defined]
_INSERT_EVENTS = insert(_EVENTS)
_NEW_EVENT = sa_inspect(IndicatorEvent).class_manager.new_instance


def _detached(row: dict[str, Any]) -> IndicatorEvent:
    """The event a row of the log holds, built as SQLAlchemy builds a row it loads: with
    every column's value and none of `__init__`'s work (defaults, validation hooks and an
    attribute event per field cost ~35 µs an event, about a twentieth of a single-event
    POST's CPU). Detached: no session knows it. The mappers are configured first: until a
    process's first ORM query does it, the class's attributes cannot read what it holds."""
    configure_mappers()  # a flag check once done
    event: IndicatorEvent = _NEW_EVENT()
    event.__dict__.update(row)
    return event


def _insert(
    session: Session,
    rows: Sequence[dict[str, Any]],
    superseded: Sequence[tuple[str, int | None]],
) -> list[IndicatorEvent]:
    """Insert new rows; a concurrent writer's successor to the same event wins the unique
    index, and this request then gets a 409 naming it — asked after rolling back a
    savepoint, so rows that supersede go in inside one (reports alone need none: their
    failure is not recovered from). Whatever is pending, such as a pair created on first
    reference, is flushed first.

    The rows go in as one Core INSERT, not as ORM objects through the unit of work: the log
    is append-only, so the session has nothing to track, and a write then costs a fraction
    of the CPU (the group commit runs its members one after another). Reports are appended
    (`signals.appends`): in a group commit, every report of the group goes in as one
    INSERT at its end. The objects returned are built from the same values, detached from
    the session (`_detached`)."""
    if not superseded:
        session.flush()
        if rows:
            append(session, _EVENTS, rows)
        return [_detached(row) for row in rows]
    try:
        with session.begin_nested():
            session.connection().execute(_INSERT_EVENTS, list(rows))
    except IntegrityError:
        for event_id, line in superseded:
            conflict = _successor_conflict(session, event_id, line)
            if conflict is not None:
                raise conflict from None
        raise
    return [_detached(row) for row in rows]


def _superseded_by(session: Session, event_id: str) -> IndicatorEvent | None:
    stmt = select(IndicatorEvent).where(IndicatorEvent.supersedes == event_id).limit(1)
    return session.exec(stmt).first()


def event_values(
    item: EventIn, pair_id: str, recorded_at: datetime, by: str, event_id: str, digest: str
) -> dict[str, Any]:
    """The columns of the log's row for a reported event: the one builder of an event row,
    for the log and for the what-if's hypothetical events alike."""
    occurred, precision = item.occurred
    return {
        "id": event_id,
        "pair_id": pair_id,
        "type": item.type,
        "occurred_on": occurred,
        "precision": precision,
        "recorded_at": recorded_at,
        "actor": item.actor,
        "summary": item.summary,
        "source": item.source,
        "source_url": item.source_url,
        "reliability": item.reliability.value,
        "credibility": int(item.credibility),
        "intensity": item.intensity,
        "submitted_by": by,
        "kind": "correction" if item.supersedes else "report",
        "supersedes": item.supersedes,
        "reason": "",
        "content_hash": digest,
        "ended_on": item.ended_on,
    }


def record_events(
    session: Session,
    taxonomy: Taxonomy,
    items: Sequence[EventIn],
    by: str,
    *,
    lines: Sequence[int] | None = None,
    skip_duplicates: bool = False,
) -> list[IndicatorEvent]:
    """Append a batch of events, all or nothing; raise InvalidInput naming every bad item.

    `lines` labels each item in error messages (file lines for the importer, positions in
    the batch for the API). With `skip_duplicates`, items already in the log are left out.
    """
    lines = list(lines) if lines is not None else list(range(len(items)))
    stored_pairs = _stored_pairs(session, items)
    problems = check_events(session, taxonomy, items, lines, stored_pairs)
    if problems:
        raise InvalidInput(f"{len(problems)} problem(s) in the events", problems)
    superseded = [
        (item.supersedes, line) for item, line in zip(items, lines, strict=True) if item.supersedes
    ]
    for event_id, line in superseded:
        if (conflict := _successor_conflict(session, event_id, line)) is not None:
            raise conflict
    recorded_at = utcnow()
    created: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        pair_id = pair_id_for(item.faction_a, item.faction_b)
        if pair_id not in stored_pairs:  # created on first reference
            pair_id = ensure_pair(session, item.faction_a, item.faction_b).id
        # ended_on counts only when set: hashes of events without an end stay as they were
        digest = content_hash(pair_id, item, counted_when_set=("ended_on",))
        if skip_duplicates and (digest in seen or _hash_exists(session, digest)):
            continue
        seen.add(digest)
        created.append(event_values(item, pair_id, recorded_at, by, new_id(), digest))
    rows = _insert(session, created, superseded)
    for pid in sorted({row.pair_id for row in rows}):
        note_change(session, pid, "event")
    return rows


def _stored_pairs(session: Session, items: Sequence[EventIn]) -> set[str]:
    """The ids of the stored pairs the items are about: none looked up for a pair this
    process's writes found before (`signals.db.KNOWN_PAIRS`: under eight concurrent
    single-event writers the lookup took a sixth of the CPU of a write on SQLite), the
    others in one indexed Core query."""
    ids = {pair_id_for(item.faction_a, item.faction_b) for item in items}
    known: set[str] = session.info.get(KNOWN_PAIRS, set())
    if ids <= known:
        return ids
    stmt = core_select(_PAIRS.c.id).where(_PAIRS.c.id.in_(sorted(ids - known)))
    found = set(session.connection().execute(stmt).scalars())
    session.info.get(FOUND_PAIRS, set()).update(found)
    return ids & (known | found)


def _hash_exists(session: Session, digest: str) -> bool:
    stmt = select(IndicatorEvent.id).where(IndicatorEvent.content_hash == digest).limit(1)
    return session.exec(stmt).first() is not None


def retract_event(session: Session, event_id: str, reason: str, by: str) -> IndicatorEvent:
    """Append a retraction of an event that is in force now; nothing is deleted."""
    old = session.get(IndicatorEvent, event_id)
    if old is None or old.kind == "retraction":
        raise NotFound(f"no event {event_id!r}")
    if (conflict := _successor_conflict(session, old.id)) is not None:
        raise conflict
    values = {
        **old.model_dump(
            exclude={"id", "recorded_at", "submitted_by", "kind", "supersedes", "reason"}
        ),
        "id": new_id(),
        "recorded_at": utcnow(),
        "submitted_by": by,
        "kind": "retraction",
        "supersedes": old.id,
        "reason": reason,
    }
    (row,) = _insert(session, [values], [(old.id, None)])
    note_change(session, old.pair_id, "retraction")
    return row


def get_event(session: Session, event_id: str) -> IndicatorEvent:
    row = session.get(IndicatorEvent, event_id)
    if row is None:
        raise NotFound(f"no event {event_id!r}")
    return row


# An event as the model reads it: a row of the log's columns but those only a write needs,
# as SQLAlchemy returns it (a named tuple, ten times cheaper to load than an ORM object,
# which matters when a busy pair's forecast is recomputed after every write).
RECORD_FIELDS = tuple(
    c.name for c in _EVENTS.columns if c.name not in ("submitted_by", "reason", "content_hash")
)
_RECORD_COLUMNS = [_EVENTS.c[name] for name in RECORD_FIELDS]
EventRecord = SqlRow[Any]
ID_CHUNK = 500  # ids per query: under SQLite's and PostgreSQL's parameter limits
Row = TypeVar("Row", IndicatorEvent, EventRecord)


def in_force(rows: Sequence[Row]) -> list[Row]:
    """The reports and corrections not superseded by any row in `rows`."""
    superseded = {r.supersedes for r in rows if r.supersedes}
    return [r for r in rows if r.kind != "retraction" and r.id not in superseded]


def events_as_of(
    session: Session, as_of: datetime | None = None, pair_id: str | None = None
) -> list[IndicatorEvent]:
    """The events in force as known at `as_of` (now when None), for one pair or all."""
    stmt = select(IndicatorEvent)
    if pair_id is not None:
        stmt = stmt.where(IndicatorEvent.pair_id == pair_id)
    if as_of is not None:
        stmt = stmt.where(IndicatorEvent.recorded_at <= to_utc(as_of))
    rows = list(session.exec(stmt.order_by(col(IndicatorEvent.id))))
    return in_force(rows)


def event_records_as_of(
    session: Session, as_of: datetime | None = None, pair_id: str | None = None
) -> list[EventRecord]:
    """`events_as_of` as plain records: the same rows, the same order."""
    stmt = core_select(*_RECORD_COLUMNS)
    if pair_id is not None:
        stmt = stmt.where(col(IndicatorEvent.pair_id) == pair_id)
    if as_of is not None:
        stmt = stmt.where(col(IndicatorEvent.recorded_at) <= to_utc(as_of))
    result = session.connection().execute(stmt.order_by(col(IndicatorEvent.id)))
    return in_force(result.all())


def pair_records(session: Session, pair_id: str) -> list[EventRecord]:
    """Every row of a pair's log (reports, corrections and retractions) as records, in no
    particular order."""
    stmt = core_select(*_RECORD_COLUMNS).where(_EVENTS.c.pair_id == pair_id)
    return list(session.connection().execute(stmt).all())


def event_ids(session: Session, pair_id: str) -> set[str]:
    """The id of every row of a pair's log: an index scan, a tenth of the cost of reading
    the rows."""
    stmt = core_select(_EVENTS.c.id).where(_EVENTS.c.pair_id == pair_id)
    return set(session.connection().execute(stmt).scalars().all())


def event_records(session: Session, ids: Collection[str]) -> list[EventRecord]:
    """The records of these events, in no particular order, read in chunks: a database
    bounds the parameters of one query."""
    wanted = list(ids)
    found: list[EventRecord] = []
    for start in range(0, len(wanted), ID_CHUNK):
        stmt = core_select(*_RECORD_COLUMNS).where(
            _EVENTS.c.id.in_(wanted[start : start + ID_CHUNK])
        )
        found += session.connection().execute(stmt).all()
    return found


@dataclass(frozen=True)
class EventFilter:
    """Filters of the event listing; `as_of` restricts to the events in force then."""

    pair_id: str | None = None
    type: str | None = None
    actor: str | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    as_of: datetime | None = None
    include_history: bool = False


def list_events(
    session: Session, flt: EventFilter, after: str | None, limit: int
) -> tuple[list[IndicatorEvent], str | None]:
    """A page of events in id (recording) order after the cursor, and the next cursor."""
    stmt = select(IndicatorEvent)
    if flt.pair_id:
        stmt = stmt.where(IndicatorEvent.pair_id == flt.pair_id)
    if flt.type:
        stmt = stmt.where(IndicatorEvent.type == flt.type)
    if flt.actor:
        stmt = stmt.where(IndicatorEvent.actor == flt.actor)
    if flt.occurred_from:
        stmt = stmt.where(IndicatorEvent.occurred_on >= flt.occurred_from)
    if flt.occurred_to:
        stmt = stmt.where(IndicatorEvent.occurred_on <= flt.occurred_to)
    if flt.recorded_from:
        stmt = stmt.where(IndicatorEvent.recorded_at >= to_utc(flt.recorded_from))
    if flt.recorded_to:
        stmt = stmt.where(IndicatorEvent.recorded_at <= to_utc(flt.recorded_to))
    if flt.as_of is not None:
        stmt = stmt.where(IndicatorEvent.recorded_at <= to_utc(flt.as_of))
    if flt.as_of is not None or not flt.include_history:
        horizon = to_utc(flt.as_of) if flt.as_of is not None else None
        later = select(IndicatorEvent.supersedes).where(col(IndicatorEvent.supersedes).is_not(None))
        if horizon is not None:
            later = later.where(IndicatorEvent.recorded_at <= horizon)
        stmt = stmt.where(IndicatorEvent.kind != "retraction").where(
            col(IndicatorEvent.id).not_in(later)
        )
    if after:
        stmt = stmt.where(IndicatorEvent.id > after)
    rows = list(session.exec(stmt.order_by(col(IndicatorEvent.id)).limit(limit + 1)))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


def export_values(row: IndicatorEvent, pair: Pair) -> dict[str, object]:
    """The columns of the import format (`signals.io`) an event's file row writes otherwise
    than the row's field of the same name: so an export re-imports to the same log."""
    return {
        "faction_a": pair.faction_a,
        "faction_b": pair.faction_b,
        "occurred_on": format_fuzzy_date(row.occurred_on, row.precision),
        "ended_on": row.ended_on.isoformat() if row.ended_on else None,
    }
