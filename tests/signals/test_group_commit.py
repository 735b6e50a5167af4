"""Group commit on SQLite and PostgreSQL (issue 16): concurrent writes joined into one
transaction stay all-or-nothing each — a bad write fails alone with its own error — and a
failed commit acknowledges nobody.

A group is built on purpose: a first write holds the committer (its work waits on an
Event), the writes submitted meanwhile queue (`wait_for_waiting`), and releasing the first
lets them commit together as the next group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio
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


Committers = Callable[[Callable[[], Any]], GroupCommit]


@pytest.fixture
def committers() -> Iterator[Committers]:
    """Makes committers; stops their threads at the test's end."""
    made: list[GroupCommit] = []

    def make(begin: Callable[[], Any]) -> GroupCommit:
        made.append(GroupCommit(begin))
        return made[-1]

    yield make
    for committer in made:
        committer.close()


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


def _hold(committer: GroupCommit) -> tuple[threading.Thread, threading.Event]:
    """Occupy the committer with a write that waits: the writes submitted meanwhile queue
    for the next group. The holding write's thread, and the event that lets it finish."""
    held, release = threading.Event(), threading.Event()

    def hold(_: Session) -> None:
        held.set()
        assert release.wait(WAIT)

    first, _ = _submit(committer, hold)
    assert held.wait(WAIT)
    return first, release


def _grouped(committer: GroupCommit, works: list[Callable[[Session], Any]]) -> list[Outcome]:
    """Submit `works` while the committer is held, so that they form one group; release;
    what each got."""
    first, release = _hold(committer)
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
    committers: Committers, two_factions: Database, taxonomy: Taxonomy
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
    outcomes = _grouped(committers(db.write), _writes(taxonomy, items))

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


def test_a_failed_commit_acknowledges_nobody(
    committers: Committers, two_factions: Database, taxonomy: Taxonomy
) -> None:
    db = two_factions
    items = [event(actor="a"), event(actor="b", type="no_such_type"), event(actor="c")]
    committer = committers(lambda: failing_commit(db))
    outcomes = _grouped(committer, _writes(taxonomy, items))

    assert [type(o.error) for o in outcomes] == [OSError, InvalidInput, OSError]
    assert all(o.value is None for o in outcomes)
    assert stored_actors(db) == []


def test_a_lone_write_commits_at_once_and_the_committer_is_reusable(
    committers: Committers, two_factions: Database, taxonomy: Taxonomy
) -> None:
    committer = committers(two_factions.write)
    for work in _writes(taxonomy, [event(actor="one"), event(actor="two")]):
        (row,) = committer.submit(work)
        assert row.actor in ("one", "two")
    assert (committer.groups, committer.largest, committer.waiting()) == (2, 1, 0)
    with pytest.raises(InvalidInput):
        committer.submit(lambda s: record_events(s, taxonomy, [event(type="nope")], by="x"))
    assert stored_actors(two_factions) == ["one", "two"]


def test_a_rolled_back_write_does_not_silence_the_groups_notice(
    committers: Committers, two_factions: Database, taxonomy: Taxonomy
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
            committers(db.write), [noted_then_failed, *_writes(taxonomy, [event(actor="kept")])]
        )
        assert isinstance(first.error, Conflict) and second.error is None
        assert _heard(probe)
    finally:
        probe.close()
    assert stored_actors(db) == ["kept"]


