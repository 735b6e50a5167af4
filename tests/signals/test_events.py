"""The event log on SQLite and PostgreSQL: pairs, as-of queries, corrections, append-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import select

from signals import access
from signals.changes import RUN_CHANGE, latest_change_time, note_change
from signals.clock import utcnow
from signals.db import Database
from signals.errors import Conflict, InvalidInput, NotFound
from signals.events import (
    RECORD_FIELDS,
    EventFilter,
    event_records_as_of,
    events_as_of,
    list_events,
    record_events,
    retract_event,
)
from signals.factions import create_faction, list_pairs
from signals.schemas import FactionIn
from signals.tables import IndicatorEvent, Outcome
from signals.taxonomy import Taxonomy
from tests.factories import recorded_statements, stored_actors
from tests.signals.conftest import event


def test_pair_is_created_in_canonical_order(two_factions: Database, taxonomy: Taxonomy) -> None:
    with two_factions.write() as s:
        (row,) = record_events(s, taxonomy, [event()], by="ana")
    assert row.pair_id == "north--south"
    assert row.kind == "report" and row.submitted_by == "ana" and row.precision == "day"
    with two_factions.read() as s:
        (pair,) = list_pairs(s)
    assert (pair.faction_a, pair.faction_b, pair.status) == ("north", "south", "cohesive")


_FIRST_ORM_USE = """
import json
from signals.config import Settings
from signals.db import Database
from signals.events import record_events
from signals.taxonomy import load_taxonomy
from tests.signals.conftest import event

with Database(Settings()) as db, db.write() as s:
    (row,) = record_events(s, load_taxonomy(), [event(actor="fresh")], by="ana")
