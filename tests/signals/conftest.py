"""Fixtures for storage tests: a database with two factions."""

from __future__ import annotations

from typing import Any

import pytest

from signals.db import Database
from signals.factions import create_faction
from signals.schemas import EventIn, FactionIn
from tests.factories import event_in


@pytest.fixture
def two_factions(db: Database) -> Database:
    with db.write() as s:
        create_faction(s, FactionIn(id="north", name="North", movement="M"), by="test")
        create_faction(s, FactionIn(id="south", name="South", movement="M"), by="test")
    return db


def event(**over: Any) -> EventIn:
    """`event_in` between the fixture's two factions, in May 2024."""
    return event_in(
        **{"faction_a": "south", "faction_b": "north", "occurred_on": "2024-05-01", **over}
    )