def test_a_group_of_good_writes_commits_together_without_savepoints(
    committers: Committers, two_factions: Database, taxonomy: Taxonomy
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
    outcomes = _grouped(committers(db.write), _writes(taxonomy, items))

    assert [o.value[0].actor for o in outcomes] == ["w0", "w1", "w2", "w3"]
    assert stored_actors(db) == ["first", "w0", "w1", "w2", "w3"]
    assert not [s for s in statements if s.upper().startswith(("SAVEPOINT", "RELEASE"))]
    # the group's reports and change rows went in as one INSERT each, after every member
    assert inserted_tables(statements) == ["indicator_event", "change_log"]
    with db.read() as s:
        assert s.exec(select(func.count()).select_from(ChangeEntry)).one() == changes_before + 4


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")  # the unchecked field
def test_a_row_that_breaks_a_constraint_at_the_groups_end_fails_only_its_write(
    committers: Committers, two_factions: Database, taxonomy: Taxonomy
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
    first, bad, second = _grouped(committers(db.write), _writes(taxonomy, items))

    assert first.error is None and second.error is None
    assert isinstance(bad.error, IntegrityError) and bad.value is None
    assert "credibility" in str(bad.error)
    assert stored_actors(db) == ["good-1", "good-2"]
    with db.read() as s:
        assert s.exec(select(func.count()).select_from(ChangeEntry)).one() == changes_before + 2


def test_writes_awaited_on_an_event_loop_join_the_group_of_threads_writes(
    committers: Committers, two_factions: Database, taxonomy: Taxonomy
) -> None:
    """`run` (a request served on the event loop) and `submit` (one in a worker thread)
    queue for the same groups; each gets its own value once the group has committed."""
    committer = committers(two_factions.write)
    first, release = _hold(committer)
    loop_write, thread_write, bad = _writes(
        taxonomy, [event(actor="loop"), event(actor="thread"), event(type="nope")]
    )
    answers: dict[str, Any] = {}

    async def on_the_loop() -> None:
        async def one(name: str, work: Callable[[Session], Any]) -> None:
            try:
                answers[name] = await committer.run(work)
            except InvalidInput as exc:
                answers[name] = exc

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, "loop", loop_write)
            tg.start_soon(one, "bad", bad)

    loop = threading.Thread(target=anyio.run, args=(on_the_loop,))
    loop.start()
    second, from_thread = _submit(committer, thread_write)
    assert committer.wait_for_waiting(3, WAIT)
    release.set()
    for thread in (first, loop, second):
        thread.join(WAIT)
        assert not thread.is_alive()
    assert (committer.groups, committer.largest) == (2, 3)
    assert answers["loop"][0].actor == "loop" and from_thread.value[0].actor == "thread"
    assert isinstance(answers["bad"], InvalidInput)
    assert stored_actors(two_factions) == ["loop", "thread"]


def test_then_runs_once_committed_before_the_answer_and_never_fails_it(
    committers: Committers,
    two_factions: Database,
    taxonomy: Taxonomy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A write's `then` (dropping the caches it made stale) sees its write committed — from
    another connection — and has run when its writer is answered; a failing write's does
    not run; a `then` that raises is logged, and its committed write still answered."""
    committer = committers(two_factions.write)
    seen: list[list[str]] = []
    good, bad = _writes(taxonomy, [event(actor="kept"), event(type="nope")])

    (row,) = committer.submit(good, then=lambda: seen.append(stored_actors(two_factions)))
    assert seen == [["kept"]] and row.actor == "kept"
    with pytest.raises(InvalidInput):
        committer.submit(bad, then=lambda: seen.append(["ran after a failure"]))
    assert seen == [["kept"]]

    def broken() -> None:
        raise RuntimeError("the cache is gone")

    (again,) = committer.submit(_writes(taxonomy, [event(actor="again")])[0], then=broken)
    assert again.actor == "again" and "the cache is gone" in caplog.text
    assert stored_actors(two_factions) == ["again", "kept"]


def test_a_write_whose_waiter_is_cancelled_still_commits_and_runs_its_then(
    committers: Committers, two_factions: Database, taxonomy: Taxonomy
) -> None:
    """A request cancelled while its write waits (its client went away): the write is not
    undone — it may already be in the group's transaction — and still drops its caches."""
    committer = committers(two_factions.write)
    first, release = _hold(committer)
    dropped = threading.Event()
    (work,) = _writes(taxonomy, [event(actor="orphan")])

    async def cancelled() -> None:
        with anyio.move_on_after(0) as scope:
            await committer.run(work, then=dropped.set)
        assert scope.cancelled_caught

    async def gone() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(cancelled)
            await anyio.to_thread.run_sync(committer.wait_for_waiting, 1, WAIT)

    anyio.run(gone)
    release.set()
    first.join(WAIT)
    assert dropped.wait(WAIT)
    assert stored_actors(two_factions) == ["orphan"]


def test_close_answers_the_writes_submitted_then_refuses_new_ones(
    two_factions: Database, taxonomy: Taxonomy
) -> None:
    committer = GroupCommit(two_factions.write)
    first, release = _hold(committer)
    queued, outcome = _submit(committer, _writes(taxonomy, [event(actor="queued")])[0])
    assert committer.wait_for_waiting(1, WAIT)
    closing = threading.Thread(target=committer.close)
    closing.start()
    release.set()
    for thread in (first, queued, closing):
        thread.join(WAIT)
        assert not thread.is_alive()
    assert outcome.error is None and outcome.value[0].actor == "queued"
    with pytest.raises(RuntimeError, match="closed"):
        committer.submit(_writes(taxonomy, [event(actor="late")])[0])
    assert stored_actors(two_factions) == ["queued"]
