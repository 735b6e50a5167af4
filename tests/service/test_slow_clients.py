"""Clients without a key cannot stall a worker (issue 11, item 7), against a real
`riftcast serve`: an oversized head is refused with 431 as it arrives, a head or a body
that trickles in is cut off with 408, and the worker keeps answering everyone else."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from signals.config import Settings
from signals.db import Database
from tests.service.servers import riftcast_serve

LIMITS = {
    "RIFTCAST_HEAD_READ_SECONDS": "1",
    "RIFTCAST_BODY_READ_SECONDS": "2",
    "RIFTCAST_MAX_HEAD_BYTES": "16384",
}


@pytest.fixture
def server(settings: Settings, db: Database) -> Iterator[str]:
    with riftcast_serve(settings, extra_env=LIMITS) as url:
        yield url


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def _response(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_an_oversized_head_is_refused_as_it_arrives(server: str) -> None:
    sock = _connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
    sent, refused = 0, False
    try:
        for _ in range(6400):  # up to 100 MB, 16 KB at a time
            sock.sendall(b"a" * 16384)
            sent += 16384
    except (BrokenPipeError, ConnectionResetError):
        refused = True
    reply = _response(sock)
    assert refused or reply.startswith(b"HTTP/1.1 431"), reply[:100]
    assert sent < 10_000_000, sent  # cut off long before the 100 MB were sent
    assert httpx.get(f"{server}/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_a_trickling_head_is_cut_off(server: str) -> None:
    sock = _connect(server)
    started = time.monotonic()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
    reply = _response(sock)
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert time.monotonic() - started < 20
    assert httpx.get(f"{server}/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_a_trickling_body_is_cut_off(server: str) -> None:
    sock = _connect(server)
    started = time.monotonic()
    sock.sendall(
        b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    reply = b""
    for _ in range(60):  # a byte every half second, for up to 30 s
        time.sleep(0.5)
        try:
            sock.sendall(b" ")
        except (BrokenPipeError, ConnectionResetError):
            break
        sock.settimeout(0.01)
        try:
            reply += sock.recv(65536)
        except (TimeoutError, BlockingIOError):
            continue
        if reply:
            break
    sock.settimeout(10)
    reply += _response(sock)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b"not received within 2 s" in reply
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_a_kept_alive_connection_is_not_cut_off_between_requests(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as c:
        for _ in range(3):
            assert c.get("/healthz").status_code == 200
            time.sleep(1.5)  # longer than the head's time limit, shorter than keep-alive
