"""What `riftcast serve` prints: the worker's refits reach the server's output."""

from __future__ import annotations

import time
from pathlib import Path

from signals import jobs
from signals.config import Settings
from signals.db import Database
from tests.service.servers import riftcast_serve


def test_a_refit_is_logged_by_the_server_from_start_to_publication(
    settings: Settings, demo: Database, tmp_path: Path
) -> None:
    """Issue 12, item 5 and its done-when: the worker's first fit of the demo shows in the
    server's output — started, then the run with its diagnostics, published or refused.
    A real fit (short chains), so this also checks uvicorn's logging config keeps
    Riftcast's INFO lines."""
    with demo.write() as s:
        job = jobs.enqueue(s, "demo", "demo")  # joins the refit the demo's outcomes queued
    log = tmp_path / "serve.log"
    env = {
        "RIFTCAST_RUN_WORKER": "true",
        "RIFTCAST_WORKER_POLL_SECONDS": "0.5",
        "RIFTCAST_FIT_DRAWS": "200",
        "RIFTCAST_FIT_TUNE": "200",
    }
    with riftcast_serve(settings, log=log, extra_env=env):
        deadline = time.monotonic() + 300  # generous: a busy 2-core machine compiles slowly
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if f"refit job {job.id} done" in text or f"refit job {job.id} failed" in text:
                break
            time.sleep(0.5)
    text = log.read_text(errors="replace")
    started = next(line for line in text.splitlines() if f"refit job {job.id} (" in line)
    assert started.endswith("started: fitting the log as known now")
    done = next(line for line in text.splitlines() if f"refit job {job.id} done: run" in line)
    assert "R-hat" in done and "divergences" in done
    assert "; published" in done or "NOT published:" in done
