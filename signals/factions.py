"""Factions and the unordered pairs of factions whose cohesion Riftcast forecasts."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from signals.changes import note_change
from signals.clock import utcnow
from signals.errors import Conflict, FieldProblem, InvalidInput, NotFound
from signals.schemas import FactionIn
from signals.tables import Faction, Pair


def canonical(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def pair_id_for(a: str, b: str) -> str:
    """The pair's slug id: its two faction ids in canonical order, joined by `--`."""
    first, second = canonical(a, b)
    return f"{first}--{second}"


def create_faction(session: Session, item: FactionIn, by: str) -> Faction:
    if session.get(Faction, item.id) is not None:
        raise Conflict(f"faction {item.id!r} already exists", [FieldProblem("id", "exists")])
    faction = Faction(**item.model_dump(), created_at=utcnow(), created_by=by)
    session.add(faction)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent writer created it first
        raise Conflict(f"faction {item.id!r} already exists") from exc
    note_change(session, None, "faction")
    return faction


def upsert_factions(session: Session, items: list[FactionIn], by: str, collection: str = "") -> int:
    """Create the factions not yet stored (the importer's re-import rule); return how many."""
    created = 0
    for item in items:
        if session.get(Faction, item.id) is None:
            row = Faction(**item.model_dump(), created_at=utcnow(), created_by=by)
            row.collection = collection
            session.add(row)
            created += 1
    if created:
        session.flush()
        note_change(session, None, "faction")
    return created


def list_factions(session: Session, collection: str | None = None) -> list[Faction]:
    stmt = select(Faction)
    if collection is not None:
        stmt = stmt.where(Faction.collection == collection)
    return list(session.exec(stmt.order_by(Faction.id)))


def get_faction(session: Session, faction_id: str) -> Faction:
    faction = session.get(Faction, faction_id)
    if faction is None:
        raise NotFound(f"no faction {faction_id!r}")
    return faction


def unknown_factions(
    session: Session,
    named: Iterable[tuple[str, str]],
    line: int | None = None,
    known: dict[str, bool] | None = None,
) -> list[FieldProblem]:
    """The one check that a write names stored factions: a problem naming the field for
    each (field, faction id) in `named` whose faction is not stored. `known` remembers
    what was looked up, for a caller checking many rows."""
    known = {} if known is None else known
    problems = []
    for field, fid in named:
        if fid not in known:
            known[fid] = session.get(Faction, fid) is not None
        if not known[fid]:
            problems.append(FieldProblem(field, f"unknown faction {fid!r}", line))
    return problems


def pair_fields(a: str, b: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """A pair's two factions as (field, id), for `unknown_factions`."""
    return (("faction_a", a), ("faction_b", b))


def ensure_pair(session: Session, a: str, b: str) -> Pair:
    """The pair of factions a and b, created on first reference if both factions exist."""
    if a == b:
        raise InvalidInput.one("faction_b", "a faction cannot pair with itself")
    pid = pair_id_for(a, b)
    pair = session.get(Pair, pid)  # a stored pair's factions exist (foreign keys)
    if pair is None:
        problems = unknown_factions(session, pair_fields(a, b))
        if problems:
            raise InvalidInput("; ".join(str(p) for p in problems), problems)
        first, second = canonical(a, b)
        fa, fb = session.get(Faction, first), session.get(Faction, second)
        shared = fa.collection if fa and fb and fa.collection == fb.collection else ""
        pair = Pair(
            id=pid, faction_a=first, faction_b=second, created_at=utcnow(), collection=shared
        )
        try:
            with session.begin_nested():  # a concurrent first event may create it first
                session.add(pair)
        except IntegrityError:
            found = session.get(Pair, pid)
            if found is None:
                raise
            pair = found
    return pair


def list_pairs(session: Session, collection: str | None = None) -> list[Pair]:
    """Every pair, or those of one collection ("" for an analyst's own)."""
    stmt = select(Pair)
    if collection is not None:
        stmt = stmt.where(Pair.collection == collection)
    return list(session.exec(stmt.order_by(Pair.id)))


def pair_ids(session: Session) -> list[str]:
    """Every pair's id, in order, without loading the rows (the listing's rebuild after
    each write needs only these)."""
    return list(session.exec(select(Pair.id).order_by(Pair.id)))


def normal_pair_id(pair_id: str) -> str:
    """`b--a` as `a--b`: the id a pair is stored under, whichever order it is written in."""
    a, sep, b = pair_id.partition("--")
    return pair_id_for(a, b) if sep and a and b else pair_id


def get_pair(session: Session, pair_id: str) -> Pair:
    """The pair stored under `pair_id`; NotFound names the closest ids when there is none
    (the same factions in the other order first)."""
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFound(f"no pair {pair_id!r}{_suggestion(session, pair_id)}")
    return pair


def _suggestion(session: Session, pair_id: str) -> str:
    normal = normal_pair_id(pair_id)
    if normal != pair_id and session.get(Pair, normal) is not None:
        return f"; did you mean {normal!r} (pair ids list their factions in sorted order)?"
    ids = list(session.exec(select(Pair.id)))
    close = difflib.get_close_matches(pair_id, ids, n=3, cutoff=0.5)
    return f"; closest: {', '.join(close)}" if close else ""
