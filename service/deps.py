"""Request-scoped dependencies: the read session, and the write context of a POST.

A write request runs in one transaction owned by `Writer`: the domain write, its audit row
and its Idempotency-Key record commit together. `scope="function"` makes the commit
happen before the response is sent. A write that joins the group commit (`Writer.joined`)
does all three in the group's transaction instead, and is answered after that commits.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, StringConstraints
from sqlmodel import Session

from service.auth import Principal, admin, analyst, reader
from service.cache import ForecastCache
from service.freshness import Changes, Freshness
from service.problems import ApiError
from signals import audit, idempotency
from signals.changes import ORIGIN, noted_pairs
from signals.clock import to_utc, utcnow
from signals.config import Settings
from signals.db import Database
from signals.factions import normal_pair_id
from signals.fields import PAIR_ID_LENGTH
from signals.group_commit import GroupCommit
from signals.tables import IdempotencyRecord
from signals.taxonomy import Taxonomy

# A pair's id as a request gives it, in either order: `b--a` is read as the stored `a--b`,
# as the CLI and the importers read it.
PairId = Annotated[
    str, StringConstraints(max_length=PAIR_ID_LENGTH), AfterValidator(normal_pair_id)
]
# In a URL's path,
PairIdPath = Annotated[
    PairId, Path(description="The pair's id: `faction-a--faction-b` (either order).")
]
# and as a filter of a listing.
PairFilter = Annotated[PairId | None, Query(description="Pair id, in either order.")]

IDEMPOTENCY_HEADER_MAX = 200
T = TypeVar("T")


def get_db(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_taxonomy(request: Request) -> Taxonomy:
    return request.app.state.taxonomy  # type: ignore[no-any-return]


async def get_cache(request: Request) -> ForecastCache:
    return request.app.state.cache  # type: ignore[no-any-return]


def read_session(request: Request) -> Iterator[Session]:
    with get_db(request).read() as session:
        yield session


ReadSession = Depends(read_session, scope="function")


@dataclass
class Writer:
    """What a write route needs: the session, the caller, and the means to answer."""

    request: Request
    session: Session
    who: Principal
    db: Database
    settings: Settings
    taxonomy: Taxonomy
    idempotency_key: str | None
    touched_pairs: set[str] = field(default_factory=set)
    revoked_key: bool = False  # a key was revoked: verified keys are forgotten at commit
    listings_behind: bool = False  # pairs dropped: the listings being rebuilt lack them
    _claimed: bool = False

    def replay(self, payload: Any) -> Response | None:
        """With an Idempotency-Key: the stored response of the same request, 422 for a
        different body under the same key, 409 while the first is in flight. Call before
        touching the session."""
        if not self.idempotency_key:
            return None
        body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
        if isinstance(body, list):
            body = [b.model_dump(mode="json") if isinstance(b, BaseModel) else b for b in body]
        digest = hashlib.sha256(
            json.dumps([self.request.url.path, body], sort_keys=True, default=str).encode()
        ).hexdigest()
        found = idempotency.claim(
            self.db,
            self.who.key_id,
            self.idempotency_key,
            self.request.url.path,
            digest,
            self.settings.idempotency_inflight_seconds,
        )
        if found.outcome == "new":
            self._claimed = True
            return None
        if found.outcome == "in_flight":
            raise ApiError(
                409,
                "a request with this Idempotency-Key is still in progress",
                headers={"Retry-After": str(self._retry_after(found.record))},
            )
        if found.outcome == "mismatch":
            raise ApiError(
                422, "this Idempotency-Key was used with a different request body or route"
            )
        assert found.record is not None
        return Response(
            found.record.response_body,
            status_code=found.record.status_code,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )

    def joined(self, work: Callable[[], T]) -> T:
        """Run `work` — which writes through `self.session` and answers with `done` — in
        the process's group commit: in one transaction shared with the writes that arrive
        meanwhile (one commit, one fsync for all), returning only once that transaction has
        committed and this process has dropped what it made stale. A `work` that raises
        rolls back its own writes only; a failed commit raises here for every write of the
        group. `work` may run twice (again, in a savepoint, when another write of its group
        failed): it must act only through the session. Call it before touching the
        session: the request's own transaction must not be open (on SQLite it would hold
        the write lock the group needs). Blocks: for a worker thread."""
        value = self._committer().submit(self._member(work), then=self._tell_local)
        self._catch_up_listings()
        return value

    async def joined_async(self, work: Callable[[], T]) -> T:
        """`joined` from the event loop, which serves other requests while it waits (and
        leaves it only while a listing it must wait for is being rebuilt)."""
        value = await self._committer().run(self._member(work), then=self._tell_local)
        if self.listings_behind and self._cache().rebuilding_listings():
            await anyio.to_thread.run_sync(self._catch_up_listings)
        self.listings_behind = False  # nothing rebuilding: the listings include the write
        return value

    def _cache(self) -> ForecastCache:
        return self.request.app.state.cache  # type: ignore[no-any-return]

    def _committer(self) -> GroupCommit:
        if self.session.in_transaction():
            raise RuntimeError("a joined write must not open the request's own transaction")
        return self.request.app.state.group_commit  # type: ignore[no-any-return]

    def _member(self, work: Callable[[], T]) -> Callable[[Session], T]:
        """`work` as a member of a group: run on the group's session, in the committer's
        thread (the request waits meanwhile: nothing races on `self.session`)."""
        own = self.session

        def member(session: Session) -> T:
            session.info[ORIGIN] = own.info.get(ORIGIN)  # the group's writes are this app's
            self.session = session
            try:
                return work()
            finally:
                self.session = own

        return member

    def must_close_in_thread(self) -> bool:
        """Whether closing may block: a transaction to commit or roll back, or caches to
        drop (the forecast cache may wait for a listing rebuild)."""
        return self.session.in_transaction() or bool(self.touched_pairs) or self.revoked_key

    def close(
        self, transaction: AbstractContextManager[Session], error: BaseException | None
    ) -> None:
        """End the request's own transaction (`Database.write`): commit, or roll back
        after `error`; give an unanswered Idempotency-Key claim back; once committed, drop
        what the write made stale in this process, so that its client reads its own write
        (other processes read it from the change log)."""
        committed = False
        try:
            if error is None:
                transaction.__exit__(None, None, None)
                committed = True
            else:
                transaction.__exit__(type(error), error, error.__traceback__)
        finally:
            if self._claimed and not committed:
                idempotency.release(self.db, self.who.key_id, self.idempotency_key or "")
        if committed:
            self._tell_local()
            self._catch_up_listings()

    def _tell_local(self) -> None:
        """Right after the commit: drop what the write made stale in this process (other
        processes read it from the change log). The client is then answered once the
        listings being rebuilt include its write (`ForecastCache.wait_for_listings`), so
        it reads its own write there too; pollers are served the previous ones
        meanwhile."""
        if self.touched_pairs or self.revoked_key:
            freshness: Freshness = self.request.app.state.freshness
            freshness.local(Changes(frozenset(self.touched_pairs), keys=self.revoked_key))
        self.listings_behind |= bool(self.touched_pairs)
        self.touched_pairs, self.revoked_key = set(), False

    def _catch_up_listings(self) -> None:
        if self.listings_behind:
            self._cache().wait_for_listings()
            self.listings_behind = False

    def _retry_after(self, record: IdempotencyRecord | None) -> int:
        """Seconds until the first request must have finished or its claim lapses."""
        if record is None:
            return 1
        age = (utcnow() - to_utc(record.created_at)).total_seconds()
        return max(1, math.ceil(self.settings.idempotency_inflight_seconds - age))

    def done(
        self,
        body: BaseModel,
        *,
        status: int,
        result: str,
        object_id: str | None = None,
        revoked_key: bool = False,
    ) -> Response:
        """Record the audit row and the idempotency record in this transaction; answer.
        The pairs the transaction wrote (as its change rows name them) and `revoked_key`
        are what this process drops once it has committed (`Freshness.local`)."""
        text = body.model_dump_json()
        audit.record(
            self.session,
            key_id=self.who.key_id,
            key_name=self.who.name,
            method=self.request.method,
            route=self.request.url.path,
            object_id=object_id,
            status_code=status,
            result=result,
        )
        if self._claimed and self.idempotency_key:
            idempotency.complete(self.session, self.who.key_id, self.idempotency_key, status, text)
        self.touched_pairs |= noted_pairs(self.session)
        self.revoked_key |= revoked_key
        # The text stored for replays, sent as it is (not parsed and encoded again): a
        # retry with the same Idempotency-Key gets the very same bytes.
        return Response(text, status_code=status, media_type="application/json")


def open_writer(
    request: Request, who: Principal, idempotency_key: str | None
) -> tuple[Writer, AbstractContextManager[Session]]:
    """A write request's context and its own transaction (`Database.write`, entered: its
    session connects only when first used; a joined write never uses it). End it with
    `end_write`. Entered on the event loop, by the route's dependency and the fast path."""
    db = get_db(request)
    transaction = db.write()
    session = transaction.__enter__()
    session.info[ORIGIN] = request.app.state.freshness.origin
    writer = Writer(
        request=request,
        session=session,
        who=who,
        db=db,
        settings=request.app.state.settings,
        taxonomy=get_taxonomy(request),
        idempotency_key=idempotency_key or None,
    )
    return writer, transaction


