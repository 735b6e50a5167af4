"""Date expressions in news copy, resolved against the publication date.

News dates are mostly relative ("on Friday", "last month", "more than two years ago") and
only make sense against the day the piece was published. Each expression becomes a date
and the precision the text supports: a weekday is a day, "in August" a month, "in 2021" or
"two years ago" a year. Dates after publication are ignored: an event suggestion is about
something that happened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from signals.extract.lexicon import MONTHS, NUMBER_WORDS, WEEKDAYS

Precision = Literal["day", "month", "year"]

_MONTH = (
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[89]|20)\d\d)"
_NUM = (
    r"(?P<num>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|few"
    r"|several|a couple of|couple of)"
)
_UNIT = r"(?P<unit>day|week|month|year)s?"
_APPROX = r"(?:(?:more than|over|nearly|almost|about|around|some|at least|less than|under)\s+)?"

# Ordered: the first pattern to claim a stretch of text wins it.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<year>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")),
    ("dmy", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b")),
    ("mdy", re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b")),
    ("my", re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b")),
    ("dm", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b")),
    ("md", re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?!\s*(?:%|,\d))")),
    ("ago", re.compile(rf"\b{_APPROX}{_NUM}\s+{_UNIT}\s+ago\b", re.I)),
    ("for", re.compile(
        rf"\b(?:for|in)\s+(?:the\s+(?:past|last)\s+)?{_APPROX}{_NUM}\s+{_UNIT}\b", re.I)),
    ("rel", re.compile(
        r"\b(?P<rel>yesterday|today|tonight|last night|(?:earlier |later )?this (?:week|month|year)"
        r"|last (?:week|month|year)|the previous (?:week|month|year)"
        r"|(?:earlier|late|early) last (?:week|month|year)"
        r"|recently|recent)\b", re.I)),
    ("wd", re.compile(
        r"\b(?:(?P<which>last|this|past|previous)\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
        r"(?:\s+(?:night|morning|evening|afternoon))?\b")),
    ("m", re.compile(
        r"\b(?P<pre>in|since|during|from|until|by|of|last|early|late|mid-?|through|throughout"
        rf"|between)?\s*{_MONTH}(?![a-z])")),
    ("y", re.compile(
        rf"(?<![\d$£€,.])\b(?P<pre>(?:early|late|mid-?|the end of|the start of)\s*)?{_YEAR}\b"
        r"(?![\d,.%]\d|s\b|\s*(?:%|per\s?cent))")),
]  # fmt: skip

_DEADLINE = re.compile(r"\b(?:by|until|before|ahead of|next|the start of|the end of)\s*$", re.I)
_ATTRIBUTIVE = re.compile(r"\b(?:the|a|an|its|his|her|their)\s+$", re.I)


@dataclass(frozen=True)
class DateMention:
    start: int  # character offsets in the text
    end: int
    text: str
    on: date
    precision: Precision
    # explicit: names the time; relative: counted from publication; vague: "recently".
    kind: Literal["explicit", "relative", "vague"]
    # Deadlines ("by July") and years used as adjectives ("the 2016 peace deal") are kept
    # for the record but are the last choice to anchor an event.
    weak: bool = False


def _month_before(published: date, month: int) -> date:
    """The latest first-of-`month` not after the publication month."""
    year = published.year if month <= published.month else published.year - 1
    return date(year, month, 1)


def _shift_months(d: date, months: int) -> date:
    total = d.year * 12 + (d.month - 1) - months
    return date(total // 12, total % 12 + 1, 1)


def _count(text: str) -> int:
    text = text.lower().strip()
    return int(text) if text.isdigit() else NUMBER_WORDS.get(text, 1)


def _back(published: date, n: int, unit: str) -> tuple[date, Precision]:
    if unit == "day":
        return published - timedelta(days=n), "day"
    if unit == "week":
        return published - timedelta(days=7 * n), "month" if n > 1 else "day"
    if unit == "month":
        return _shift_months(published, n), "month"
    return date(published.year - n, 1, 1), "year"


def _resolve(kind: str, m: re.Match[str], published: date) -> tuple[date, Precision, str] | None:
    g = m.groupdict()
    if kind == "iso":
        return date(int(g["year"]), int(g["m"]), int(g["d"])), "day", "explicit"
    if kind in ("dmy", "mdy"):
        return date(int(g["year"]), MONTHS[g["month"].lower()], int(g["day"])), "day", "explicit"
    if kind == "my":
        return date(int(g["year"]), MONTHS[g["month"].lower()], 1), "month", "explicit"
    if kind in ("dm", "md"):
        month = MONTHS[g["month"].lower()]
        on = _month_before(published, month).replace(day=int(g["day"]))
        if on > published:
            on = on.replace(year=on.year - 1)
        return on, "day", "explicit"
    if kind == "ago":
        on, precision = _back(published, _count(g["num"]), g["unit"].lower())
        return on, precision, "relative"
    if kind == "for":
        n, unit = _count(g["num"]), g["unit"].lower()
        on, precision = _back(published, n, unit)
        return on, ("month" if unit in ("day", "week") else precision), "relative"
    if kind == "rel":
        rel = " ".join(g["rel"].lower().split())
        if rel in ("today", "tonight"):
            return published, "day", "relative"
        if rel in ("yesterday", "last night"):
            return published - timedelta(days=1), "day", "relative"
        if rel.endswith("this week"):
            return published, "month", "relative"
        if rel.endswith("this month"):
            return published.replace(day=1), "month", "relative"
        if rel.endswith("this year"):
            return date(published.year, 1, 1), "year", "relative"
        if rel.endswith("week"):
            return published - timedelta(days=7), "month", "relative"
        if rel.endswith("month"):
            return _shift_months(published, 1), "month", "relative"
        if rel.endswith("year"):
            return date(published.year - 1, 1, 1), "year", "relative"
        return published - timedelta(days=14), "month", "vague"  # recently
    if kind == "wd":
        back = (published.weekday() - WEEKDAYS[g["wd"].lower()]) % 7
        if back == 0 and (g.get("which") or "").lower() in ("last", "past", "previous"):
            back = 7
        return published - timedelta(days=back), "day", "relative"
    if kind == "m":
        month_word = g["month"]
        if not month_word[:1].isupper():
            return None
        if month_word.lower().startswith("may") and not g.get("pre"):
            return None  # "may" is a modal far more often than a month
        return _month_before(published, MONTHS[month_word.lower().rstrip(".")]), "month", "explicit"
    if kind == "y":
        return date(int(g["year"]), 1, 1), "year", "explicit"
    return None


def find_dates(text: str, published: date, offset: int = 0) -> list[DateMention]:
    """Every date expression in `text` (a sentence), not after `published`, in text order."""
    taken: list[tuple[int, int]] = []
    found: list[DateMention] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            a, b = m.span()
            while a < b and text[a].isspace():
                a += 1
            if any(a < y and x < b for x, y in taken):
                continue
            try:
                resolved = _resolve(kind, m, published)
            except (ValueError, OverflowError):  # "31 February", "99999 years ago"
                continue
            if resolved is None:
                continue
            on, precision, how = resolved
            if on > published or on.year < 1900:
                continue
            core = m.start("month") if kind == "m" else a
            before = text[max(0, core - 20) : core]
            if text[b - 1] == "." and kind in ("m", "my"):
                b -= 1
            weak = bool(_DEADLINE.search(before)) or (
                kind == "y" and bool(_ATTRIBUTIVE.search(before)) and not m.group("pre")
            )
            taken.append((a, b))
            found.append(
                DateMention(offset + a, offset + b, text[a:b], on, precision, how, weak)  # type: ignore[arg-type]
            )
    return sorted(found, key=lambda d: d.start)


def default_date(published: date) -> tuple[date, Precision]:
    """No date in the text: an undated past event in news copy is usually from the weeks
    just before publication, so the month two weeks earlier (within one month either way
    of most such events)."""
    return (published - timedelta(days=14)).replace(day=1), "month"


def format_date(on: date, precision: Precision) -> str:
    if precision == "year":
        return f"{on.year:04d}"
    if precision == "month":
        return f"{on.year:04d}-{on.month:02d}"
    return on.isoformat()
