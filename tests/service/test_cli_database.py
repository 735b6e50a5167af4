"""`riftcast` against a database it cannot use: one line saying what to do, no traceback,
nothing left behind (issue 12, item 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import _pg_exec, _pg_url, _worker

RIFTCAST = str(Path(sys.executable).parent / "riftcast")


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RIFTCAST_")}
    return subprocess.run(
        [RIFTCAST, *args], cwd=cwd, env={**clean, **env}, capture_output=True, text=True
    )


def test_a_command_from_another_directory_says_to_migrate_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    r = _run(["pairs"], tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "holds no Riftcast tables" in r.stderr and "riftcast db upgrade" in r.stderr
    assert str(tmp_path / "data" / "riftcast.db") in r.stderr
    assert list(tmp_path.iterdir()) == []  # no empty ./data/riftcast.db behind
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    done = _run(["pairs"], tmp_path)
    assert done.returncode == 0, done.stderr


def test_an_unmigrated_or_missing_postgres_database_is_said_in_one_line(tmp_path: Path) -> None:
    name = f"riftcast_empty_{_worker()}_{os.getpid()}"
    _pg_exec(f"DROP DATABASE IF EXISTS {name}")
    _pg_exec(f"CREATE DATABASE {name}")
    try:
        r = _run(["pairs"], tmp_path, RIFTCAST_DATABASE_URL=_pg_url(name))
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert "holds no Riftcast tables" in r.stderr and "riftcast db upgrade" in r.stderr
    finally:
        _pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    r = _run(["pairs"], tmp_path, RIFTCAST_DATABASE_URL=_pg_url(name))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"cannot use the database {_pg_url(name)}" in r.stderr
    assert "does not exist" in r.stderr
