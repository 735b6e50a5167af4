"""Revoking a key ends its open SSE streams on every worker (issue 11, item 5): two
`riftcast serve` workers, the stream on one, the revocation possibly on the other."""

from __future__ import annotations

import threading
import time

import httpx

from tests.service.conftest import Keys


def _listen(url: str, key: str, got: list[str], ready: threading.Event) -> None:
    """Record a stream's event names, then `<closed>` when the server ends it, or
    `<dropped>` when the connection breaks (the spared stream, once the servers stop)."""
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.stream("GET", f"{url}/v1/forecasts/stream", headers=headers, timeout=60) as r:
            for line in r.iter_lines():
                if line.startswith("event:"):
                    got.append(line.split(":", 1)[1].strip())
                    if got[-1] == "ready":
                        ready.set()
    except httpx.TransportError:
        got.append("<dropped>")
        return
    got.append("<closed>")


def test_revoking_a_key_closes_its_streams_and_spares_the_others(
    two_workers: str, keys: Keys
) -> None:
    url = two_workers
    admin = keys.headers("admin")
    created = httpx.post(f"{url}/v1/keys", json={"name": "wall", "role": "reader"}, headers=admin)
    assert created.status_code == 201
    doomed = created.json()
    streams: list[tuple[list[str], threading.Event, threading.Thread]] = []
    for key in (doomed["key"], doomed["key"], keys.reader):  # two streams of one key
        got: list[str] = []
        ready = threading.Event()
        t = threading.Thread(target=_listen, args=(url, key, got, ready), daemon=True)
        t.start()
        assert ready.wait(30)
        streams.append((got, ready, t))
    revoked_at = time.monotonic()
    r = httpx.post(f"{url}/v1/keys/{doomed['id']}/revoke", headers=admin)
    assert r.status_code == 200, r.text
    for got, _, t in streams[:2]:
        t.join(10)
        assert not t.is_alive(), got
        assert got[-2:] == ["revoked", "<closed>"], got
    assert time.monotonic() - revoked_at < 10
    assert streams[2][2].is_alive() and "<closed>" not in streams[2][0]
    refused = httpx.get(
        f"{url}/v1/forecasts/stream", headers={"Authorization": f"Bearer {doomed['key']}"}
    )
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
