"""Issue 15 through the API, on both databases: a write adds one ledger entry and a poll
none; outcomes score what they settle, once; the track record's figures against a hand
computation; the pair's ledger in pages; the bulk export as CSV and JSON Lines."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from scipy.stats import beta
from sqlmodel import select

from service.commands import data
from service.forecasting.ledger import LedgerRecorder
from signals import ledger
from signals.config import Settings
from signals.db import Database
from signals.errors import InvalidInput
from signals.factions import create_faction, ensure_pair
from signals.schemas import FactionIn
from signals.tables import LedgerEntry, LedgerScore
from tests.factories import demo_event
from tests.service.conftest import PAIR, Keys


def settle(client: TestClient) -> None:
    """Let the change poller see the last write, then the recorder write what it heard."""
    time.sleep(0.25)
    recorder: LedgerRecorder = client.app.state.ledger  # type: ignore[attr-defined]
    assert recorder.flush(20)


def entries(db: Database, pair_id: str = PAIR) -> list[LedgerEntry]:
    with db.read() as s:
        stmt = select(LedgerEntry).where(LedgerEntry.pair_id == pair_id)
        return list(s.exec(stmt.order_by(LedgerEntry.made_at, LedgerEntry.id)))


def test_flush_writes_what_is_stale_without_waiting_out_the_debounce(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    """A write makes its pair stale; the recorder waits (here 60 s) for more before it
    recomputes, but `flush` (as at shutdown) has it written at once: within its 20 s."""
    recorder: LedgerRecorder = demo_client.app.state.ledger  # type: ignore[attr-defined]
    assert recorder.flush(20)
    before = len(entries(db))
    recorder.debounce = 60.0
    r = demo_client.post(
        "/v1/events", json=demo_event().model_dump(mode="json"), headers=keys.headers("analyst")
    )
    assert r.status_code == 201
    assert recorder.flush(20)
    assert len(entries(db)) == before + 1


def test_a_write_adds_one_entry_and_an_unchanged_poll_none(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    h = keys.headers("reader")
    first = demo_client.get(f"/v1/forecasts/{PAIR}", headers=h)
    settle(demo_client)
    (entry,) = entries(db)
    assert entry.etag == first.headers["etag"] and entry.kind == "change"
    for _ in range(5):  # polls: cache hits, the fast path, 304s — nothing new to record
        demo_client.get(f"/v1/forecasts/{PAIR}", headers=h)
        demo_client.get(
            f"/v1/forecasts/{PAIR}", headers={**h, "If-None-Match": first.headers["etag"]}
        )
    settle(demo_client)
    assert len(entries(db)) == 1
    # A write: its pair's forecast is recomputed and recorded, whether or not anyone asks.
    r = demo_client.post(
        "/v1/events", json=demo_event().model_dump(mode="json"), headers=keys.headers("analyst")
    )
    assert r.status_code == 201
    settle(demo_client)
    old, new = entries(db)
    assert old.id == entry.id and new.kind == "change"
    served = demo_client.get(f"/v1/forecasts/{PAIR}", headers=h)
    assert served.headers["etag"] == new.etag
    body = served.json()
    page = demo_client.get(f"/v1/forecasts/{PAIR}/ledger", headers=h).json()
    top = page["items"][0]
    assert top["etag"] == new.etag and top["as_of"] == body["as_of"]
    assert [
        (w["horizon_days"], w["probability"], w["lower"], w["upper"]) for w in top["horizons"]
    ] == [(x["horizon_days"], x["probability"], x["lower"], x["upper"]) for x in body["horizons"]]
    assert top["prior_only"] is True and top["run_id"] is None
    for _ in range(3):
        demo_client.get(f"/v1/forecasts/{PAIR}", headers=h)
    settle(demo_client)
    assert len(entries(db)) == 2


def test_the_daily_snapshot_records_each_pair_once_a_day(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    recorder: LedgerRecorder = demo_client.app.state.ledger  # type: ignore[attr-defined]
    with db.read() as s:
        pairs = ledger.pairs_without_entry_on(s, datetime.now(UTC).date())
    assert PAIR in pairs
    assert recorder.snapshot_if_due() == len(pairs)
    settle(demo_client)
    assert recorder.snapshot_if_due() == 0  # once a day
    with db.read() as s:
        assert ledger.pairs_without_entry_on(s, datetime.now(UTC).date()) == []
    assert len(entries(db)) == 1


# -- the track record against a hand computation ------------------------------------------

# (pair, made on, run, (p, lower, upper) at 30 days, and at 90 days)
FIXTURE = [
    ("alpha--beta", date(2024, 1, 1), None, (0.2, 0.1, 0.4), (0.5, 0.3, 0.7)),
    ("alpha--beta", date(2024, 2, 1), "RUN-A", (0.03, 0.01, 0.04), (0.4, 0.2, 0.6)),
    ("delta--gamma", date(2024, 1, 1), None, (0.05, 0.01, 0.1), (0.1, 0.05, 0.2)),
]
# The settled windows by hand: (p, outcome, inside the 90% set, horizon, run, movement)
#   alpha--beta cohesive to 10 Feb settles e1's 30-day window (to 31 Jan): 0
#   alpha--beta ruptured on 20 Feb settles e1/90 (to 31 Mar), e2/30 (to 2 Mar), e2/90: 1
#   e2/30 gave a rupture at most 4%: the rupture is outside its 90% set
#   delta--gamma cohesive to 31 Dec settles both of e3's windows: 0
WINDOWS = [
    (0.2, 0, True, 30, "priors only", "North"),
    (0.5, 1, True, 90, "priors only", "North"),
    (0.03, 1, False, 30, "RUN-A", "North"),
    (0.4, 1, True, 90, "RUN-A", "North"),
    (0.05, 0, True, 30, "priors only", "South"),
    (0.1, 0, True, 90, "priors only", "South"),
]


@pytest.fixture
def scored_client(demo_client: TestClient, keys: Keys, db: Database) -> TestClient:
    with db.write() as s:
        for fid, movement in (
            ("alpha", "North"),
            ("beta", "North"),
            ("gamma", "South"),
            ("delta", "South"),
        ):
            create_faction(s, FactionIn(id=fid, name=fid.title(), movement=movement), by="test")
        ensure_pair(s, "alpha", "beta")
        ensure_pair(s, "gamma", "delta")
        for pair_id, made_on, run, h30, h90 in FIXTURE:
            ledger.append(
                s,
                [
                    ledger.Served(
                        pair_id=pair_id,
                        made_on=made_on,
                        as_of=datetime.combine(made_on, datetime.min.time(), UTC),
                        run_id=run,
                        status="cohesive",
                        taxonomy_version="t",
                        etag=f'"{pair_id}-{made_on}"',
                        horizons=(ledger.ServedHorizon(30, *h30), ledger.ServedHorizon(90, *h90)),
                    )
                ],
            )
    a = keys.headers("analyst")
    for body in (
        {"faction_a": "alpha", "faction_b": "beta", "status": "cohesive", "on": "2024-02-10"},
        {"faction_a": "alpha", "faction_b": "beta", "status": "ruptured", "on": "2024-02-20"},
        {"faction_a": "gamma", "faction_b": "delta", "status": "cohesive", "on": "2024-12-31"},
    ):
        assert demo_client.post("/v1/outcomes", json=body, headers=a).status_code == 201
    return demo_client


def _by_hand(
    windows: list[tuple[float, int, bool, int, str, str]], rates: dict[int, float]
) -> dict[str, float]:
    n = len(windows)
    b = sum((p - y) ** 2 for p, y, *_ in windows) / n
    ref = sum((rates[h] - y) ** 2 for _, y, _, h, *_ in windows) / n
    return {
        "n": n,
        "brier": b,
        "brier_base_rate": ref,
        "brier_skill": 1 - b / ref,
        "log_score": sum(math.log(p if y else 1 - p) for p, y, *_ in windows) / n,
        "inside": sum(1 for _, _, hit, *_ in windows if hit),
    }


def test_the_track_record_matches_a_hand_computation(scored_client: TestClient, keys: Keys) -> None:
    r = scored_client.get("/v1/track-record", headers=keys.headers("reader"))
    assert r.status_code == 200, r.text
    tr = r.json()
    # Base rates by hand: 30 days, 1 rupture in 3 windows; 90 days, 2 in 3.
    rates = {30: 1 / 3, 90: 2 / 3}
    assert tr["n_settled"] == 6
    assert [(b["horizon_days"], pytest.approx(b["base_rate"])) for b in tr["base_rates"]] == [
        (30, 1 / 3),
        (90, 2 / 3),
    ]
    groups = {
        "overall": [tr["overall"]],
        "horizon": tr["by_horizon"],
        "movement": tr["by_movement"],
        "run": tr["by_run"],
    }
    select_by = {
        "overall": lambda w, key: True,
        "horizon": lambda w, key: str(w[3]) == key,
        "movement": lambda w, key: w[5] == key,
        "run": lambda w, key: w[4] == key,
    }
    assert [g["key"] for g in tr["by_horizon"]] == ["30", "90"]
    assert [g["key"] for g in tr["by_movement"]] == ["North", "South"]
    assert [g["key"] for g in tr["by_run"]] == ["RUN-A", "priors only"]
    for name, found in groups.items():
        for g in found:
            mine = [w for w in WINDOWS if select_by[name](w, g["key"])]
            want = _by_hand(mine, rates)
            assert g["n"] == want["n"], (name, g["key"])
            assert g["n_ruptured"] == sum(w[1] for w in mine)
            assert g["brier"] == pytest.approx(want["brier"]), (name, g["key"])
            assert g["brier_base_rate"] == pytest.approx(want["brier_base_rate"])
            if want["brier_base_rate"] > 0:
                assert g["brier_skill"] == pytest.approx(want["brier_skill"]), (name, g["key"])
            assert g["log_score"] == pytest.approx(want["log_score"], rel=1e-6)
            cov = g["coverage"]
            hits, n = want["inside"], want["n"]
            assert (cov["inside"], cov["n"]) == (hits, n)
            # Clopper–Pearson at 90%, from the beta distribution.
            lo = beta.ppf(0.05, hits, n - hits + 1) if hits else 0.0
            hi = beta.ppf(0.95, hits + 1, n - hits) if hits < n else 1.0
            assert cov["share_ci"] == [pytest.approx(lo), pytest.approx(hi)]
    overall = tr["overall"]
    # The figures written out: Brier (0.04 + 0.25 + 0.9409 + 0.36 + 0.0025 + 0.01) / 6,
    # against the base rates' 2/9; 5 of 6 outcomes inside their 90% sets.
    assert overall["brier"] == pytest.approx(1.6034 / 6)
    assert overall["brier_skill"] == pytest.approx(1 - (1.6034 / 6) / (2 / 9))
    assert overall["coverage"]["share"] == pytest.approx(5 / 6)
    assert sum(b["n"] for b in tr["reliability"]) == 6


def test_outcomes_score_once_and_the_ledger_shows_it(
    scored_client: TestClient, keys: Keys, db: Database
) -> None:
    with db.read() as s:
        before = {(x.entry_id, x.horizon_days): x for x in s.exec(select(LedgerScore))}
    assert len(before) == 6
    # The same rupture again, and a later cohesive observation: nothing is rescored.
    a = keys.headers("analyst")
    for body in (
        {"faction_a": "alpha", "faction_b": "beta", "status": "ruptured", "on": "2024-02-20"},
        {"faction_a": "gamma", "faction_b": "delta", "status": "cohesive", "on": "2025-06-30"},
    ):
        assert scored_client.post("/v1/outcomes", json=body, headers=a).status_code == 201
    with db.read() as s:
        after = {(x.entry_id, x.horizon_days): x for x in s.exec(select(LedgerScore))}
    assert after == before
    h = keys.headers("reader")
    page = scored_client.get("/v1/forecasts/beta--alpha/ledger?limit=1", headers=h)  # either order
    assert page.status_code == 200, page.text
    first = page.json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    rest = scored_client.get(
        f"/v1/forecasts/alpha--beta/ledger?cursor={first['next_cursor']}&limit=500", headers=h
    ).json()
    items = first["items"] + rest["items"]
    fixture = [i for i in items if i["etag"].startswith('"alpha--beta-')]
    assert [i["made_on"] for i in fixture] == ["2024-02-01", "2024-01-01"]
    scores = {(i["made_on"], w["horizon_days"]): w["score"] for i in fixture for w in i["horizons"]}
    assert scores[("2024-01-01", 30)]["outcome"] == 0
    assert scores[("2024-02-01", 30)]["inside_interval"] is False
    assert scores[("2024-02-01", 30)]["brier"] == pytest.approx(0.97**2)
    assert scored_client.get("/v1/forecasts/no--such/ledger", headers=h).status_code == 404


# -- the bulk export ----------------------------------------------------------------------


def test_the_export_streams_every_pair_and_horizon(
    demo_client: TestClient, keys: Keys, settings: Settings
) -> None:
    h = keys.headers("reader")
    pairs = [p["id"] for p in demo_client.get("/v1/pairs", headers=h).json()["items"]]
    r = demo_client.get("/v1/forecasts/export", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(pairs) * len(settings.horizons)
    assert sorted({row["pair_id"] for row in rows}) == sorted(pairs)
    mine = [row for row in rows if row["pair_id"] == PAIR]
    forecast = demo_client.get(f"/v1/forecasts/{PAIR}", headers=h).json()
    for row, hz in zip(mine, forecast["horizons"], strict=True):
        assert int(row["horizon_days"]) == hz["horizon_days"]
        assert (float(row["probability"]), float(row["lower"]), float(row["upper"])) == (
            hz["probability"],
            hz["lower"],
            hz["upper"],
        )
        assert row["as_of"] == forecast["as_of"] and row["on"] == forecast["on"]
        assert (row["run_id"], row["prior_only"]) == ("", "true")
    # JSON Lines: the same rows, typed.
    r = demo_client.get("/v1/forecasts/export?format=jsonl", headers=h)
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == len(rows)
    first = next(x for x in lines if x["pair_id"] == PAIR)
    assert first["probability"] == forecast["horizons"][0]["probability"]
    assert first["run_id"] is None and first["prior_only"] is True
    # As known at a given time (here the demo's); before any data, or in the future: 422.
    r = demo_client.get(
        "/v1/forecasts/export", params={"format": "jsonl", "as_of": forecast["as_of"]}, headers=h
    )
    assert r.status_code == 200, r.text
    assert {json.loads(x)["as_of"] for x in r.text.splitlines()} == {forecast["as_of"]}
    for bad in ("2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"):
        r = demo_client.get("/v1/forecasts/export", params={"as_of": bad}, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "as_of"


def test_the_cli_exports_forecasts_and_the_ledger(
    settings: Settings, scored_client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="riftcast")
    data.register(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> str:
        args = parser.parse_args(list(argv))
        assert args.func(args, settings) == 0
        return capsys.readouterr().out

    rows = list(csv.DictReader(io.StringIO(run("export", "forecasts"))))
    assert {r["pair_id"] for r in rows} >= {PAIR, "alpha--beta", "delta--gamma"}
    assert all(r["probability"] and r["lower"] and r["upper"] and r["as_of"] for r in rows)
    lines = [json.loads(x) for x in run("export", "ledger", "--format", "jsonl").splitlines()]
    settled = [x for x in lines if x["outcome"] is not None]
    assert len(settled) == 6
    assert {x["settled_by"] for x in settled} and all(
        set(ledger.EXPORT_COLUMNS) == set(x) for x in lines
    )
    # Everything here was recorded today: a day before it is before any recorded data.
    args = parser.parse_args(["export", "forecasts", "--as-of", "2024-06-30"])
    with pytest.raises(InvalidInput, match="before any recorded data"):
        args.func(args, settings)


def test_exports_beyond_the_workers_slots_are_refused_until_one_ends(
    demo_client: TestClient, keys: Keys, settings: Settings
) -> None:
    """Each export computes every pair's forecast: a worker runs `export_concurrency` at
    once, and refuses another with 503 and Retry-After rather than slow all of them; an
    export that ends, or is refused before its first byte, gives its place back."""
    h = keys.headers("reader")
    slots = demo_client.app.state.export_slots  # type: ignore[attr-defined]
    assert slots.size == settings.export_concurrency == 2
    for _ in range(3):  # one after another: each gives its place back
        assert demo_client.get("/v1/forecasts/export", headers=h).status_code == 200
    bad = demo_client.get(
        "/v1/forecasts/export", params={"as_of": "1990-01-01T00:00:00Z"}, headers=h
    )
    assert bad.status_code == 422 and slots.taken == 0
    assert slots.take() and slots.take()  # two exports in flight
    try:
        r = demo_client.get("/v1/forecasts/export", headers=h)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "5"
        assert "export" in r.json()["detail"]
    finally:
        slots.give_back()
    assert demo_client.get("/v1/forecasts/export", headers=h).status_code == 200
    slots.give_back()
    assert slots.taken == 0
