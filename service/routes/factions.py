"""Factions and pairs."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from sqlmodel import Session

from service.deps import AdminWriter, PairIdPath, Reader, ReadSession, Writer
from service.problems import STD_ERRORS, responses
from service.schemas import FactionIn, FactionList, FactionPublic, PairList, PairPublic
from signals.factions import create_faction, get_faction, get_pair, list_factions, list_pairs

router = APIRouter(prefix="/v1", tags=["factions"])

FactionId = Path(max_length=64, description="The faction's slug id.")
Collection = Query(
    None,
    max_length=32,
    description="Only this collection: `reference` (the shipped history of real splits), "
    "`demo`, or an empty value for an analyst's own.",
)


@router.get(
    "/factions", dependencies=[Reader], response_model=FactionList, responses=responses(*STD_ERRORS)
)
def factions_list(
    collection: str | None = Collection, session: Session = ReadSession
) -> FactionList:
    """Every faction, or those of one collection."""
    rows = list_factions(session, collection)
    return FactionList(items=[FactionPublic.model_validate(f) for f in rows])


@router.get(
    "/factions/{faction_id}",
    dependencies=[Reader],
    response_model=FactionPublic,
    responses=responses(*STD_ERRORS, 404),
)
def factions_get(faction_id: str = FactionId, session: Session = ReadSession) -> FactionPublic:
    """One faction."""
    return FactionPublic.model_validate(get_faction(session, faction_id))


@router.post(
    "/factions",
    status_code=201,
    response_model=FactionPublic,
    responses=responses(*STD_ERRORS, 409),
)
def factions_create(payload: FactionIn, w: Writer = AdminWriter) -> Response:
    """Create a faction (admin). Pairs are created when an event first names them."""
    if (replay := w.replay(payload)) is not None:
        return replay
    faction = create_faction(w.session, payload, by=w.who.name)
    body = FactionPublic.model_validate(faction)
    return w.done(body, status=201, result="created faction", object_id=faction.id)


@router.get(
    "/pairs", dependencies=[Reader], response_model=PairList, responses=responses(*STD_ERRORS)
)
def pairs_list(collection: str | None = Collection, session: Session = ReadSession) -> PairList:
    """Every pair of factions known to the log, or those of one collection."""
    return PairList(items=[PairPublic.model_validate(p) for p in list_pairs(session, collection)])


@router.get(
    "/pairs/{pair_id}",
    dependencies=[Reader],
    response_model=PairPublic,
    responses=responses(*STD_ERRORS, 404),
)
def pairs_get(pair_id: PairIdPath, session: Session = ReadSession) -> PairPublic:
    """One pair and its status."""
    return PairPublic.model_validate(get_pair(session, pair_id))
