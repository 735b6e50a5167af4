"""The reference history of real splits: complete, consistent, sourced, and loadable."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from importlib import resources

import pytest
from sqlmodel import select

from signals.db import Database
from signals.scenario import load_reference
from signals.schemas import parse_fuzzy_date
from signals.tables import Faction, IndicatorEvent, Pair
from signals.taxonomy import Taxonomy


def _rows(name: str) -> list[dict[str, str]]:
    text = (resources.files("signals") / "reference" / name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _pair(row: dict[str, str]) -> tuple[str, str]:
    a, b = row["faction_a"], row["faction_b"]
    return (a, b) if a < b else (b, a)


def _period_end(text: str) -> date:
    start, precision = parse_fuzzy_date(text)
    if precision == "year":
        return date(start.year, 12, 31)
    if precision == "month":
        nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return date.fromordinal(nxt.toordinal() - 1)
    return start


def test_the_reference_set_is_broad_enough() -> None:
    manifest = _rows("pairs.csv")
    outcomes = _rows("outcomes.csv")
    ruptured = {_pair(o) for o in outcomes if o["status"] == "ruptured"}
    pairs = {_pair(m) for m in manifest}
    assert len(pairs) == len(manifest) >= 40
    assert len(ruptured) >= 20 and len(pairs - ruptured) >= 20
    assert len({m["movement"] for m in manifest}) >= 8
    assert len({m["region"] for m in manifest}) >= 4
    cases = Counter(m["case"] for m in manifest)
    assert cases["control"] == len(pairs - ruptured)


def test_every_pair_has_outcomes_and_its_events_come_before_a_rupture(
    taxonomy: Taxonomy,
) -> None:
    factions = {f["id"] for f in _rows("factions.csv")}
    events, outcomes = _rows("events.csv"), _rows("outcomes.csv")
    manifest = {_pair(m): m for m in _rows("pairs.csv")}
    by_pair: dict[tuple[str, str], list[dict[str, str]]] = {}
    for o in outcomes:
        by_pair.setdefault(_pair(o), []).append(o)
    assert set(by_pair) == set(manifest)  # every pair has an outcome, and only those pairs
    for pair, rows in by_pair.items():
        starts = [r for r in rows if r["on"] == manifest[pair]["observed_from"]]
        assert starts and starts[0]["status"] == "cohesive", pair
        assert sum(r["status"] == "ruptured" for r in rows) <= 1, pair
        assert all(r["source"] and r["definition"] for r in rows), pair
    rupture = {_pair(o): date.fromisoformat(o["on"]) for o in outcomes if o["status"] == "ruptured"}
    for e in events:
        pair = _pair(e)
        assert pair in manifest, pair
        assert {e["faction_a"], e["faction_b"]} <= factions
        assert e["type"] in taxonomy.keys
        assert e["source"].strip(), e
        assert e["reliability"] in "ABCDEF" and e["credibility"] in "123456"
        start, _ = parse_fuzzy_date(e["occurred_on"])
        assert start >= date.fromisoformat(manifest[pair]["observed_from"]), e
        if pair in rupture:
            assert _period_end(e["occurred_on"]) < rupture[pair], e
    keys = [(_pair(e), e["type"], e["occurred_on"], e["actor"]) for e in events]
    assert len(keys) == len(set(keys)), "duplicate events"


@pytest.mark.postgres
def test_the_reference_set_loads_as_its_own_collection(db: Database, taxonomy: Taxonomy) -> None:
    with db.write() as s:
        results = load_reference(s, taxonomy)
    assert [r.kind for r in results] == ["factions", "events", "outcomes"]
    assert all(r.created == r.rows for r in results)
    with db.write() as s:
        again = load_reference(s, taxonomy)
    assert all(r.created == 0 for r in again)  # re-importing adds nothing
    with db.read() as s:
        assert {f.collection for f in s.exec(select(Faction))} == {"reference"}
        assert {p.collection for p in s.exec(select(Pair))} == {"reference"}
        assert len(list(s.exec(select(IndicatorEvent)))) == len(_rows("events.csv"))
