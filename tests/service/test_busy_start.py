"""`riftcast serve --workers 4` comes up on a machine whose cores are both busy (issue 11,
item 4): uvicorn's supervisor killed workers that took over 5 s to answer while they were
still importing, for minutes on end."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from signals.config import Settings
from signals.db import Database
from tests.service.servers import riftcast_serve

READY_WITHIN_S = 20.0


def _spin(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


@pytest.fixture
def busy_cores() -> Iterator[None]:
    """One process per core, each spinning until the test ends (or 120 s pass)."""
    ctx = multiprocessing.get_context("spawn")
    hogs = [ctx.Process(target=_spin, args=(time.monotonic() + 120,)) for _ in range(2)]
    for h in hogs:
        h.start()
    try:
        yield
    finally:
        for h in hogs:
            h.terminate()
            h.join()


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_four_workers_are_ready_within_20_s_on_busy_cores(
    settings: Settings, db: Database, busy_cores: None, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    started = time.monotonic()
    with riftcast_serve(settings, workers=4, ready_within=READY_WITHIN_S, log=log):
        while log.read_text().count("Application startup complete") < 4:
            assert time.monotonic() - started < READY_WITHIN_S, log.read_text()
            time.sleep(0.2)
        text = log.read_text()
    assert "died" not in text and "not ready" not in text, text
