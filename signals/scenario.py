"""Data shipped with the package: the demo scenario and the reference history.

The demo's files come from one article (2 March 2025) on the Haqqani Network and the
Kandahar leadership of the Taliban and their neighbours; every event cites it and is graded
no better than C3, since it relays claims from one side's experts.

The reference history (`signals/reference/`, see its README) is a sourced set of real
faction pairs — splits, mutinies, coalition breakdowns, and controls that held through
friction — so that a fresh install's model is fitted on ruptures that happened. Its
factions carry the collection "reference": filterable, and possible to leave out.
"""

from __future__ import annotations

from importlib import resources

from sqlmodel import Session, select

from signals.io import ImportResult, import_text
from signals.tables import Faction
from signals.taxonomy import Taxonomy

DEMO_FILES = (("factions", "factions.csv"), ("events", "events.csv"), ("outcomes", "outcomes.csv"))
DEMO = "demo"
REFERENCE = "reference"


def is_empty(session: Session) -> bool:
    return session.exec(select(Faction.id).limit(1)).first() is None


def has_collection(session: Session, collection: str) -> bool:
    stmt = select(Faction.id).where(Faction.collection == collection).limit(1)
    return session.exec(stmt).first() is not None


def _load(session: Session, taxonomy: Taxonomy, collection: str) -> list[ImportResult]:
    folder = resources.files("signals") / collection
    results = []
    for kind, name in DEMO_FILES:
        text = folder.joinpath(name).read_text("utf-8")
        results.append(
            import_text(session, taxonomy, kind, text, "csv", by=collection, collection=collection)  # type: ignore[arg-type]
        )
    return results


def load_demo(session: Session, taxonomy: Taxonomy) -> list[ImportResult]:
    """Import the demo files into the open transaction."""
    return _load(session, taxonomy, DEMO)


def load_reference(session: Session, taxonomy: Taxonomy) -> list[ImportResult]:
    """Import the reference history into the open transaction (re-importing adds nothing)."""
    return _load(session, taxonomy, REFERENCE)
