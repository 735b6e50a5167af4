"""Group commit on SQLite and PostgreSQL (issue 16): concurrent writes joined into one
transaction stay all-or-nothing each — a bad write fails alone with its own error — and a
failed commit acknowledges nobody.

A group is built on purpose: a first write holds the committer (its work waits on an
Event), the writes submitted meanwhile queue (`wait_for_waiting`), and releasing the first
lets them commit together as the next group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from signals.db import Database
from signals.errors import Conflict, InvalidInput
from signals.events import record_events
from signals.group_commit import GroupCommit
from signals.schemas import EventIn
from signals.tables import ChangeEntry, IndicatorEvent
from signals.taxonomy import Taxonomy
from tests.factories import (
    failing_commit,
    inserted_tables,
    recorded_statements,
    stored_actors,
)
from tests.signals.conftest import event
from tests.signals.test_changes import _heard, _open_probe

WAIT = 30.0  # seconds: a bound on a hang, never a synchronisation


class Outcome:
    """What one submitted write got back: a value or an exception."""

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None


def _submit(
    committer: GroupCommit, work: Callable[[Session], Any]
) -> tuple[threading.Thread, Outcome]:
    outcome = Outcome()

    def run() -> None:
        try:
            outcome.value = committer.submit(work)
        except BaseException as exc:  # the test inspects it
            outcome.error = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _grouped(committer: GroupCommit, works: list[Callable[[Session], Any]]) -> list[Outcome]:
    """Submit `works` while the committer is held, so that they form one group; release;
    what each got."""
    held, release = threading.Event(), threading.Event()

    def hold(_: Session) -> None:
        held.set()
        assert release.wait(WAIT)

    first, _ = _submit(committer, hold)
    assert held.wait(WAIT)
    started = [_submit(committer, work) for work in works]
    assert committer.wait_for_waiting(len(works), WAIT)
    release.set()
    for thread in [first, *(t for t, _ in started)]:
        thread.join(WAIT)
        assert not thread.is_alive()
    assert committer.groups == 2 and committer.largest == len(works)
    return [outcome for _, outcome in started]


def _writes(taxonomy: Taxonomy, items: list[EventIn]) -> list[Callable[[Session], Any]]:
    def one(item: EventIn) -> Callable[[Session], Any]:
        return lambda s: record_events(s, taxonomy, [item], by="ana")

    return [one(item) for item in items]


def test_a_bad_write_in_a_group_fails_alone_with_its_own_error(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    db = two_factions
    with db.write() as s:
        (original,) = record_events(s, taxonomy, [event(actor="original")], by="ana")
        (winner,) = record_events(
            s, taxonomy, [event(actor="fix-1", supersedes=original.id)], by="ana"
        )
    with db.read() as s:
        changes_before = s.exec(select(func.count()).select_from(ChangeEntry)).one()
    items = [
        event(actor="good-1"),
        event(actor="unknown-faction", faction_a="nowhere"),
        event(actor="good-2"),
        event(actor="fix-2", supersedes=original.id),
        event(actor="good-3"),
    ]
    outcomes = _grouped(GroupCommit(db.write), _writes(taxonomy, items))

    good = [outcomes[0], outcomes[2], outcomes[4]]
    assert all(o.error is None for o in good), [o.error for o in good]
    assert [o.value[0].actor for o in good] == ["good-1", "good-2", "good-3"]
    unknown = outcomes[1].error
    assert isinstance(unknown, InvalidInput)
    assert [(p.field, p.message) for p in unknown.problems] == [
        ("faction_a", "unknown faction 'nowhere'")
    ]
    conflict = outcomes[3].error
    assert isinstance(conflict, Conflict) and winner.id in conflict.message
    # each good write stored exactly once, the bad ones not at all
    assert stored_actors(db) == ["fix-1", "good-1", "good-2", "good-3", "original"]
    with db.read() as s:
        stored = {r.actor: r.id for r in s.exec(select(IndicatorEvent))}
        changes = s.exec(select(func.count()).select_from(ChangeEntry)).one()
    assert [stored[o.value[0].actor] for o in good] == [o.value[0].id for o in good]
    assert changes == changes_before + 3  # a change row per stored write, none for the bad


def test_a_failed_commit_acknowledges_nobody(two_factions: Database, taxonomy: Taxonomy) -> None:
    db = two_factions
    items = [event(actor="a"), event(actor="b", type="no_such_type"), event(actor="c")]
    committer = GroupCommit(lambda: failing_commit(db))
    outcomes = _grouped(committer, _writes(taxonomy, items))

    assert [type(o.error) for o in outcomes] == [OSError, InvalidInput, OSError]
    assert all(o.value is None for o in outcomes)
    assert stored_actors(db) == []


def test_a_lone_write_commits_at_once_and_the_committer_is_reusable(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    committer = GroupCommit(two_factions.write)
    for work in _writes(taxonomy, [event(actor="one"), event(actor="two")]):
        (row,) = committer.submit(work)
        assert row.actor in ("one", "two")
    assert (committer.groups, committer.largest, committer.waiting()) == (2, 1, 0)
    with pytest.raises(InvalidInput):
        committer.submit(lambda s: record_events(s, taxonomy, [event(type="nope")], by="x"))
    assert stored_actors(two_factions) == ["one", "two"]


def test_a_rolled_back_write_does_not_silence_the_groups_notice(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    """A NOTIFY sent in a savepoint that rolls back is dropped with it: the group notifies
    once, after its members, so the probes still hear the write that did commit."""
    db = two_factions

    def noted_then_failed(s: Session) -> None:
        record_events(s, taxonomy, [event(actor="undone")], by="ana")  # notes a change
        raise Conflict("withdrawn after noting its change")

    probe = _open_probe(db)
    try:
        first, second = _grouped(
            GroupCommit(db.write), [noted_then_failed, *_writes(taxonomy, [event(actor="kept")])]
        )
        assert isinstance(first.error, Conflict) and second.error is None
        assert _heard(probe)
    finally:
        probe.close()
    assert stored_actors(db) == ["kept"]


def test_a_group_of_good_writes_commits_together_without_savepoints(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    """Writes that all succeed share the transaction as they are: savepoints are only paid
    for when a member fails (and the group runs again)."""
    db = two_factions
    with db.write() as s:  # the pair exists: creating it takes a savepoint of its own
        record_events(s, taxonomy, [event(actor="first")], by="ana")
    with db.read() as s:
        changes_before = s.exec(select(func.count()).select_from(ChangeEntry)).one()
    statements = recorded_statements(db)
    items = [event(actor=f"w{i}") for i in range(4)]
    outcomes = _grouped(GroupCommit(db.write), _writes(taxonomy, items))

    assert [o.value[0].actor for o in outcomes] == ["w0", "w1", "w2", "w3"]
    assert stored_actors(db) == ["first", "w0", "w1", "w2", "w3"]
    assert not [s for s in statements if s.upper().startswith(("SAVEPOINT", "RELEASE"))]
    # the group's reports and change rows went in as one INSERT each, after every member
    assert inserted_tables(statements) == ["indicator_event", "change_log"]
    with db.read() as s:
        assert s.exec(select(func.count()).select_from(ChangeEntry)).one() == changes_before + 4


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")  # the unchecked field
def test_a_row_that_breaks_a_constraint_at_the_groups_end_fails_only_its_write(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    """The members' rows are written after all of them ran: when the database refuses one
    (here its CHECK on credibility, for an event that slipped past validation), the group
    runs again one by one and only the write that appended that row fails, with the
    database's error; the others commit, with their change rows."""
    db = two_factions
    with db.read() as s:
        changes_before = s.exec(select(func.count()).select_from(ChangeEntry)).one()
    unchecked = event(actor="incredible").model_copy(update={"credibility": 9})
    items = [event(actor="good-1"), unchecked, event(actor="good-2")]
    first, bad, second = _grouped(GroupCommit(db.write), _writes(taxonomy, items))

    assert first.error is None and second.error is None
    assert isinstance(bad.error, IntegrityError) and bad.value is None
    assert "credibility" in str(bad.error)
    assert stored_actors(db) == ["good-1", "good-2"]
    with db.read() as s:
        assert s.exec(select(func.count()).select_from(ChangeEntry)).one() == changes_before + 2
