"""The embedded demo scenario: import files shipped with the package, loaded on an empty DB.

The files come from one article (2 March 2025) on the Haqqani Network and the Kandahar
leadership of the Taliban and their neighbours; every event cites it and is graded no
better than C3, since it relays claims from one side's experts.
"""

from __future__ import annotations

from importlib import resources

from sqlmodel import Session, select

from signals.io import ImportResult, import_text
from signals.tables import Faction
from signals.taxonomy import Taxonomy

DEMO_FILES = (("factions", "factions.csv"), ("events", "events.csv"), ("outcomes", "outcomes.csv"))


def is_empty(session: Session) -> bool:
    return session.exec(select(Faction.id).limit(1)).first() is None


def load_demo(session: Session, taxonomy: Taxonomy) -> list[ImportResult]:
    """Import the demo files into the open transaction."""
    folder = resources.files("signals") / "demo"
    results = []
    for kind, name in DEMO_FILES:
        text = folder.joinpath(name).read_text("utf-8")
        results.append(import_text(session, taxonomy, kind, text, "csv", by="demo"))  # type: ignore[arg-type]
    return results
