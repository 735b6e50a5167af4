"""Group commit: concurrent small writes of one process joined into one transaction.

A durable commit costs an fsync (SQLite `synchronous=FULL`, PostgreSQL's WAL flush), and
PostgreSQL serialises the commits of transactions that NOTIFY. Eight analysts posting one
event each therefore waited mostly on each other's commits. A `GroupCommit` lets them
share one: a committer thread takes every write waiting, opens a write transaction, runs
them one after another, commits once, and answers each; the writes that arrive meanwhile
wait for the next group. There is no timer: a lone write is taken at once.

Writes come from threads (`submit`, which blocks) or from the event loop (`run`, which
awaits: a request served on the loop then never leaves it while its write is grouped,
committed and answered — issue 16 measured the hop to a worker thread and back at about a
tenth of a single-event POST's CPU).

A group first runs its members' writes one after another with no savepoint between them:
writes almost never fail, and a savepoint costs two statements a write (two round trips on
PostgreSQL). If one raises (an unknown faction, a correction that lost its race, a
vanished idempotency claim…), that transaction rolls back and the group runs again with a
SAVEPOINT per member: the failing member rolls back only its savepoint and receives its
own exception; the others go on. A write may therefore run twice: it must have no effect
outside the session it is given (its values are only returned once the group commits).

The rows the writes append to the log tables (reports, audit rows, change rows) are
written once all the members have run, one INSERT per table for the whole group
(`signals.appends`); when running one by one, each member's inside its savepoint.

A member is answered only after the group's COMMIT returned, and after its `then` (what
the process must do once the write is durable, such as dropping its caches) ran: if the
commit (or anything outside the members' own work) fails, every member receives that
error and none is acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from typing import Generic, TypeVar

from sqlmodel import Session

from signals.appends import AppendBatch, batched_appends

T = TypeVar("T")
log = logging.getLogger("riftcast.group_commit")

# The most writes one transaction takes: bounds how long the last of a group waits on the
# writes before its own. Eight concurrent writers never come near it.
MAX_GROUP = 64


class _Member(Generic[T]):
    """One submitted write and what became of it. Its waiter — a thread's event or an
    event loop's future — is woken from the committer thread once it has an answer."""

    def __init__(
        self,
        work: Callable[[Session], T],
        then: Callable[[], None] | None,
        waiter: threading.Event | asyncio.Future[None],
    ) -> None:
        self.work = work
        self.then = then
        self.waiter = waiter
        self.value: T | None = None
        self.error: BaseException | None = None

    def answer(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """The process's committer for one database: `submit(work)` (from a thread) or
    `await run(work)` (from the event loop) runs `work(session)` in a shared write
    transaction and returns its value (or raises its exception) once that transaction has
    committed; `then`, if given, runs after the commit and before the answer.

    `begin` opens the write transaction (`Database.write`): it commits when its block ends
    normally and rolls back when an exception leaves it. A `work` must not keep a
    transaction of its own open while it waits here: on SQLite it would hold the write
    lock the group needs. The committer thread starts with the first write; `close` stops
    it once the writes already submitted are answered.
    """

    def __init__(
        self,
        begin: Callable[[], AbstractContextManager[Session]],
        max_group: int = MAX_GROUP,
    ) -> None:
        self._begin = begin
        self._max_group = max_group
        self._cond = threading.Condition()
        self._queue: list[_Member[object]] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self.groups = 0  # committed or failed groups: for tests and the benchmark
        self.largest = 0

    def submit(self, work: Callable[[Session], T], then: Callable[[], None] | None = None) -> T:
        """Run `work` in the next group; its value once the group has committed. Blocks
        the calling thread meanwhile."""
        answered = threading.Event()
        member: _Member[T] = _Member(work, then, answered)
        self._enqueue(member)
        answered.wait()
        return member.answer()

    async def run(self, work: Callable[[Session], T], then: Callable[[], None] | None = None) -> T:
        """`submit` for the event loop: the loop serves other requests while this write
        waits. A caller cancelled meanwhile does not cancel the write: it commits (and its
        `then` runs) with its group, unanswered, as a write whose client went away would."""
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        member: _Member[T] = _Member(work, then, answered)
        self._enqueue(member)
        await answered
        return member.answer()

    def waiting(self) -> int:
        """How many submitted writes wait for a group to take them."""
        with self._cond:
            return len(self._queue)

    def wait_for_waiting(self, n: int, timeout: float | None = None) -> bool:
        """Block until at least `n` writes wait (tests use it to build a group on purpose)."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._queue) >= n, timeout)

    def close(self) -> None:
        """Answer the writes already submitted, then stop the committer thread; a write
        submitted after this is refused."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _enqueue(self, member: _Member[T]) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("the group commit is closed: the process is stopping")
            self._queue.append(member)  # type: ignore[arg-type]
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._commit_groups, name="riftcast-group-commit", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _commit_groups(self) -> None:
        """The committer thread: one group at a time, each of the writes waiting then."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue) or self._closed)
                if not self._queue:
                    return
                group = self._queue[: self._max_group]
                del self._queue[: self._max_group]
            try:
                self._run(group)
                for member in group:
                    if member.error is None and member.then is not None:
                        _after_commit(member.then)
            finally:
                with self._cond:
                    self.groups += 1
                    self.largest = max(self.largest, len(group))
                _wake(group)

    def _run(self, group: list[_Member[object]]) -> None:
        """One transaction, one commit. Anything that fails outside a member's own work
        (the commit itself) fails the whole group: nobody is acknowledged."""
        try:
            failed = self._all_at_once(group)
            if failed is not None:
                if len(group) == 1:  # its transaction was its own: the error is its own
                    group[0].error = failed
                else:
                    self._one_by_one(group)
        except BaseException as exc:
            for member in group:
                if member.error is None:
                    member.error = exc
                member.value = None

    def _all_at_once(self, group: list[_Member[object]]) -> Exception | None:
        """Every member's work in one transaction without savepoints — on PostgreSQL two
        round trips fewer a write, and members almost never fail — then their appended
        rows, and commit. If a member (or a row it appended) raises, roll everything back
        and return its exception (nothing was committed)."""
        try:
            with self._begin() as session, batched_appends(session) as appends:
                for member in group:
                    try:
                        member.value = member.work(session)
                    except Exception as exc:
                        raise _MemberFailed(exc) from exc
                try:  # the rows the members appended: one that breaks a constraint is
                    appends.write(session)  # a member's failure, found out one by one
                except Exception as exc:
                    raise _MemberFailed(exc) from exc
        except _MemberFailed as failed:
            for member in group:
                member.value = None
            return failed.cause
        return None

    def _one_by_one(self, group: list[_Member[object]]) -> None:
        """Again, after a member failed: each member's work in a savepoint of its own, so
        that a failing member rolls back only its own writes and gets its own error."""
        with self._begin() as session, batched_appends(session) as appends:
            for member in group:
                _run_member(session, member, appends)


class _MemberFailed(Exception):
    """A member's work raised while the group ran without savepoints."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _run_member(session: Session, member: _Member[object], appends: AppendBatch) -> None:
    """`member.work` in a savepoint, its rows written inside it so that a constraint they
    break is its own error. Rolling the savepoint back must work, or the group fails."""
    mark = appends.mark()
    savepoint = session.begin_nested()
    try:
        member.value = member.work(session)
        appends.write(session)
    except Exception as exc:
        member.value = None
        member.error = exc
        appends.undo_to(mark)
        savepoint.rollback()  # raises if the transaction itself is broken: the group fails
        return
    savepoint.commit()


def _wake(group: list[_Member[object]]) -> None:
    """Wake the group's waiters: threads one by one, and each event loop once for all its
    writes (a wake-up costs the loop a system call and a turn; eight writers' answers would
    otherwise each cost one)."""
    futures: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for member in group:
        if isinstance(member.waiter, threading.Event):
            member.waiter.set()
        else:
            futures.setdefault(member.waiter.get_loop(), []).append(member.waiter)
    for loop, answered in futures.items():
        with suppress(RuntimeError):  # the loop has closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, answered)


def _settle(answered: list[asyncio.Future[None]]) -> None:
    for future in answered:
        if not future.done():  # not if its waiter was cancelled
            future.set_result(None)


def _after_commit(then: Callable[[], None]) -> None:
    """A member's `then`: its write is committed whatever this does, so a failure is
    logged and the member still answered with its value."""
    try:
        then()
    except Exception:
        log.exception("a step after a group commit failed")
