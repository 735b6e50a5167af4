"""`POST /v1/extract` and `riftcast extract` (issue 13): the analyst's paste-an-article
step over HTTP and the shell, with the demo factions loaded.

Why: the suggestions must reach the analyst in the shape the event write takes, refuse
bad input by naming the field, and leave the database exactly as it was.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from service.commands import extract as extract_command
from signals.config import Settings
from signals.db import Database
from signals.errors import DomainError
from signals.extract.gold import Predicted, demo_events, match
from signals.tables import AuditEntry, ChangeEntry, IndicatorEvent
from tests.service.conftest import Keys

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed-afghanistan-2025-03-02.txt"


def post(client: TestClient, keys: Keys, body: dict[str, Any], role: str = "analyst") -> Any:
    return client.post("/v1/extract", json=body, headers=keys.headers(role))


def rows(db: Database) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(
            int(s.exec(select(func.count()).select_from(m)).one())
            for m in (IndicatorEvent, AuditEntry, ChangeEntry)
        )


def test_the_seed_article_gives_suggestions_and_writes_nothing(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    before = rows(db)
    r = post(
        demo_client,
        keys,
        {
            "text": SEED.read_text("utf-8"),
            "published_on": "2025-03-02",
            "source": "Institute of the Middle East",
            "source_url": "https://example.org/seed",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["published_on"] == "2025-03-02" and body["notes"] == []
    found = [
        Predicted((s["faction_a"], s["faction_b"]), s["type"], s["occurred_on"])
        for s in body["suggestions"]
    ]
    assert len(match(found, demo_events())) >= 10
    text = SEED.read_text("utf-8")
    for s in body["suggestions"]:
        assert s["source"] == "Institute of the Middle East"
        assert text[s["cue_span"]["start"] : s["cue_span"]["end"]] == s["cue"]
        assert all(0 <= x["start"] < x["end"] <= len(text) for x in s["spans"])
    assert {"ISIS", "ETIM"} <= {u["name"] for u in body["unresolved"]}
    assert rows(db) == before


def test_confirmed_suggestions_record_as_one_batch(demo_client: TestClient, keys: Keys) -> None:
    body = post(
        demo_client,
        keys,
        {"text": SEED.read_text("utf-8"), "published_on": "2025-03-02", "source": "Seed"},
    ).json()
    fields = ("faction_a", "faction_b", "type", "occurred_on", "actor", "summary", "source")
    batch = [
        {k: s[k] for k in fields}
        | {"reliability": s["reliability"] or "C", "credibility": s["credibility"] or 3}
        for s in body["suggestions"][:3]
    ]
    h = keys.headers("analyst") | {"Idempotency-Key": "extract-batch-1"}
    r = demo_client.post("/v1/events", json=batch, headers=h)
    assert r.status_code == 201, r.text
    assert len(r.json()["items"]) == 3


def test_roles(demo_client: TestClient, keys: Keys) -> None:
    body = {"text": "The Haqqani Network defected."}
    assert demo_client.post("/v1/extract", json=body).status_code == 401
    assert post(demo_client, keys, body, role="reader").status_code == 403
    assert post(demo_client, keys, body, role="admin").status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"text": ""}, "text", "empty"),
        ({"text": "  \n\t "}, "text", "empty"),
        ({"text": "x" * 100_001}, "text", "100,000"),
        ({"text": "The TTP defected.", "published_on": "2999-01-01"}, "published_on", "future"),
        ({"text": "The TTP defected.", "published_on": "1066-10-14"}, "published_on", "1900"),
        ({"text": "The TTP defected.", "extra": 1}, "extra", ""),
        ({}, "text", ""),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    demo_client: TestClient, keys: Keys, body: dict[str, Any], field: str, words: str
) -> None:
    r = post(demo_client, keys, body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert field in [e["field"] for e in problem["errors"]]
    assert words in problem["detail"]


def test_tomorrow_is_refused_today_is_not(demo_client: TestClient, keys: Keys) -> None:
    today = date.today()
    ok = post(demo_client, keys, {"text": "The TTP defected.", "published_on": str(today)})
    assert ok.status_code == 200
    later = post(
        demo_client,
        keys,
        {"text": "The TTP defected.", "published_on": str(today + timedelta(days=2))},
    )
    assert later.status_code == 422


def test_text_that_is_not_english_gets_an_empty_list_and_a_note(
    demo_client: TestClient, keys: Keys
) -> None:
    r = post(demo_client, keys, {"text": "Die Taliban bestreiten jede Spaltung der Bewegung."})
    assert r.status_code == 200
    body = r.json()
    assert body["suggestions"] == [] and "Only English" in body["notes"][0]


# -- the command ---------------------------------------------------------------------------


def main(argv: Sequence[str], settings: Settings) -> int:
    parser = argparse.ArgumentParser(prog="riftcast")
    sub = parser.add_subparsers(dest="command", required=True)
    extract_command.register(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args, settings) or 0)
    except DomainError:
        return 1


@pytest.fixture
def demo_settings(settings: Settings, demo: Database) -> Settings:
    """The settings of a database holding the demo."""
    return settings


def test_the_command_prints_the_api_body(
    demo_settings: Settings, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    before = rows(db)
    assert (
        main(
            ["extract", str(SEED), "--published", "2025-03-02", "--source", "Seed", "--json"],
            demo_settings,
        )
        == 0
    )
    body = json.loads(capsys.readouterr().out)
    assert set(body) >= {"suggestions", "unresolved"}
    found = [
        Predicted((s["faction_a"], s["faction_b"]), s["type"], s["occurred_on"])
        for s in body["suggestions"]
    ]
    assert len(match(found, demo_events())) >= 10
    assert all(s["source"] == "Seed" for s in body["suggestions"])
    assert main(["extract", str(SEED), "--published", "2025-03-02"], demo_settings) == 0
    out = capsys.readouterr().out
    assert "leader_absence" in out and "haqqani-network -- kandahar-leadership" in out
    assert rows(db) == before


def test_the_command_refuses_bad_input(demo_settings: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    assert main(["extract", str(empty)], demo_settings) == 1
    assert main(["extract", str(tmp_path / "missing.txt")], demo_settings) == 1
    assert main(["extract", str(SEED), "--published", "2999-01-01"], demo_settings) == 1
