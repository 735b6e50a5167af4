"""Which factions a sentence names: a gazetteer built from the factions table.

Matching is by token, so that a faction is found however the copy refers to it: the full
name or an alias ("Wagner Group", "RSF"), or a distinctive word of one ("Prigozhin"
for an alias "Prigozhin's forces", "Dagalo-led" for "Dagalo's forces"). Generic words
(forces, party, leadership), places and demonyms never identify a faction alone. A word
shared by several factions' names is ambiguous: the extractor resolves it by which of them
the surrounding paragraph is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from signals.extract.lexicon import (
    FUNCTION_WORDS,
    GENERIC_NAME_WORDS,
    LOCATIVE,
    MONTHS,
    NON_ACTOR_ACRONYMS,
    ORG_HEADS,
    PLACE_WORDS,
    TITLES,
    WEEKDAYS,
    words,
)
from signals.extract.text import Token, tokenize

_ARTICLES = words("al el ad ar as ash at az an ul")
_MODIFIERS = words(
    """led backed aligned allied linked run controlled dominated affiliated based leaning
    held loyal friendly"""
)
_CONNECTORS = words("of al bin ibn de la el abu abd ul")


@dataclass(frozen=True)
class FactionEntry:
    """What the gazetteer needs of a faction: its id, name, aliases and movement."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    movement: str = ""


@dataclass
class Mention:
    """A stretch of a sentence that names one faction, or one of several (ambiguous)."""

    first: int  # token indices in the sentence, end exclusive
    last: int
    start: int  # character offsets in the text
    end: int
    surface: str
    candidates: dict[str, bool]  # faction id -> named exactly (name or alias)?
    faction: str | None = None  # set when resolved
    strength: int = 0  # 3 exact name or alias, 2 distinctive word, 1 resolved from context
    locative: bool = False  # "in Aleppo": a place, not an actor


@dataclass
class Gazetteer:
    factions: dict[str, FactionEntry]
    phrases: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    acronyms: set[tuple[str, ...]] = field(default_factory=set)
    keys: dict[str, set[str]] = field(default_factory=dict)
    longest: int = 1

    @classmethod
    def build(cls, factions: Iterable[FactionEntry]) -> Gazetteer:
        gaz = cls({f.id: f for f in factions})
        for f in gaz.factions.values():
            for phrase in (f.name, *f.aliases):
                tokens = tokenize(phrase)
                if not tokens:
                    continue
                key = tuple(t.norm for t in tokens)
                gaz.phrases.setdefault(key, set()).add(f.id)
                gaz.longest = max(gaz.longest, len(key))
                if len(tokens) == 1 and tokens[0].acronym:
                    gaz.acronyms.add(key)
                if len(tokens) > 1:
                    for t in tokens:
                        if _distinctive(t):
                            gaz.keys.setdefault(t.norm, set()).add(f.id)
        return gaz

    def mentions(self, tokens: Sequence[Token]) -> list[Mention]:
        """Faction mentions in one sentence, longest match first, left to right."""
        found: list[Mention] = []
        norms = [t.norm for t in tokens]
        i = 0
        while i < len(tokens):
            m = self._match_at(tokens, norms, i)
            if m is None:
                i += 1
                continue
            j = m.first - 1
            while j >= 0 and norms[j] in ("the", "a"):
                j -= 1
            m.locative = (j >= 0 and norms[j] in LOCATIVE and not any(m.candidates.values())) or (
                j >= 0 and norms[j] in ("within", "inside", "throughout", "across")
            )
            found.append(m)
            i = m.last
        return found

    def _match_at(self, tokens: Sequence[Token], norms: list[str], i: int) -> Mention | None:
        for length in range(min(self.longest, len(tokens) - i), 0, -1):
            key = tuple(norms[i : i + length])
            fids = self.phrases.get(key)
            if not fids:
                continue
            if key in self.acronyms and not tokens[i].acronym:
                continue  # "AQ" the acronym, not "aq" in running text
            if length == 1 and not (tokens[i].capitalised or "-" in norms[i]):
                continue
            candidates = {fid: True for fid in fids}
            if length == 1:
                for fid in self.keys.get(key[0], ()):
                    candidates.setdefault(fid, False)
            return self._mention(tokens, i, i + length, candidates)
        tok = tokens[i]
        if not (tok.capitalised or tok.acronym):
            return None
        for form in _forms(tok.norm):
            if form in self.keys:
                if tok.sentence_start and form in FUNCTION_WORDS:
                    return None
                return self._mention(tokens, i, i + 1, dict.fromkeys(self.keys[form], False))
            if form != tok.norm and (form,) in self.phrases:
                fids = self.phrases[(form,)]
                return self._mention(tokens, i, i + 1, dict.fromkeys(fids, True))
        return None

    @staticmethod
    def _mention(tokens: Sequence[Token], a: int, b: int, candidates: dict[str, bool]) -> Mention:
        mention = Mention(
            a, b, tokens[a].start, tokens[b - 1].end, "", candidates
        )  # surface filled by the caller, which holds the text
        if len(candidates) == 1:
            fid, exact = next(iter(candidates.items()))
            mention.faction, mention.strength = fid, 3 if exact else 2
        return mention


