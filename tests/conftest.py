"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

PostgreSQL is real (127.0.0.1:5432, trust auth; `RIFTCAST_TEST_PG_URL` overrides). Each
test gets its own database cloned from a migrated template, so tests never see each
other's rows and the append-only triggers never need to be bypassed.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

from signals.config import Settings
from signals.db import Database
from signals.migrate import upgrade
from signals.taxonomy import Taxonomy, load_taxonomy

# Property-based tests (hypothesis, schemathesis) draw the same examples on every run: a
# red build is reproducible, and a green one does not turn red by luck.
hypothesis_settings.register_profile("riftcast", derandomize=True, database=None)
hypothesis_settings.load_profile("riftcast")

PG_ADMIN = os.environ.get("RIFTCAST_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_counter = itertools.count()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{dbname}"


def _pg_exec(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "riftcast.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"riftcast_tpl_{_worker()}_{os.getpid()}"
    _pg_exec(f"DROP DATABASE IF EXISTS {name}")
    _pg_exec(f"CREATE DATABASE {name}")
    upgrade(_pg_url(name))
    yield name
    _pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings for a fresh, migrated, empty database of the parametrised kind."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if db_kind == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), data_dir / "riftcast.db")
        yield Settings(data_dir=data_dir, database_url=None, run_worker=False, warm_cache=False)
        return
    template = request.getfixturevalue("pg_template")
    name = f"riftcast_t_{_worker()}_{os.getpid()}_{next(_counter)}"
    _pg_exec(f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield Settings(
            data_dir=data_dir, database_url=_pg_url(name), run_worker=False, warm_cache=False
        )
    finally:
        _pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()
