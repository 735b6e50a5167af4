"""The write fast path: one event posted by a key verified moments ago, recorded before
FastAPI's routing.

What analysts' tools send most is `POST /v1/events` with one event. Issue 16 profiled it
under eight concurrent writers (py-spy, GIL samples of one worker): FastAPI's own layers
(routing, dependency solving, its middleware, the endpoint's hop to a worker thread and
back) held the GIL for about 40% of the samples, the recording itself under a fifth, and
one process's CPU was what capped the rate.

This pure ASGI middleware serves exactly the ordinary case — a JSON object that validates
as an event, no Idempotency-Key, an analyst's key verified moments ago and under its rate —
on the event loop, and passes everything else to the route with its body replayed as it
came: a batch, a bad or odd body, an unknown key, a weak role, a key over its rate. The
route validates, verifies, refuses and documents. Both record through the same code
(`service.routes.events.record`, the group commit) and answer the same: the same status,
headers and body, errors included (`error_response`). It sits inside the metrics,
security-header and body-limit middleware, so those still apply.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import admit_cached, presented_in
from service.batches import single
from service.deps import end_write, open_writer
from service.fastpath import RouteLabel
from service.problems import error_response
from service.routes.events import record
from signals.errors import Conflict, InvalidInput
from signals.schemas import EventIn

EVENTS = "/v1/events"


class _Body:
    """A request's body read ahead, and handed on unchanged: the messages as received,
    then whatever `receive` gives next (a disconnect), or the error reading raised (the
    body-limit middleware's 413 or 408), at the same point as a route reading it would."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._messages: list[Message] = []
        self._error: BaseException | None = None
        self.data = b""

    async def read(self) -> bool:
        """Whether the whole body arrived (False after a disconnect or an error)."""
        chunks = []
        try:
            while True:
                message = await self._receive()
                self._messages.append(message)
                if message["type"] != "http.request":
                    return False
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except Exception as exc:
            self._error = exc
            return False
        self.data = b"".join(chunks)
        return True

    async def replay(self) -> Message:
        if self._messages:
            return self._messages.pop(0)
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return await self._receive()


def _json_object(scope: Scope) -> bool:
    """Whether the request says it sends JSON (the route would also parse a body without
    a Content-Type, or with another JSON type: those take the route)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return False


def _plain(scope: Scope) -> bool:
    """A single-event POST this path may take: JSON, and no Idempotency-Key (a retry's
    replay, a claim in flight: the route's)."""
    return (
        scope["type"] == "http"
        and scope["method"] == "POST"
        and scope["path"] == EVENTS
        and _json_object(scope)
        and all(name != b"idempotency-key" for name, _ in scope["headers"])
    )


def _event(data: bytes) -> EventIn | None:
    """The one event a body holds, validated as the route validates it, or None."""
    try:
        value: Any = json.loads(data)
        return EventIn.model_validate(value) if isinstance(value, dict) else None
    except (ValueError, RecursionError):  # not JSON, or not a valid event (pydantic's
        return None  # ValidationError is a ValueError)


class EventFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.route = RouteLabel(EVENTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _plain(scope):
            await self.app(scope, receive, send)
            return
        body = _Body(receive)
        if not (await body.read() and await self._answer(scope, body, send)):
            await self.app(scope, body.replay, send)

    async def _answer(self, scope: Scope, body: _Body, send: Send) -> bool:
        """Record the event and answer, or False (nothing done: take the route)."""
        event = _event(body.data)
        if event is None:
            return False
        presented = presented_in(scope)
        state = scope["app"].state
        who = None if presented is None else admit_cached(state, presented, "analyst")
        if who is None:
            return False
        scope["route"] = self.route
        request = Request(scope, body.replay)
        writer, transaction = open_writer(request, who, None)
        try:
            answer, n = await writer.joined_async(lambda: record(writer, [event]))
        except (InvalidInput, Conflict) as exc:
            await end_write(writer, transaction, exc)
            answer = error_response(single(exc), EVENTS)
        except BaseException as exc:
            await end_write(writer, transaction, exc)
            raise
        else:
            await end_write(writer, transaction, None)
            state.metrics.events_accepted.inc(n)
        await answer(scope, body.replay, send)
        return True
