"""The polling fast path: a cached forecast answered before FastAPI's routing.

Dashboards poll `GET /v1/forecasts/{pair}` every few seconds. Once that forecast is cached
and the caller's key was verified moments ago, the answer needs no validation, no database
and no computation: only the key check, the rate limit and the stored bytes. This pure ASGI
middleware serves exactly that case and passes everything else — a cache miss, an unknown
key, `as_of`, an odd query string, any other route — to the FastAPI route, which
validates, computes, refuses and documents. Both produce the same status, headers and body.
It sits inside the metrics, security-header and body-limit middleware, so those still apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from service.auth import admit_cached, presented_key
from service.cache import ForecastCache, conditional

PREFIX = "/v1/forecasts/"
MAX_HORIZONS = 20
MAX_IF_NONE_MATCH = 2000


def _horizons(query: bytes) -> list[int] | None:
    """The `horizon` values of a query made of nothing else, or None when it has more."""
    if not query:
        return []
    try:
        pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    if len(pairs) > MAX_HORIZONS or any(
        k != "horizon" or not (v.isascii() and v.isdigit()) for k, v in pairs
    ):
        return None
    return [int(v) for _, v in pairs]


@dataclass(frozen=True)
class RouteLabel:
    """What the metrics middleware reads of the route it stands in for: its template."""

    path: str = PREFIX + "{pair_id}"


class ForecastFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.route = RouteLabel()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(PREFIX)
            or not await self._answer(scope, send)
        ):
            await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send) -> bool:
        pair_id = scope["path"][len(PREFIX) :]
        if not pair_id or "/" in pair_id or pair_id == "stream":
            return False
        horizons = _horizons(scope.get("query_string", b""))
        if horizons is None:
            return False
        state = scope["app"].state
        cache: ForecastCache | None = getattr(state, "cache", None)
        entry = cache.peek(pair_id, horizons, count=False) if cache is not None else None
        if entry is None:
            return False
        headers = dict(scope["headers"])
        presented = presented_key(
            headers.get(b"x-api-key", b"").decode("latin-1"),
            headers.get(b"authorization", b"").decode("latin-1"),
        )
        if_none_match = headers.get(b"if-none-match", b"").decode("latin-1")
        if presented is None or len(if_none_match) > MAX_IF_NONE_MATCH:
            return False
        if admit_cached(state, presented, "reader") is None:
            return False
        scope["route"] = self.route
        cache.metrics.cache.labels("hit").inc()  # type: ignore[union-attr]
        status, raw, body = conditional(entry.body, entry.etag, if_none_match)
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
        return True
