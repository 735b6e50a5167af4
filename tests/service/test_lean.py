"""A serving process and the CLI import only what they need (issue 12, item 1, and issue 11,
item 4: a worker that imports the model stack at start misses uvicorn's ping on a busy
machine). PyMC, PyTensor, ArviZ, scipy.signal, matplotlib and scikit-learn load on the first
request or command that needs them."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info

from service.app import create_app
from signals.config import Settings

HEAVY = ("pymc", "pytensor", "arviz", "scipy.signal", "matplotlib", "sklearn", "numba", "nutpie")


def _loaded(code: str, tmp_path: Path) -> list[str]:
    probe = f"""
import json, sys
{code}
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={"RIFTCAST_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_serving_app_imports_no_model_stack(tmp_path: Path) -> None:
    code = "from service.app import create_app\nfrom signals.config import Settings\n"
    code += "create_app(Settings())"
    assert _loaded(code, tmp_path) == []


def test_the_cli_imports_no_model_stack_to_parse_its_arguments(tmp_path: Path) -> None:
    code = "from service.cli import build_parser\nbuild_parser().parse_args(['keys', 'list'])"
    assert _loaded(code, tmp_path) == []


def test_the_cli_parses_its_arguments_without_the_database_or_web_stack(tmp_path: Path) -> None:
    """`riftcast --help` and usage errors answer at once: a command's dependencies load when
    it runs (measured by `python -m benchmarks processes`)."""
    probe = (
        "import json, sys\nfrom service.cli import build_parser\n"
        "build_parser().parse_args(['backtest', '--step', '28', '--horizon', '90'])\n"
        "print(json.dumps([m for m in ('sqlalchemy', 'sqlmodel', 'fastapi', 'alembic', 'numpy')"
        " if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={"RIFTCAST_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_serving_keeps_what_start_up_made_out_of_the_collectors_walks(settings: Settings) -> None:
    """What start-up made is frozen while the app serves — a full collection then walks
    none of those ~150,000 objects (60 ms here, a pause of every request in flight) — and
    collectable again once it stops."""
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


def test_serving_runs_blas_on_one_thread_and_restores_it(settings: Settings) -> None:
    """A serving process's BLAS runs on one thread (idle BLAS threads of two workers on two
    cores made each forecast three times slower); the limit goes when the app stops."""
    before = _blas_threads()
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
