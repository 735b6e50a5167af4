"""uvicorn's httptools protocol with bounds on a request's head, for `riftcast serve`.

Without them a client with no key could stall a worker: a 96 MB header kept the event loop
busy for 54 s, and a head sent a byte at a time held a connection open indefinitely. The
head (request line and headers) must fit in RIFTCAST_MAX_HEAD_BYTES (431 beyond) and
arrive within RIFTCAST_HEAD_READ_SECONDS of the connection or of the request's first byte
(408 beyond); both answers close the connection. Bytes are counted as they arrive, before
the parser assembles them, so an oversized head costs at most one read beyond the limit.
Slow bodies are `service.middleware.BodyLimitMiddleware`'s business.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from signals.config import Settings

REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


@lru_cache(maxsize=1)
def _limits() -> tuple[int, float]:
    settings = Settings()
    return settings.max_head_bytes, settings.head_read_seconds


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes, self.head_seconds = _limits()
        self._in_head = False
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._in_head, self._head_bytes = True, 0
        self._disarm()
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._in_head:  # the next request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            # A first read may carry the head and part of the body: refuse only once the
            # reads before this one already exceeded the limit with the head unfinished.
            if self._head_bytes - len(data) > self.max_head_bytes:
                self._refuse(431, "the request's headers are too large")
                return
        super().data_received(data)

    def _head_too_slow(self) -> None:
        if self._in_head:
            self._refuse(408, "the request's headers did not arrive in time")

    def _refuse(self, status: int, detail: str) -> None:
        if self.transport.is_closing():
            return
        self._in_head = False
        self._disarm()
        body = detail.encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (status, REASONS[status], len(body), body)
        )
        self.transport.close()
