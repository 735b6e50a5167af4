"""Single-event POSTs joined into one group commit (issue 16), on SQLite and PostgreSQL:
each request stays all-or-nothing and is answered after the commit — a bad event fails
only its own request, with its own problem — and a failed commit acknowledges nobody and
leaves every Idempotency-Key free for the retry.

The group is built on purpose: a first write holds the app's committer (it waits on an
Event) while the requests arrive and queue; releasing it lets them commit as one group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.app import create_app
from signals.config import Settings
from signals.db import Database
from signals.group_commit import GroupCommit
from signals.tables import AuditEntry
from tests.factories import event_body as event
from tests.factories import failing_commit, stored_actors
from tests.service.conftest import Keys

WAIT = 30.0  # seconds: a bound on a hang, never a synchronisation


def _posted_as_one_group(
    client: TestClient, posts: list[Callable[[TestClient], httpx.Response]]
) -> list[httpx.Response]:
    """Send `posts` from threads while the app's committer is held; release it once they
    all wait in its queue; their responses, in order."""
    committer: GroupCommit = client.app.state.group_commit  # type: ignore[attr-defined]
    held, release = threading.Event(), threading.Event()

    def hold(_: Session) -> None:
        held.set()
        assert release.wait(WAIT)

    def lead() -> None:
        with suppress(OSError):  # the failing committer's first group fails too
            committer.submit(hold)

    holder = threading.Thread(target=lead)
    holder.start()
    assert held.wait(WAIT)
    replies: list[httpx.Response | None] = [None] * len(posts)

    def send(i: int) -> None:
        replies[i] = posts[i](client)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(posts))]
    for t in threads:
        t.start()
    assert committer.wait_for_waiting(len(posts), WAIT)
    assert not any(replies)  # nobody is answered before the group commits
    release.set()
    for t in [holder, *threads]:
        t.join(WAIT)
        assert not t.is_alive()
    assert committer.largest == len(posts)
    return [r for r in replies if r is not None]


def test_one_bad_event_in_a_joined_group_fails_only_its_own_request(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    h = keys.headers("analyst")
    original = demo_client.post("/v1/events", json=event(actor="original"), headers=h).json()
    target = original["items"][0]["id"]
    fix = demo_client.post("/v1/events", json=event(actor="fix-1", supersedes=target), headers=h)
    winner = fix.json()["items"][0]["id"]
    keyed = {**h, "Idempotency-Key": "group-1"}

    def post(body: dict[str, Any], headers: dict[str, str] = h) -> Callable[[TestClient], Any]:
        return lambda c: c.post("/v1/events", json=body, headers=headers)

    replies = _posted_as_one_group(
        demo_client,
        [
            post(event(actor="good-1")),
            post(event(actor="unknown", faction_a="no-such-faction")),
            post(event(actor="good-2"), keyed),
            post(event(actor="fix-2", supersedes=target)),
            post(event(actor="good-3")),
        ],
    )

    assert [r.status_code for r in replies] == [201, 422, 201, 409, 201], [r.text for r in replies]
    assert replies[1].json()["errors"] == [
        {"field": "faction_a", "message": "unknown faction 'no-such-faction'"}
    ]
    assert winner in replies[3].json()["detail"]
    good = [replies[i].json()["items"][0] for i in (0, 2, 4)]
    assert [g["actor"] for g in good] == ["good-1", "good-2", "good-3"]
    actors = stored_actors(db)
    for name in ("good-1", "good-2", "good-3"):
        assert actors.count(name) == 1  # stored exactly once
    assert "unknown" not in actors and "fix-2" not in actors
    # each acknowledged request committed its own audit row and idempotency record
    with db.read() as s:
        audited = set(s.exec(select(AuditEntry.object_id).where(AuditEntry.status_code == 201)))
    assert {g["id"] for g in good} <= audited
    again = demo_client.post("/v1/events", json=event(actor="good-2"), headers=keyed)
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == replies[2].json()


def test_a_failed_group_commit_acknowledges_no_request(
    settings: Settings, keys: Keys, demo: Database
) -> None:
    h = keys.headers("analyst")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        app_state = client.app.state  # type: ignore[attr-defined]
        working = app_state.group_commit
        app_state.group_commit = GroupCommit(lambda: failing_commit(app_state.db))
        bodies = [event(actor=f"lost-{i}") for i in range(3)]

        def post(i: int) -> Callable[[TestClient], httpx.Response]:
            headers = {**h, "Idempotency-Key": f"k{i}"}
            return lambda c: c.post("/v1/events", json=bodies[i], headers=headers)

        replies = _posted_as_one_group(client, [post(i) for i in range(3)])
        assert [r.status_code for r in replies] == [500] * 3
        assert not any(a.startswith("lost-") for a in stored_actors(demo))
        # nothing was acknowledged, so each key is free: the retry runs and is stored once
        app_state.group_commit = working
        retry = client.post("/v1/events", json=bodies[0], headers={**h, "Idempotency-Key": "k0"})
        assert retry.status_code == 201 and retry.headers.get("idempotent-replayed") is None
    assert stored_actors(demo).count("lost-0") == 1
