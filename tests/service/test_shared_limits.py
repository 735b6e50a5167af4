"""The rate limit holds across processes and hosts (issue 11, item 12): two `riftcast
serve` processes on different ports, as two hosts would run them, over one PostgreSQL and
one Redis (RIFTCAST_REDIS_URL). A key gets its documented limit in all, not per process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from signals.config import Settings
from signals.db import Database
from tests.service.conftest import Keys
from tests.service.servers import riftcast_serve

LIMIT = 10
REDIS_URL = os.environ.get("RIFTCAST_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _hosts(settings: Settings, env: dict[str, str]) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [stack.enter_context(riftcast_serve(settings, extra_env=env)) for _ in range(2)]


@pytest.fixture
def two_hosts(settings: Settings, demo: Database) -> Iterator[list[str]]:
    env = {"RIFTCAST_RATE_LIMIT_PER_MINUTE": str(LIMIT), "RIFTCAST_REDIS_URL": REDIS_URL}
    yield from _hosts(settings, env)


@pytest.fixture
def two_unshared_hosts(settings: Settings, demo: Database) -> Iterator[list[str]]:
    yield from _hosts(settings, {"RIFTCAST_RATE_LIMIT_PER_MINUTE": str(LIMIT)})


def _codes(urls: list[str], key: str, per_host: int) -> list[int]:
    headers = {"Authorization": f"Bearer {key}"}
    codes = []
    for _ in range(per_host):
        for url in urls:
            codes.append(httpx.get(f"{url}/v1/pairs", headers=headers).status_code)
    return codes


@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_one_key_gets_the_limit_once_across_two_hosts(two_hosts: list[str], keys: Keys) -> None:
    codes = _codes(two_hosts, keys.reader, per_host=LIMIT)
    assert codes.count(200) == LIMIT and codes.count(429) == LIMIT, codes
    # Another key has its own allowance.
    assert _codes(two_hosts, keys.analyst, per_host=1) == [200, 200]


@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_without_redis_each_process_counts_its_own(
    two_unshared_hosts: list[str], keys: Keys
) -> None:
    """What README says of a setup without Redis: the limit is per process."""
    codes = _codes(two_unshared_hosts, keys.reader, per_host=LIMIT)
    assert codes.count(200) == 2 * LIMIT, codes
