"""Browser tests: a real `uvicorn` process over a fresh SQLite data dir with the demo loaded,
driven by Debian's chromium through Playwright's sync API (never a downloaded browser).

Module-scoped: one server and one browser for the whole module keeps the folder fast;
each test opens its own pages (sessionStorage, where the key lives, is per page).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.service.servers import free_port, wait_ready

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAIR = "haqqani-network--kandahar-leadership"


@dataclass(frozen=True)
class Server:
    url: str
    admin_key: str
    analyst_key: str
    reader_key: str


def _riftcast(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("e2e-data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIFTCAST_")}
    env.update(
        RIFTCAST_DATA_DIR=str(data_dir),
        # No MCMC in the browser tests: the demo's refit job stays queued, priors forecast.
        RIFTCAST_RUN_WORKER="false",
        RIFTCAST_CACHE_CHECK_SECONDS="0.2",
        # Small pages, so the overview is proven to follow the listing's cursors.
        RIFTCAST_FORECAST_PAGE_SIZE="10",
        PYTHONPATH=str(ROOT),
    )
    _riftcast(env, "db", "upgrade")
    out = _riftcast(env, "demo")
    admin = next(x for x in out.splitlines() if x.startswith("Admin key")).rsplit(" ", 1)[1]
    analyst = _riftcast(env, "keys", "create", "--role", "analyst", "--name", "e2e-analyst")
    reader = _riftcast(env, "keys", "create", "--role", "reader", "--name", "e2e-reader")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (data_dir / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(url, proc)
        yield Server(
            url,
            admin,
            analyst.strip().splitlines()[-1],
            reader.strip().splitlines()[-1],
        )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (`make browser` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
