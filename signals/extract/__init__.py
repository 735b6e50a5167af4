"""Suggested indicator events from an article's text (issue 13): offline, nothing stored.

`extract()` is pure text processing over the factions and the taxonomy; `faction_entries()`
is the one database read it needs. The analyst confirms, edits or rejects what comes out;
only confirmed suggestions reach the event log, through the ordinary event write.
"""

from __future__ import annotations

from sqlmodel import Session

from signals.extract.extractor import (
    ENGLISH_ONLY,
    MAX_CHARS,
    Extraction,
    Span,
    Suggestion,
    Unresolved,
    check_input,
    extract,
)
from signals.extract.gazetteer import FactionEntry
from signals.factions import list_factions

__all__ = [
    "ENGLISH_ONLY",
    "MAX_CHARS",
    "Extraction",
    "FactionEntry",
    "Span",
    "Suggestion",
    "Unresolved",
    "check_input",
    "extract",
    "faction_entries",
]


def faction_entries(session: Session) -> list[FactionEntry]:
    """The gazetteer's input: every faction's id, name, aliases and movement."""
    return [
        FactionEntry(f.id, f.name, tuple(f.aliases or ()), f.movement)
        for f in list_factions(session)
    ]
