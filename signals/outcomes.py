"""Outcomes: a pair ruptured on a date, or is known cohesive up to a date. Append-only.

Outcomes are what the model learns from; like events they carry `recorded_at`, so a
backtest fits only on what was known at each origin.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from signals.changes import note_change
from signals.clock import new_id, to_utc, utcnow
from signals.errors import InvalidInput
from signals.factions import ensure_pair, pair_fields, unknown_factions
from signals.jobs import enqueue
from signals.ledger import settle
from signals.schemas import OutcomeIn, content_hash
from signals.tables import Outcome, Pair


def record_outcomes(
    session: Session,
    items: Sequence[OutcomeIn],
    by: str,
    *,
    lines: Sequence[int] | None = None,
    skip_duplicates: bool = False,
) -> list[Outcome]:
    """Append outcomes, all or nothing. A rupture marks the pair ruptured from that date.
    Every forecast window in the ledger that an outcome settles is scored in the same
    transaction (signals.ledger.settle), and a refit is queued (or the queued one joined):
    the API and the importer both come through here."""
    lines = list(lines) if lines is not None else list(range(len(items)))
    known: dict[str, bool] = {}
    problems = [
        problem
        for item, line in zip(items, lines, strict=True)
        for problem in unknown_factions(
            session, pair_fields(item.faction_a, item.faction_b), line, known
        )
    ]
    if problems:
        raise InvalidInput(f"{len(problems)} problem(s) in the outcomes", problems)
    now = utcnow()
    created: list[Outcome] = []
    for item in items:
        pair = ensure_pair(session, item.faction_a, item.faction_b)
        digest = content_hash(pair.id, item)
        if skip_duplicates and (
            any(o.content_hash == digest for o in created)
            or session.exec(select(Outcome.id).where(Outcome.content_hash == digest)).first()
        ):
            continue
        row = Outcome(
            id=new_id(),
            pair_id=pair.id,
            status=item.status,
            on_date=item.on,
            definition=item.definition,
            source=item.source,
            source_url=item.source_url,
            recorded_at=now,
            submitted_by=by,
            content_hash=digest,
        )
        session.add(row)
        created.append(row)
        if item.status == "ruptured" and (pair.ruptured_on is None or item.on < pair.ruptured_on):
            pair.status, pair.ruptured_on = "ruptured", item.on
            session.add(pair)
    session.flush()
    settle(session, created)
    for pid in sorted({o.pair_id for o in created}):
        note_change(session, pid, "outcome")
    if created:  # what the model learns from: the next refit is due, whoever recorded them
        enqueue(session, "outcome", by)
    return created


def outcomes_as_of(
    session: Session, as_of: datetime | None = None, pair_id: str | None = None
) -> list[Outcome]:
    stmt = select(Outcome)
    if pair_id is not None:
        stmt = stmt.where(Outcome.pair_id == pair_id)
    if as_of is not None:
        stmt = stmt.where(Outcome.recorded_at <= to_utc(as_of))
    return list(session.exec(stmt.order_by(col(Outcome.id))))


def export_values(row: Outcome, pair: Pair) -> dict[str, object]:
    """The columns of the import format (`signals.io`) an outcome's file row writes
    otherwise than the row's field of the same name."""
    return {"faction_a": pair.faction_a, "faction_b": pair.faction_b, "on": row.on_date.isoformat()}
