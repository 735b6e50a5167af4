"""Group commit: concurrent small writes of one process joined into one transaction.

A durable commit costs an fsync (SQLite `synchronous=FULL`, PostgreSQL's WAL flush), and
PostgreSQL serialises the commits of transactions that NOTIFY. Eight analysts posting one
event each therefore waited mostly on each other's commits. A `GroupCommit` lets them
share one: whoever finds it idle *leads* — opens a write transaction, runs its own write
and those of every writer that arrived meanwhile, commits once — and everyone who arrives
while a commit is in flight queues for the next group, whose first member leads it. There
is no timer: a lone writer leads a group of one at once and pays nothing extra.

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

A member is answered only after the group's COMMIT returned: if the commit (or anything
outside the members' own work) fails, every member receives that error and none is
acknowledged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

from sqlmodel import Session

from signals.appends import AppendBatch, batched_appends

T = TypeVar("T")

# session.info: what a write may remember for the later writes of its group (such as the
# pairs it found stored); emptied whenever a member's savepoint rolls back, so that nothing
# a rolled-back write did is remembered.
GROUP_MEMO = "riftcast_group_memo"

# The most writes one transaction takes: bounds how long the last of a group waits on the
# writes before its own. Eight concurrent writers never come near it.
MAX_GROUP = 64


class _Member(Generic[T]):
    """One submitted write and what became of it; `wake` is set when it has an answer or
    has been made the leader of the next group."""

    def __init__(self, work: Callable[[Session], T]) -> None:
        self.work = work
        self.wake = threading.Event()
        self.leads = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def answer(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """The process's committer for one database: `submit(work)` runs `work(session)` in a
    savepoint of a shared write transaction and returns its value (or raises its exception)
    once that transaction has committed.

    `begin` opens the write transaction (`Database.write`): it commits when its block ends
    normally and rolls back when an exception leaves it. A `work` must not keep a
    transaction of its own open while it waits here: on SQLite it would hold the write
    lock the group needs.
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
        self._busy = False
        self.groups = 0  # committed or failed groups: for tests and the benchmark
        self.largest = 0

    def submit(self, work: Callable[[Session], T]) -> T:
        """Run `work` in the next group; its value once the group has committed."""
        member: _Member[T] = _Member(work)
        with self._cond:
            self._queue.append(member)  # type: ignore[arg-type]
            member.leads = not self._busy
            self._busy = True
            self._cond.notify_all()
        if not member.leads:
            member.wake.wait()
        if member.leads:
            self._lead()
        return member.answer()

    def waiting(self) -> int:
        """How many submitted writes wait for a group to take them."""
        with self._cond:
            return len(self._queue)

    def wait_for_waiting(self, n: int, timeout: float | None = None) -> bool:
        """Block until at least `n` writes wait (tests use it to build a group on purpose)."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._queue) >= n, timeout)

    def _lead(self) -> None:
        with self._cond:
            group = self._queue[: self._max_group]
            del self._queue[: self._max_group]
        try:
            self._run(group)
        finally:
            with self._cond:
                self.groups += 1
                self.largest = max(self.largest, len(group))
                if self._queue:  # those who came during this commit: the first leads them
                    following = self._queue[0]
                    following.leads = True
                    following.wake.set()
                else:
                    self._busy = False
            for member in group:
                member.leads = False
                member.wake.set()

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
                session.info[GROUP_MEMO] = {}
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
            session.info[GROUP_MEMO] = {}
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
        session.info[GROUP_MEMO].clear()
        savepoint.rollback()  # raises if the transaction itself is broken: the group fails
        return
    savepoint.commit()
