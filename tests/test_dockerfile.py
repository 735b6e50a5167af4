"""The Dockerfile's CMD is the command that serves: run it here, exactly, on a free port."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).parents[1]


def _cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    match = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert match, "the Dockerfile has an exec-form CMD"
    return list(json.loads(match.group(1)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_dockerfile_is_multistage_nonroot_with_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM python:3.11-slim") == 2
    assert re.search(r"^USER \d+", text, re.M) and "HEALTHCHECK" in text


def test_the_image_command_migrates_and_serves(tmp_path: Path) -> None:
    cmd = _cmd()
    port = _free_port()
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--port") + 1] = str(port)
    cmd[0] = str(Path(sys.executable).parent / cmd[0])
    env = {**os.environ, "RIFTCAST_DATA_DIR": str(tmp_path), "RIFTCAST_RUN_WORKER": "false"}
    env.pop("RIFTCAST_DATABASE_URL", None)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.2)
        assert (tmp_path / "riftcast.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