async def end_write(
    writer: Writer, transaction: AbstractContextManager[Session], error: BaseException | None
) -> None:
    """Close a write request (`Writer.close`), in a worker thread only when that may block:
    a request that leaves the event loop once, for its endpoint, rather than three times
    (when a write's dependency entry and close ran in worker threads too) took ~470
    single-event POSTs a second on PostgreSQL with eight writers instead of ~250."""
    if error is not None:
        with anyio.CancelScope(shield=True):  # a client gone mid-write: still roll back
            await anyio.to_thread.run_sync(writer.close, transaction, error)
    elif writer.must_close_in_thread():
        await anyio.to_thread.run_sync(writer.close, transaction, None)
    else:
        writer.close(transaction, None)


def _writer(
    role_dep: Callable[..., Awaitable[Principal]],
) -> Callable[..., AsyncIterator[Writer]]:
    async def dependency(
        request: Request,
        who: Principal = Depends(role_dep),
        idempotency_key: str | None = Header(
            None,
            alias="Idempotency-Key",
            max_length=IDEMPOTENCY_HEADER_MAX,
            description="Replays the first response for retries of the same request.",
        ),
    ) -> AsyncIterator[Writer]:
        writer, transaction = open_writer(request, who, idempotency_key)
        try:
            yield writer
        except BaseException as exc:
            await end_write(writer, transaction, exc)
            raise
        await end_write(writer, transaction, None)

    return dependency


AnalystWriter = Depends(_writer(analyst), scope="function")
AdminWriter = Depends(_writer(admin), scope="function")
Reader = Depends(reader)
Admin = Depends(admin)
