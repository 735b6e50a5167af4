"""The polling fast path: a cached forecast answered before FastAPI's routing.

Dashboards poll `GET /v1/forecasts/{pair}` and the listing `GET /v1/forecasts` every few
seconds. Once that forecast is cached
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

from service.auth import admit_cached, presented_in
from service.bodies import conditional
from service.cache import ForecastCache
from service.listing import ORDERS

LISTING = "/v1/forecasts"
PREFIX = LISTING + "/"
MAX_HORIZONS = 20
MAX_IF_NONE_MATCH = 2000


def _params(query: bytes) -> list[tuple[str, str]] | None:
    """A query string's parameters, or None when it is not plain, well-formed ASCII."""
    if not query:
        return []
    try:
        return parse_qsl(query.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None


def _horizons(query: bytes) -> list[int] | None:
    """The `horizon` values of a query made of nothing else, or None when it has more."""
    pairs = _params(query)
    if (
        pairs is None
        or len(pairs) > MAX_HORIZONS
        or any(k != "horizon" or not (v.isascii() and v.isdigit()) for k, v in pairs)
    ):
        return None
    return [int(v) for _, v in pairs]


@dataclass(frozen=True)
class ListingQuery:
    """A listing page asked for: `limit` None for the configured page size."""

    horizon: int
    sort: str
    cursor: str | None
    limit: int | None


def _listing_query(query: bytes, horizons: list[int]) -> ListingQuery | None:
    """The listing page a query asks for, when the route would read it as it is, or None.
    A page is served here only once the route has built it (the first page: the cache), so
    a cursor or limit the route refuses never reaches a stored page."""
    pairs = _params(query)
    if pairs is None:
        return None
    params = dict(pairs)
    if len(params) != len(pairs) or not set(params) <= {"horizon", "sort", "cursor", "limit"}:
        return None
    sort = params.get("sort", ORDERS[0])
    text = params.get("horizon", str(horizons[0]))
    limit = params.get("limit")
    if (
        sort not in ORDERS
        or not (text.isascii() and text.isdigit())
        or int(text) not in horizons
        or (limit is not None and not (limit.isascii() and limit.isdigit()))
    ):
        return None
    size = None if limit is None else int(limit)
    return ListingQuery(int(text), sort, params.get("cursor"), size)


@dataclass(frozen=True)
class RouteLabel:
    """What the metrics middleware reads of the route it stands in for: its template."""

    path: str


class ForecastFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.route = RouteLabel(PREFIX + "{pair_id}")
        self.listing_route = RouteLabel(LISTING)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(LISTING)
            or not await self._answer(scope, send)
        ):
            await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send) -> bool:
        state = scope["app"].state
        cache: ForecastCache | None = getattr(state, "cache", None)
        if cache is None:
            return False
        query = scope.get("query_string", b"")
        if scope["path"] == LISTING:
            asked = _listing_query(query, list(state.settings.horizons))
            if asked is None:
                return False
            listing = cache.peek_listing(asked.horizon, asked.sort, during_rebuild=True)
            if listing is None:
                return False
            size = listing.first_page_size if asked.limit is None else asked.limit
            found = listing.peek_page(asked.cursor, size)
            if found is None:
                return False
            return await self._send(
                scope, send, found.body, found.etag, self.listing_route, found.gzipped
            )
        pair_id = scope["path"][len(PREFIX) :]
        if not scope["path"].startswith(PREFIX) or not pair_id or "/" in pair_id:
            return False
        if pair_id == "stream":
            return False
        horizons = _horizons(query)
        if horizons is None:
            return False
        entry = cache.peek(pair_id, horizons, count=False)
        if entry is None:
            return False
        return await self._send(scope, send, entry.body, entry.etag, self.route)

    def _admitted(self, scope: Scope) -> bool:
        """Whether the request carries a reader's key verified moments ago and is under its
        rate (which this takes a turn of): the fast path answers nobody else."""
        presented = presented_in(scope)
        return (
            presented is not None
            and admit_cached(scope["app"].state, presented, "reader") is not None
        )

    async def _send(
        self,
        scope: Scope,
        send: Send,
        body: bytes,
        etag: str,
        route: RouteLabel,
        gzipped: bytes | None = None,
    ) -> bool:
        """The stored answer, when the caller's key was verified moments ago; False (take
        the route) otherwise."""
        state = scope["app"].state
        headers = dict(scope["headers"])
        if_none_match = headers.get(b"if-none-match", b"").decode("latin-1")
        if len(if_none_match) > MAX_IF_NONE_MATCH or not self._admitted(scope):
            return False
        scope["route"] = route
        state.cache.metrics.cache.labels("hit").inc()
        accept_encoding = headers.get(b"accept-encoding", b"").decode("latin-1")
        status, raw, body = conditional(body, etag, if_none_match, gzipped, accept_encoding)
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
        return True
