"""The gold set and how suggestions are scored against it (the test and the benchmark).

A suggestion matches an expected event when the pair and the type are the same and the
months are at most one apart; when either side gives only a year, the years must agree.
Matching is one to one, so two suggestions of one event count one hit and one false
alarm, and one suggestion cannot cover two expected events.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import TYPE_CHECKING

from signals.extract.gazetteer import FactionEntry
from signals.taxonomy import Taxonomy

if TYPE_CHECKING:
    from signals.extract.extractor import Suggestion


@dataclass(frozen=True)
class Expected:
    faction_a: str
    faction_b: str
    type: str
    on: str  # YYYY-MM or YYYY (or a full date)

    @property
    def pair(self) -> tuple[str, str]:
        return (
            (self.faction_a, self.faction_b)
            if self.faction_a < self.faction_b
            else (
                self.faction_b,
                self.faction_a,
            )
        )


@dataclass(frozen=True)
class Passage:
    id: str
    split: str
    published_on: date
    text: str
    events: tuple[Expected, ...]


@dataclass(frozen=True)
class GoldSet:
    factions: tuple[FactionEntry, ...]
    passages: tuple[Passage, ...]


def load_gold(text: str | None = None) -> GoldSet:
    """The packaged gold set (or one given as TOML text)."""
    if text is None:
        text = resources.files("signals.extract").joinpath("gold/passages.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    factions = tuple(
        FactionEntry(f["id"], f["name"], tuple(f.get("aliases", ())), f.get("movement", ""))
        for f in raw["factions"]
    )
    passages = tuple(
        Passage(
            p["id"],
            p.get("split", "dev"),
            p["published_on"],
            p["text"],
            tuple(Expected(e["a"], e["b"], e["type"], str(e["on"])) for e in p["events"]),
        )
        for p in raw["passages"]
    )
    return GoldSet(factions, passages)


def _month(on: str) -> tuple[int, int | None]:
    return int(on[:4]), (int(on[5:7]) if len(on) >= 7 else None)


def dates_match(a: str, b: str) -> bool:
    (ya, ma), (yb, mb) = _month(a), _month(b)
    if ma is None or mb is None:
        return ya == yb
    return abs((ya * 12 + ma) - (yb * 12 + mb)) <= 1


@dataclass(frozen=True)
class Predicted:
    pair: tuple[str, str]
    type: str
    on: str


def match(predicted: Sequence[Predicted], expected: Sequence[Expected]) -> list[tuple[int, int]]:
    """One-to-one matches (index in predicted, index in expected), greedy in text order."""
    used: set[int] = set()
    out = []
    for i, p in enumerate(predicted):
        for j, e in enumerate(expected):
            if j in used or p.pair != e.pair or p.type != e.type or not dates_match(p.on, e.on):
                continue
            used.add(j)
            out.append((i, j))
            break
    return out


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Score:
    overall: Tally = field(default_factory=Tally)
    by_type: dict[str, Tally] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)  # passage id: what went wrong

    def add(
        self, passage_id: str, predicted: Sequence[Predicted], expected: Sequence[Expected]
    ) -> None:
        matched = match(predicted, expected)
        hit_p = {i for i, _ in matched}
        hit_e = {j for _, j in matched}
        for i, p in enumerate(predicted):
            t = self.by_type.setdefault(p.type, Tally())
            if i in hit_p:
                t.tp += 1
                self.overall.tp += 1
            else:
                t.fp += 1
                self.overall.fp += 1
                self.misses.append(f"{passage_id}: extra {p.type} {'/'.join(p.pair)} {p.on}")
        for j, e in enumerate(expected):
            if j not in hit_e:
                self.by_type.setdefault(e.type, Tally()).fn += 1
                self.overall.fn += 1
                self.misses.append(f"{passage_id}: missed {e.type} {'/'.join(e.pair)} {e.on}")


def score(results: Iterable[tuple[str, Sequence[Predicted], Sequence[Expected]]]) -> Score:
    out = Score()
    for passage_id, predicted, expected in results:
        out.add(passage_id, predicted, expected)
    return out


def demo_factions() -> list[FactionEntry]:
    """The embedded demo's factions, as the gazetteer sees them once the demo is loaded."""
    text = resources.files("signals").joinpath("demo/factions.csv").read_text("utf-8")
    return [
        FactionEntry(
            r["id"], r["name"], tuple(a for a in r["aliases"].split(";") if a), r["movement"]
        )
        for r in csv.DictReader(io.StringIO(text))
    ]


def demo_events() -> list[Expected]:
    """The demo's events, which an analyst logged by hand from the seed article."""
    text = resources.files("signals").joinpath("demo/events.csv").read_text("utf-8")
    return [
        Expected(r["faction_a"], r["faction_b"], r["type"], r["occurred_on"])
        for r in csv.DictReader(io.StringIO(text))
    ]


def run_gold(gold: GoldSet, taxonomy: Taxonomy, split: str | None = None) -> Score:
    """Extract every passage (of one split, or all) and score it against its events."""
    from signals.extract.extractor import extract

    rows = []
    for p in gold.passages:
        if split is not None and p.split != split:
            continue
        found = extract(p.text, gold.factions, taxonomy, p.published_on)
        rows.append((p.id, predicted(found.suggestions), p.events))
    return score(rows)


def predicted(suggestions: Iterable[Suggestion]) -> list[Predicted]:
    return [Predicted((s.faction_a, s.faction_b), s.type, s.occurred_on) for s in suggestions]
