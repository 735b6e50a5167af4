"""Forecast routes over the demo: ETag/304, as_of, horizons, list, history, what-if, the
ETag moving after a new event, SSE updates and alerts, and a real `riftcast serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from service.app import create_app
from signals.config import Settings
from signals.db import Database
from tests.factories import event_body as event
from tests.service.conftest import PAIR, Keys
from tests.service.servers import free_port


def test_forecast_etag_and_304(demo_client: TestClient, keys: Keys) -> None:
    h = keys.headers("reader")
    r = demo_client.get(f"/v1/forecasts/{PAIR}", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pair_id"] == PAIR and body["horizons"] and "prior_only" in body
    assert {"probability", "lower", "upper", "phrase"} <= set(body["horizons"][0])
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "private, no-cache"
    again = demo_client.get(f"/v1/forecasts/{PAIR}", headers={**h, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    r = demo_client.get(f"/v1/forecasts/{PAIR}?horizon=30&horizon=400", headers=h)
    assert [x["horizon_days"] for x in r.json()["horizons"]] == [30, 400]
    assert r.headers["etag"] != etag
    assert demo_client.get(f"/v1/forecasts/{PAIR}?horizon=0", headers=h).status_code == 422
    r = demo_client.get(f"/v1/forecasts/{PAIR}?horizon=5000", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "horizon"
    assert demo_client.get("/v1/forecasts/no--pair", headers=h).status_code == 404
    r = demo_client.get(f"/v1/forecasts/{PAIR}?as_of=2999-01-01T00:00:00Z", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "as_of"
    past = demo_client.get(f"/v1/forecasts/{PAIR}?as_of=2000-01-01T00:00:00Z", headers=h)
    assert past.status_code == 422  # before any recorded data
    assert "etag" in demo_client.get(f"/v1/forecasts/{PAIR}?as_of={_now()}", headers=h).headers


def _now() -> str:
    from signals.clock import utcnow

    return utcnow().isoformat().replace("+00:00", "Z")


def test_list_history_what_if_and_readyz(demo_client: TestClient, keys: Keys) -> None:
    h = keys.headers("reader")
    items = demo_client.get("/v1/forecasts?horizon=90", headers=h).json()["items"]
    p = [next(x["probability"] for x in i["horizons"] if x["horizon_days"] == 90) for i in items]
    assert p == sorted(p, reverse=True) and len(items) >= 2
    r = demo_client.get("/v1/forecasts?sort=pair", headers=h)
    assert [i["pair_id"] for i in r.json()["items"]] == sorted(i["pair_id"] for i in items)
    assert demo_client.get("/v1/forecasts?horizon=91", headers=h).status_code == 422
    hist = demo_client.get(f"/v1/forecasts/{PAIR}/history?horizon=90", headers=h)
    assert hist.status_code == 200 and hist.json()["points"] and "etag" in hist.headers
    r = demo_client.post(f"/v1/forecasts/{PAIR}/what-if", json={"events": [event()]}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["changes"] and "what_if" in r.json()
    wrong = demo_client.post(
        f"/v1/forecasts/{PAIR}/what-if", json={"events": [event(type="nope")]}, headers=h
    )
    assert wrong.status_code == 422
    # Issue 12, item 6: the pair is in the URL, so a hypothetical event may omit it.
    bare = {k: v for k, v in event().items() if k not in ("faction_a", "faction_b")}
    r2 = demo_client.post(f"/v1/forecasts/{PAIR}/what-if", json={"events": [bare]}, headers=h)
    assert r2.status_code == 200, r2.text
    assert r2.json()["what_if"]["horizons"] == r.json()["what_if"]["horizons"]
    other = {**bare, "faction_a": "afghan-taliban", "faction_b": "ttp"}
    r3 = demo_client.post(f"/v1/forecasts/{PAIR}/what-if", json={"events": [other]}, headers=h)
    assert r3.status_code == 422 and r3.json()["errors"][0]["field"].endswith("faction_b")
    ready = demo_client.get("/readyz").json()
    assert ready["database"] == "ok" and ready["model"].startswith(("run", "prior-only"))


def test_new_event_moves_forecast_and_etag(demo_client: TestClient, keys: Keys) -> None:
    h = keys.headers("reader")
    first = demo_client.get(f"/v1/forecasts/{PAIR}", headers=h)
    r = demo_client.post(
        "/v1/events", json=event(type="defection", intensity=1.0), headers=keys.headers("analyst")
    )
    assert r.status_code == 201
    second = demo_client.get(
        f"/v1/forecasts/{PAIR}", headers={**h, "If-None-Match": first.headers["etag"]}
    )
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]
    assert second.json()["n_events"] == first.json()["n_events"] + 1


# -- a real server: SSE, and `riftcast serve` ---------------------------------------------


@pytest.fixture
def live(settings: Settings, keys: Keys, demo: Database) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(10)


def test_sse_update_and_alert(live: str, keys: Keys) -> None:
    h = keys.headers("reader")
    new = event(type="defection", intensity=1.0)
    before = httpx.get(f"{live}/v1/forecasts/{PAIR}?horizon=90", headers=h).json()
    what_if = httpx.post(
        f"{live}/v1/forecasts/{PAIR}/what-if",
        json={"events": [new], "horizons": [90]},
        headers=h,
    ).json()
    p0 = before["horizons"][0]["probability"]
    p1 = what_if["what_if"]["horizons"][0]["probability"]
    assert p1 != p0
    threshold = (p0 + p1) / 2
    got: list[tuple[str, dict[str, Any]]] = []
    ready = threading.Event()

    def listen() -> None:
        named = "--".join(reversed(PAIR.split("--")))  # either order names the pair
        params = {"pair": named, "threshold": f"{named}:90:{threshold}"}
        with httpx.stream(
            "GET", f"{live}/v1/forecasts/stream", params=params, headers=h, timeout=20
        ) as r:
            name = ""
            for line in r.iter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    got.append((name, json.loads(line.split(":", 1)[1])))
                    if name == "ready":
                        ready.set()
                    if name == "alert":
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert ready.wait(15)
    r = httpx.post(f"{live}/v1/events", json=new, headers=keys.headers("analyst"))
    assert r.status_code == 201
    listener.join(15)
    names = [n for n, _ in got]
    assert "forecast" in names and "alert" in names, got
    update = next(d for n, d in got if n == "forecast")
    assert update["pair_id"] == PAIR
    # The stream states the figures exactly as the API serves them (same rounding).
    after = httpx.get(f"{live}/v1/forecasts/{PAIR}", headers=h)
    assert update["etag"] == after.headers["etag"]
    served = [(x["probability"], x["lower"], x["upper"]) for x in after.json()["horizons"]]
    assert [(x["probability"], x["lower"], x["upper"]) for x in update["horizons"]] == served
    alert = next(d for n, d in got if n == "alert")
    assert alert["direction"] == ("up" if p1 > p0 else "down")


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_riftcast_serve_answers_curl(settings: Settings, keys: Keys, demo: Database) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RIFTCAST_DATA_DIR": str(settings.data_dir),
        "RIFTCAST_RUN_WORKER": "false",
        "RIFTCAST_PORT": str(port),
    }
    env.pop("RIFTCAST_DATABASE_URL", None)
    riftcast = str(Path(sys.executable).parent / "riftcast")
    proc = subprocess.Popen(
        [riftcast, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        out = subprocess.run(
            [
                "curl",
                "-s",
                "-H",
                f"Authorization: Bearer {keys.reader}",
                f"{url}/v1/forecasts/{PAIR}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert json.loads(out.stdout)["pair_id"] == PAIR
    finally:
        proc.terminate()
        proc.wait(15)


def test_the_listing_is_cached_until_a_write_then_rebuilt(
    demo_client: TestClient, keys: Keys
) -> None:
    h = keys.headers("reader")
    first = demo_client.get("/v1/forecasts?horizon=365", headers=h)
    etag = first.headers["etag"]
    same = demo_client.get("/v1/forecasts?horizon=365", headers={**h, "If-None-Match": etag})
    assert same.status_code == 304
    by_pair = demo_client.get("/v1/forecasts?horizon=365&sort=pair", headers=h)
    assert by_pair.headers["etag"] != etag  # another order is another body

    def p365(body: dict[str, Any]) -> float:
        item = next(i for i in body["items"] if i["pair_id"] == PAIR)
        return float(next(x["probability"] for x in item["horizons"] if x["horizon_days"] == 365))

    posted = demo_client.post(
        "/v1/events",
        json=event(type="killing", occurred_on=_now()[:10], intensity=1.0),
        headers=keys.headers("analyst"),
    )
    assert posted.status_code == 201, posted.text
    after = demo_client.get("/v1/forecasts?horizon=365", headers={**h, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert p365(after.json()) > p365(first.json())


def test_a_retrospective_forecast_for_an_earlier_date(demo_client: TestClient, keys: Keys) -> None:
    h = keys.headers("reader")
    now = demo_client.get(f"/v1/forecasts/{PAIR}?horizon=365", headers=h).json()
    then = demo_client.get(f"/v1/forecasts/{PAIR}?horizon=365&on=2025-03-02", headers=h)
    assert then.status_code == 200, then.text
    body = then.json()
    assert body["on"] == "2025-03-02" and any("Retrospective" in n for n in body["notes"])
    # The article's events were fresh then; today their evidence has decayed.
    assert body["horizons"][0]["probability"] > now["horizons"][0]["probability"]
    assert "etag" in then.headers
    for bad in ("2999-01-01", "2025-13-01"):
        r = demo_client.get(f"/v1/forecasts/{PAIR}?on={bad}", headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "on", r.text


def test_the_chart_series_is_cached_until_its_pair_changes(
    demo_client: TestClient, keys: Keys
) -> None:
    h = keys.headers("reader")
    url = f"/v1/forecasts/{PAIR}/history?horizon=90"
    first = demo_client.get(url, headers=h)
    etag = first.headers["etag"]
    assert demo_client.get(url, headers={**h, "If-None-Match": etag}).status_code == 304
    other = "/v1/forecasts/afghan-taliban--ttp/history?horizon=90"
    other_etag = demo_client.get(other, headers=h).headers["etag"]
    posted = demo_client.post(
        "/v1/events",
        json=event(type="killing", occurred_on=_now()[:10]),
        headers=keys.headers("analyst"),
    )
    assert posted.status_code == 201, posted.text
    after = demo_client.get(url, headers={**h, "If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["points"][-1]["probability"] > first.json()["points"][-1]["probability"]
    assert demo_client.get(other, headers=h).headers["etag"] == other_etag