def _distinctive(token: Token) -> bool:
    """A word of a multi-word name that can identify the faction on its own."""
    norm = token.norm
    if not (token.capitalised or token.acronym) or len(norm) < 3:
        return False
    parts = [p for p in norm.split("-") if p]
    if all(p in GENERIC_NAME_WORDS or p in FUNCTION_WORDS or p in PLACE_WORDS for p in parts):
        return False
    return not (norm in TITLES or norm in MONTHS or norm in WEEKDAYS)


def _forms(norm: str) -> list[str]:
    """A hyphenated word and its core: "dagalo-led" -> "dagalo", "al-burhan" -> "burhan"."""
    forms = [norm]
    if "-" in norm:
        parts = norm.split("-")
        while len(parts) > 1 and parts[0] in _ARTICLES:
            parts = parts[1:]
        while len(parts) > 1 and parts[-1] in _MODIFIERS:
            parts = parts[:-1]
        core = "-".join(parts)
        if core != norm:
            forms.append(core)
    return forms


@dataclass(frozen=True)
class NameRun:
    """A run of capitalised words: a person, an organisation or a place."""

    first: int
    last: int
    start: int
    end: int
    words: tuple[str, ...]

    @property
    def org_like(self) -> bool:
        if len(self.words) == 1:
            w = self.words[0]
            letters = [c for c in w if c.isalpha()]
            return (
                len(letters) >= 2
                and all(c.isupper() for c in letters)
                and not any(c.isdigit() for c in w)
                and w.rstrip("s") not in NON_ACTOR_ACRONYMS
                and w not in NON_ACTOR_ACRONYMS
            )
        return self.words[-1].lower() in ORG_HEADS

    @property
    def person_like(self) -> bool:
        core = [w for w in self.words if w.lower() not in TITLES]
        if len(core) < 2 or self.org_like:
            return False
        lowered = [w.lower().replace("’", "'").removesuffix("'s") for w in core]
        if any(w in PLACE_WORDS or w in MONTHS or w in WEEKDAYS for w in lowered):
            return False
        return not any(w in GENERIC_NAME_WORDS for w in lowered)


def name_runs(tokens: Sequence[Token]) -> list[NameRun]:
    """Runs of capitalised words ("Mohamed Hamdan Dagalo", "Al-Farooq Corps"),
    allowing lower-case connectors inside ("Islamic State of Iraq")."""
    runs: list[NameRun] = []
    i = 0
    n = len(tokens)
    while i < n:
        t = tokens[i]
        if not t.capitalised or not t.text[:1].isalpha():
            i += 1
            continue
        j = i + 1
        while j < n and _joined(tokens[j - 1], tokens[j]):
            nxt = tokens[j]
            if nxt.capitalised and nxt.text[:1].isalpha():
                j += 1
            elif (
                nxt.norm in _CONNECTORS
                and j + 1 < n
                and tokens[j + 1].capitalised
                and _joined(nxt, tokens[j + 1])
            ):
                j += 2
            else:
                break
        first = i
        if t.sentence_start and t.norm in FUNCTION_WORDS:
            first = i + 1
        if first < j:
            words = tuple(tokens[k].text for k in range(first, j))
            runs.append(NameRun(first, j, tokens[first].start, tokens[j - 1].end, words))
        i = j
    return runs


def _joined(a: Token, b: Token) -> bool:
    """Two words of one name: one space apart, and the first is not a possessive."""
    return b.start - a.end == 1 and not a.text.endswith(("'s", "’s"))
