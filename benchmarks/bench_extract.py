"""`python -m benchmarks extract`: the extractor's quality on the gold set and the seed
article, and its speed on a 1,000-word article (issue 13).

Precision and recall are on (pair, type, month within one month), one suggestion per
expected event; the held-out passages were written after the lexicons were tuned, so
their figures are what a new article should expect. It measures; it asserts nothing
(the floors are held by tests/signals/test_extract.py).
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from pathlib import Path

from benchmarks.common import table
from signals.extract import extract
from signals.extract.gold import (
    demo_events,
    demo_factions,
    load_gold,
    match,
    predicted,
    run_gold,
)
from signals.taxonomy import load_taxonomy

SEED = (
    Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "seed-afghanistan-2025-03-02.txt"
)
SEED_PUBLISHED = date(2025, 3, 2)


def _words(text: str, n: int) -> str:
    """The first `n` words of `text` (repeated if it is shorter), as written."""
    out: list[str] = []
    while len(out) < n:
        out += text.split(" ")
    return " ".join(out[:n])


def _ms(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    fn()  # warm: the taxonomy's lexicon is compiled once per process
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def run() -> str:
    tax = load_taxonomy()
    gold = load_gold()
    out = []
    for title, split in (
        ("all passages", None),
        ("dev (lexicons tuned on these)", "dev"),
        ("held out (written after tuning)", "held-out"),
    ):
        score = run_gold(gold, tax, split)
        n = sum(1 for p in gold.passages if split is None or p.split == split)
        rows: list[list[object]] = [
            [key, f"{t.precision:.2f}", f"{t.recall:.2f}", t.tp, t.fp, t.fn]
            for key, t in sorted(score.by_type.items())
        ]
        o = score.overall
        rows.append(["overall", f"{o.precision:.2f}", f"{o.recall:.2f}", o.tp, o.fp, o.fn])
        out.append(
            table(
                f"Extractor on the gold set, {title}: {n} passages",
                ["type", "precision", "recall", "hits", "false alarms", "misses"],
                rows,
            )
        )
        if split == "held-out":
            out.append("\n" + "\n".join(f"- {m}" for m in score.misses))

    seed = SEED.read_text("utf-8")
    found = extract(seed, demo_factions(), tax, SEED_PUBLISHED)
    expected = demo_events()
    matched = match(predicted(found.suggestions), expected)
    hit = {j for _, j in matched}
    seed_rows: list[list[object]] = [
        [e.type, f"{e.faction_a} / {e.faction_b}", e.on, "yes" if j in hit else "no"]
        for j, e in enumerate(expected)
    ]
    out.append(
        table(
            f"Seed article with the demo factions: {len(hit)} of {len(expected)} demo events "
            f"covered by {len(found.suggestions)} suggestions",
            ["type", "pair", "month", "covered"],
            seed_rows,
        )
    )

    article = _words(seed, 1000)
    gold_text = "\n".join(p.text for p in gold.passages)
    big = _words(seed, 20_000)[:100_000]
    speed: list[list[object]] = []
    for label, text, factions in (
        ("seed article, first 1,000 words, 6 factions", article, demo_factions()),
        ("gold passages, 1,000 words, 31 factions", _words(gold_text, 1000), list(gold.factions)),
        (f"largest accepted text, {len(big):,} characters", big, demo_factions()),
    ):
        median, worst = _ms(lambda t=text, f=factions: extract(t, f, tax, SEED_PUBLISHED), 20)
        speed.append([label, f"{median:.1f} ms", f"{worst:.1f} ms"])
    out.append(
        table(
            "Extraction time, one core, after start-up (budget: a 1,000-word article < 200 ms)",
            ["text", "median", "worst of 20"],
            speed,
        )
    )
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
