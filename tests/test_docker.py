"""compose.yaml runs the image against PostgreSQL; the image carries the `fast` extra.

The structure is read with PyYAML. `docker compose config` is not run: the machines this
suite runs on have Docker without the Compose plugin.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).parents[1]
COMPOSE = ROOT / "compose.yaml"


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the KEY=VALUE list form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _check(config: dict[str, Any]) -> None:
    """What any reading of compose.yaml must show, raw or resolved by Compose."""
    services = config["services"]
    postgres, riftcast = services["postgres"], services["riftcast"]
    assert str(postgres["image"]).startswith("postgres:15")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    pg_env = _environment(postgres)

    env = _environment(riftcast)
    url = make_url(env["RIFTCAST_DATABASE_URL"])
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port) == ("postgres", 5432)
    assert url.database == pg_env["POSTGRES_DB"]
    assert url.username == pg_env["POSTGRES_USER"]
    assert url.password == pg_env["POSTGRES_PASSWORD"]
    assert env["RIFTCAST_HOST"] == "0.0.0.0"
    if "RIFTCAST_REDIS_URL" in env:
        assert env["RIFTCAST_REDIS_URL"].startswith("redis://redis:")
        assert "redis" in services

    depends = riftcast["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    volumes = riftcast["volumes"]
    targets = [v["target"] if isinstance(v, dict) else v.split(":")[1] for v in volumes]
    assert "/data" in targets
    ports = [json.dumps(p) for p in riftcast["ports"]]
    assert any("8000" in p for p in ports)


def test_compose_file_runs_riftcast_against_postgres() -> None:
    config = yaml.safe_load(COMPOSE.read_text())
    build = config["services"]["riftcast"]["build"]
    assert (build if isinstance(build, str) else build["context"]) == "."
    _check(config)


def test_the_image_installs_the_fast_extra() -> None:
    text = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"^RUN pip install .*$", text, re.M)
    assert any("[fast]" in line for line in installs), installs