print(json.dumps({"id": row.id, "pair_id": row.pair_id, "fields": row.model_dump(mode="json")}))
"""


def test_events_recorded_before_any_orm_query_read_back(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    """The returned events are built without `__init__` (`_detached`); in a process whose
    first ORM use this is (a worker's first POST, on a stored pair), they still hold their
    values."""
    with two_factions.write() as s:
        record_events(s, taxonomy, [event()], by="ana")  # the pair is stored
    settings = two_factions.settings
    env = {**os.environ, "RIFTCAST_DATA_DIR": str(settings.data_dir)}
    env.pop("RIFTCAST_DATABASE_URL", None)
    if settings.database_url:
        env["RIFTCAST_DATABASE_URL"] = settings.database_url
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_ORM_USE], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["pair_id"] == "north--south" and shown["fields"]["id"] == shown["id"]
    assert shown["fields"]["actor"] == "fresh" and shown["fields"]["kind"] == "report"
    with two_factions.read() as s:
        stored = s.get(IndicatorEvent, shown["id"])
    assert stored is not None and stored.model_dump(mode="json") == shown["fields"]


def test_event_ids_sort_by_recording_time(two_factions: Database, taxonomy: Taxonomy) -> None:
    ids = []
    for _ in range(3):
        with two_factions.write() as s:
            ids.append(record_events(s, taxonomy, [event()], by="a")[0].id)
        time.sleep(0.002)
    assert ids == sorted(ids) and len(set(ids)) == 3 and all(len(i) == 26 for i in ids)


def test_as_of_sees_only_what_was_known(two_factions: Database, taxonomy: Taxonomy) -> None:
    with two_factions.write() as s:
        first = record_events(s, taxonomy, [event(actor="first")], by="a")[0]
    between = utcnow()
    time.sleep(0.01)
    with two_factions.write() as s:
        record_events(s, taxonomy, [event(actor="second")], by="a")
    with two_factions.read() as s:
        then = events_as_of(s, between, "north--south")
        now = events_as_of(s, None, "north--south")
        before = events_as_of(s, between - timedelta(days=1), "north--south")
    assert [e.id for e in then] == [first.id]
    assert [e.actor for e in now] == ["first", "second"]
    assert before == []


def test_correction_supersedes_and_retraction_withdraws(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    with two_factions.write() as s:
        original = record_events(s, taxonomy, [event(intensity=0.3)], by="a")[0]
    t_original = utcnow()
    time.sleep(0.01)
    with two_factions.write() as s:
        fixed = record_events(s, taxonomy, [event(intensity=0.9, supersedes=original.id)], by="b")[
            0
        ]
    t_fixed = utcnow()
    time.sleep(0.01)
    with two_factions.write() as s:
        retraction = retract_event(s, fixed.id, "source recanted", by="c")
    with two_factions.read() as s:
        assert [e.id for e in events_as_of(s, t_original)] == [original.id]
        assert [e.id for e in events_as_of(s, t_fixed)] == [fixed.id]
        assert events_as_of(s) == []
        # Nothing was deleted: the log holds all three rows.
        rows = list(s.exec(select(IndicatorEvent).order_by(IndicatorEvent.id)))
    assert [r.kind for r in rows] == ["report", "correction", "retraction"]
    assert fixed.kind == "correction" and retraction.supersedes == fixed.id
    assert retraction.reason == "source recanted"


def test_cannot_correct_or_retract_twice(two_factions: Database, taxonomy: Taxonomy) -> None:
    with two_factions.write() as s:
        original = record_events(s, taxonomy, [event()], by="a")[0]
    with two_factions.write() as s:
        retract_event(s, original.id, "wrong", by="a")
    with (
        pytest.raises(Conflict, match="already retracted by"),
        two_factions.write() as s,
    ):
        retract_event(s, original.id, "again", by="a")
    with pytest.raises(Conflict) as info, two_factions.write() as s:
        record_events(s, taxonomy, [event(supersedes=original.id)], by="a")
    assert info.value.problems[0].field == "supersedes"
    with pytest.raises(NotFound), two_factions.write() as s:
        retract_event(s, "01J0000000000000000000000X", "unknown", by="a")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE indicator_event SET intensity = 0.1",
        "DELETE FROM indicator_event",
        "UPDATE outcome SET status = 'ruptured'",
        "DELETE FROM outcome",
    ],
)
def test_database_refuses_updates_and_deletes(
    two_factions: Database, taxonomy: Taxonomy, statement: str
) -> None:
    from signals.outcomes import record_outcomes
    from signals.schemas import OutcomeIn

    with two_factions.write() as s:
        record_events(s, taxonomy, [event()], by="a")
        record_outcomes(
            s,
            [OutcomeIn(faction_a="north", faction_b="south", status="cohesive", on="2024-06-01")],
            by="a",
        )
    with (
        pytest.raises((DBAPIError, IntegrityError), match="append-only"),
        two_factions.write() as s,
    ):
        s.exec(text(statement))  # type: ignore[call-overload]
    with two_factions.read() as s:
        assert len(list(s.exec(select(IndicatorEvent)))) == 1
        assert len(list(s.exec(select(Outcome)))) == 1


def test_bad_batch_writes_nothing_and_names_each_item(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    batch = [event(), event(type="no_such_type"), event(faction_b="west")]
    with pytest.raises(InvalidInput) as info, two_factions.write() as s:
        record_events(s, taxonomy, batch, by="a")
    assert {(p.line, p.field) for p in info.value.problems} == {(1, "type"), (2, "faction_b")}
    with two_factions.read() as s:
        assert events_as_of(s) == [] and list_pairs(s) == []


def test_listing_filters_and_cursor(two_factions: Database, taxonomy: Taxonomy) -> None:
    with two_factions.write() as s:
        rows = record_events(
            s,
            taxonomy,
            [
                event(actor=f"actor{i}", type="defection" if i % 2 else "purge_or_arrest")
                for i in range(5)
            ],
            by="a",
        )
    with two_factions.read() as s:
        page1, cursor = list_events(s, EventFilter(pair_id="north--south"), None, 2)
        page2, cursor2 = list_events(s, EventFilter(pair_id="north--south"), cursor, 2)
        page3, cursor3 = list_events(s, EventFilter(pair_id="north--south"), cursor2, 2)
        purges, _ = list_events(s, EventFilter(type="purge_or_arrest"), None, 10)
        actor, _ = list_events(s, EventFilter(actor="actor3"), None, 10)
    assert [e.id for e in page1 + page2 + page3] == [r.id for r in rows]
    assert cursor3 is None and len(page3) == 1
    assert len(purges) == 3 and [e.actor for e in actor] == ["actor3"]


def test_as_of_query_uses_the_pair_recorded_index(two_factions: Database) -> None:
    with two_factions.read() as s:
        if two_factions.is_sqlite:
            plan = " ".join(
                str(r)
                for r in s.exec(
                    text(  # type: ignore[call-overload]
                        "EXPLAIN QUERY PLAN SELECT * FROM indicator_event "
                        "WHERE pair_id = 'north--south' AND recorded_at <= '2030-01-01'"
                    )
                )
            )
            assert "ix_event_pair_recorded" in plan
        else:
            s.exec(text("SET enable_seqscan = off"))  # type: ignore[call-overload]
            plan = " ".join(
                str(r)
                for r in s.exec(
                    text(  # type: ignore[call-overload]
                        "EXPLAIN SELECT * FROM indicator_event "
                        "WHERE pair_id = 'north--south' AND recorded_at <= now()"
                    )
                )
            )
            assert "ix_event_pair_recorded" in plan


def test_records_are_the_rows_in_force_as_plain_tuples(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    with two_factions.write() as s:
        kept, dropped = record_events(s, taxonomy, [event(actor="a"), event(actor="b")], by="x")
    with two_factions.write() as s:
        retract_event(s, dropped.id, "wrong", by="x")
        record_events(s, taxonomy, [event(actor="c", supersedes=kept.id)], by="x")
    with two_factions.read() as s:
        rows = events_as_of(s, None, "north--south")
        records = event_records_as_of(s, None, "north--south")
        assert event_records_as_of(s, utcnow() - timedelta(days=1)) == []
    assert [r.actor for r in records] == ["c"]
    assert [tuple(getattr(r, f) for f in RECORD_FIELDS) for r in rows] == records


def test_a_pairs_knowledge_time_moves_with_its_own_writes_and_runs_only(
    db: Database, taxonomy: Taxonomy
) -> None:
    with db.write() as s:
        for fid in ("north", "south", "east"):
            create_faction(s, FactionIn(id=fid, name=fid.title(), movement="M"), by="t")
    with db.write() as s:
        record_events(s, taxonomy, [event()], by="x")
    with db.read() as s:
        own = latest_change_time(s, "north--south")
    time.sleep(0.01)
    with db.write() as s:
        record_events(s, taxonomy, [event(faction_a="east")], by="x")
        key_id = access.create_key(s, "k", "reader")[0].id
    with db.read() as s:
        assert latest_change_time(s, "north--south") == own
        other = latest_change_time(s, "east--north")
        assert other is not None and own is not None and other > own
    time.sleep(0.01)
    with db.write() as s:
        access.revoke_key(s, key_id)
    with db.read() as s:  # a revocation, although newer, is no forecast's knowledge
        assert latest_change_time(s, "north--south") == own
        assert latest_change_time(s, "east--north") == other
    time.sleep(0.01)
    with db.write() as s:
        note_change(s, None, RUN_CHANGE)
    with db.read() as s:
        run = latest_change_time(s, "north--south")
        assert run is not None and run == latest_change_time(s, "east--north") and run > other


def test_a_pair_found_stored_is_not_looked_up_again_once_committed(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    """A process's writes look a pair up until one of them that found it stored commits:
    pairs are never deleted. One that rolled back teaches nothing (the pair it found may
    have been created in its own transaction), nor does one that created the pair."""
    db = two_factions
    statements = recorded_statements(db)
    lookup = "SELECT pair.id FROM pair WHERE pair.id IN"

    def lookups() -> int:
        return sum(1 for s in statements if " ".join(s.split()).startswith(lookup))

    with db.write() as s:  # creates the pair: not found stored
        record_events(s, taxonomy, [event(actor="creates")], by="ana")
    with pytest.raises(RuntimeError), db.write() as s:  # finds it, then rolls back
        record_events(s, taxonomy, [event(actor="undone")], by="ana")
        raise RuntimeError("abandoned")
    assert lookups() == 2 and db.known_pairs == set()
    with db.write() as s:  # finds it and commits
        record_events(s, taxonomy, [event(actor="finds")], by="ana")
    assert lookups() == 3 and db.known_pairs == {"north--south"}
    for i in range(3):
        with db.write() as s:
            record_events(s, taxonomy, [event(actor=f"later-{i}")], by="ana")
    assert lookups() == 3
    assert sorted(stored_actors(db)) == ["creates", "finds", "later-0", "later-1", "later-2"]
