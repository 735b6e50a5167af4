"""Suggested Admiralty grading, only when the text gives grounds for one.

The source's reliability (A–F) and the information's credibility (1–6) are the analyst's
call; what the extractor can do is notice attribution in the sentence — a UN monitoring
report, "two officials said", "reportedly" — and propose the grading an analyst would
usually give it, naming the words it relied on. With no attribution it proposes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Grading:
    reliability: str | None
    credibility: int | None
    basis: str


# First match wins: the strongest grounds first.
_RULES: tuple[tuple[re.Pattern[str], str | None, int | None], ...] = (
    (re.compile(
        r"\b(?:UN|U\.N\.|UNSC|United Nations|Security Council|monitoring team|panel of experts)"
        r"\b[^.]{0,80}\breport", re.I), "B", 2),
    (re.compile(r"\b(?:court|tribunal|verdict|indictment|official gazette)\b", re.I), "B", 2),
    (re.compile(r"\b(?:in a statement|announced|issued a decree|a decree|signed)\b", re.I), "B", 2),
    (re.compile(r"\b(?:video|audio (?:message|recording)|footage)\b", re.I), "C", 2),
    (re.compile(
        r"\b(?:unconfirmed|rumou?rs?|rumou?red|speculation|allegedly|purportedly)\b", re.I),
     "F", 4),
    (re.compile(
        r"\b(?:reportedly|is believed|are believed|was believed|claimed|accuse[ds]?|blamed)\b",
        re.I), None, 4),
    (re.compile(
        r"\b(?:two|three|four|several|\d+)\s+(?:\w+\s+)?(?:officials|sources|commanders"
        r"|diplomats|witnesses|residents)\s+(?:said|say|told)\b", re.I), "C", 3),
    (re.compile(
        r"\b(?:according to|officials said|sources said|a spokesman said|a spokeswoman said"
        r"|said on)\b", re.I), "C", 3),
    (re.compile(r"\b(?:experts|analysts|observers)\b", re.I), "D", 4),
)  # fmt: skip


def assess(sentence: str) -> Grading:
    """The grading the attribution in `sentence` suggests, or no grading at all."""
    for pattern, reliability, credibility in _RULES:
        m = pattern.search(sentence)
        if m:
            return Grading(reliability, credibility, m.group(0))
    return Grading(None, None, "")
