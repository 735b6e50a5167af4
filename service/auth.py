"""API-key authentication, roles, the per-key rate limit, and the audit of refusals.

A key arrives as `Authorization: Bearer …` or `X-API-Key: …`. A verified key is trusted
for at most `key_cache_seconds` without asking the database again, so a cached forecast GET
never leaves the event loop. A revocation is written to the change log, and every worker's
change poller (service.freshness) drops its verified keys when it sees one: a revoked key
is refused everywhere within one poll (`cache_check_seconds`); the time limit is only the
backstop.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from service.problems import ApiError
from service.refusals import RefusalLog
from signals import access, audit
from signals.db import Database

bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key.")


def presented_key(x_api_key: str | None, authorization: str | None) -> str | None:
    """The API key a request presents: `X-API-Key` first, then a `Bearer` credential. The
    one reading of the two headers, shared by the route's dependency and the fast path."""
    if x_api_key:
        return x_api_key
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def presented_in(scope: Any) -> str | None:
    """`presented_key` of a raw ASGI request (the fast paths', before any routing)."""
    headers = dict(scope["headers"])
    return presented_key(
        headers.get(b"x-api-key", b"").decode("latin-1"),
        headers.get(b"authorization", b"").decode("latin-1"),
    )


@dataclass(frozen=True)
class Principal:
    key_id: str
    name: str
    role: str


class KeyCache:
    """Keys verified in the last `ttl` seconds, by hash (the plaintext is never kept)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, presented: str) -> Principal | None:
        found = self._entries.get(access.hash_key(presented))
        if found is None or time.monotonic() - found[1] > self.ttl:
            return None
        return found[0]

    def put(self, presented: str, who: Principal) -> None:
        if len(self._entries) > 10_000:  # garbage keys never enter; bound it all the same
            self._entries.clear()
        self._entries[access.hash_key(presented)] = (who, time.monotonic())

    def clear(self) -> None:
        self._entries.clear()


log = logging.getLogger("riftcast.auth")
RATE_NAMESPACE = "riftcast-rate"


class RateLimiter:
    """`per_minute` requests a minute per key, counted in a sliding window by the `limits`
    library. The counts live in this process's memory by default (with N workers a key may
    get up to N times the rate), or in Redis when `storage_url` is set
    (RIFTCAST_REDIS_URL), shared by every worker on every host.

    If the shared store cannot be reached the request is served and a warning logged:
    refusing every analyst because Redis restarted would be the worse failure.
    """

    def __init__(self, per_minute: int, storage_url: str | None = None) -> None:
        self.per_minute = per_minute
        if per_minute > 0:
            from limits import RateLimitItemPerMinute
            from limits.storage import storage_from_string
            from limits.strategies import SlidingWindowCounterRateLimiter

            self._item = RateLimitItemPerMinute(per_minute)
            storage = storage_from_string(storage_url or "memory://")
            self._limiter = SlidingWindowCounterRateLimiter(storage)

    def take(self, key: str) -> float:
        """0 when allowed; otherwise the seconds to wait."""
        if self.per_minute <= 0:
            return 0.0
        try:
            if self._limiter.hit(self._item, RATE_NAMESPACE, key):
                return 0.0
            stats = self._limiter.get_window_stats(self._item, RATE_NAMESPACE, key)
        except Exception:
            log.warning("rate-limit store unreachable; request served unlimited", exc_info=True)
            return 0.0
        return max(0.001, stats.reset_time - time.time())


def _audit_refusal(
    db: Database, request: Request, status: int, result: str, who: Principal | None
) -> None:
    with db.write() as session:
        audit.record(
            session,
            key_id=who.key_id if who else None,
            key_name=who.name if who else None,
            method=request.method,
            route=request.url.path,
            status_code=status,
            result=result,
        )


def _verify(db: Database, presented: str) -> Principal | None:
    with db.read() as session:
        row = access.verify_key(session, presented)
    return Principal(key_id=row.id, name=row.name, role=row.role) if row else None


async def authenticate(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
    header_key: str | None = Depends(header_scheme),
) -> Principal:
    """The caller's key, or 401. A key not verified moments ago costs its client address
    one attempt of `RIFTCAST_AUTH_ATTEMPTS_PER_MINUTE` (429 beyond), so nobody can guess
    keys or load the database without one; refusals are counted, not written one by one
    (`service.refusals`)."""
    state = request.app.state
    # The two schemes are declared for OpenAPI; the key is read from the headers by the
    # one rule the fast path uses too.
    presented = presented_key(header_key, request.headers.get("authorization"))
    if presented:
        cached = state.key_cache.get(presented)
        if cached is not None:
            return cached
    address = request.client.host if request.client else "unknown"
    wait = state.auth_attempts.take(address)
    if wait > 0:
        _refuse(request, address, presented, 429, "too many attempts without a valid key")
        raise ApiError(
            429,
            "too many requests without a valid API key from this address",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    challenge = {"WWW-Authenticate": 'Bearer realm="riftcast"'}
    if not presented:
        _refuse(request, address, None, 401, "no API key")
        raise ApiError(
            401, "an API key is required (Authorization: Bearer … or X-API-Key)", headers=challenge
        )
    who = await anyio.to_thread.run_sync(_verify, state.db, presented)
    if who is None:
        _refuse(request, address, presented, 401, "unknown or revoked API key")
        raise ApiError(401, "the API key is unknown or revoked", headers=challenge)
    state.key_cache.put(presented, who)
    return who


def _refuse(
    request: Request, address: str, presented: str | None, status: int, reason: str
) -> None:
    refusals: RefusalLog = request.app.state.refusals
    refusals.note(address, presented, status, reason, request.method, request.url.path)


def admit_cached(state: Any, presented: str, role: str) -> Principal | None:
    """The caller when its key was verified moments ago, its role suffices and it is under
    its rate: the whole check with no database and no audit to write. None means "take the
    slow way" (`require`), which verifies, refuses and audits as needed."""
    who: Principal | None = state.key_cache.get(presented)
    if who is None or not access.allows(who.role, role):
        return None
    if state.limiter.take(who.key_id) > 0:
        return None
    return who


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting keys of `role` or stronger; 403 (audited) otherwise, 429 when
    the key is over its rate."""

    async def dependency(request: Request, who: Principal = Depends(authenticate)) -> Principal:
        if not access.allows(who.role, role):
            await anyio.to_thread.run_sync(
                _audit_refusal, request.app.state.db, request, 403, f"needs role {role}", who
            )
            raise ApiError(403, f"this needs the {role} role; the key is {who.role}")
        limiter: RateLimiter = request.app.state.limiter
        wait = limiter.take(who.key_id)
        if wait > 0:
            raise ApiError(
                429,
                f"more than {limiter.per_minute} requests a minute for this key",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        return who

    dependency.__name__ = f"require_{role}"
    return dependency


reader = require("reader")
analyst = require("analyst")
admin = require("admin")
