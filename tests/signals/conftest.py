"""Fixtures for storage tests: a database with two factions."""

from __future__ import annotations

import pytest

from signals.db import Database
from signals.factions import create_faction
from signals.schemas import EventIn, FactionIn


@pytest.fixture
def two_factions(db: Database) -> Database:
    with db.write() as s:
        create_faction(s, FactionIn(id="north", name="North", movement="M"), by="test")
        create_faction(s, FactionIn(id="south", name="South", movement="M"), by="test")
    return db


def event(**over: object) -> EventIn:
    fields: dict[str, object] = {
        "faction_a": "south",
        "faction_b": "north",
        "type": "defection",
        "occurred_on": "2024-05-01",
        "actor": "A. Commander",
        "summary": "Left with his men.",
        "source": "Wire",
        "reliability": "B",
        "credibility": 2,
    }
    fields.update(over)
    return EventIn.model_validate(fields)
