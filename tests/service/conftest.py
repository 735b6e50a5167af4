"""Fixtures for API tests: the app over a fresh database, and a key of each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.metrics import Metrics
from signals import access
from signals.config import Settings
from signals.db import Database
from signals.scenario import load_demo
from signals.taxonomy import load_taxonomy

PAIR = "haqqani-network--kandahar-leadership"


@dataclass(frozen=True)
class Keys:
    reader: str
    analyst: str
    admin: str

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


def listing_builds(metrics: Metrics) -> float:
    """How many times an app's cache has built its listing of every pair's forecast."""
    return metrics.registry.get_sample_value("riftcast_listing_build_seconds_count") or 0.0


@pytest.fixture
def keys(db: Database) -> Keys:
    with db.write() as s:
        made = {role: access.create_key(s, f"{role}-1", role)[1] for role in access.ROLES}
    return Keys(**made)


@pytest.fixture
def demo(db: Database) -> Database:
    with db.write() as s:
        load_demo(s, load_taxonomy())
    return db


@pytest.fixture
def client(settings: Settings, keys: Keys) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def demo_client(settings: Settings, keys: Keys, demo: Database) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def two_workers(settings: Settings, demo: Database) -> Iterator[str]:
    """`riftcast serve --workers 2` over the demo; its base URL."""
    from tests.service.servers import riftcast_serve

    with riftcast_serve(settings, workers=2) as url:
        yield url


@pytest.fixture
def four_workers(settings: Settings, demo: Database) -> Iterator[str]:
    """`riftcast serve --workers 4` over the demo; its base URL."""
    from tests.service.servers import riftcast_serve

    with riftcast_serve(settings, workers=4) as url:
        yield url
