"""Cue phrases from the taxonomy, compiled once and matched against a clause's words.

A cue is lower-case words; `word*` matches any ending ("criticis*"), and a lone `*` skips
up to three words ("provides * support" matches "provides financial and operational
support"). Where cues overlap, the longer one wins, so "denied any rift" is a denial and
not a rift, and "over public salaries" is a resource dispute and not a policy dispute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from signals.extract.text import fold
from signals.taxonomy import Taxonomy

GAP = 3  # words a lone `*` may skip


@dataclass(frozen=True)
class Cue:
    type: str
    text: str
    parts: tuple[str, ...]  # words; "x*" a prefix; "*" a gap

    @property
    def weight(self) -> int:
        """How specific the cue is: its number of literal words."""
        return sum(p != "*" for p in self.parts)


@dataclass(frozen=True)
class CueHit:
    cue: Cue
    first: int  # token indices in the sentence, end exclusive
    last: int


@dataclass(frozen=True)
class Lexicon:
    by_first: dict[str, tuple[Cue, ...]]
    prefixed: tuple[Cue, ...]  # cues whose first word is a prefix
    negative: dict[str, tuple[tuple[str, ...], ...]]  # type -> vetoing phrases
    cohesion: frozenset[str]  # types whose prior lowers the risk of a split

    def match(self, norms: Sequence[str], first: int, last: int) -> list[CueHit]:
        """Every cue in norms[first:last], overlaps resolved in favour of the longer."""
        hits: list[CueHit] = []
        for i in range(first, last):
            for cue in (*self.by_first.get(norms[i], ()), *self.prefixed):
                end = _match(cue.parts, norms, i, last)
                if end is not None:
                    hits.append(CueHit(cue, i, end))
        hits.sort(key=lambda h: (-h.cue.weight, -(h.last - h.first), h.first))
        kept: list[CueHit] = []
        for h in hits:
            if not any(h.first < k.last and k.first < h.last for k in kept):
                kept.append(h)
        return sorted(kept, key=lambda h: h.first)

    def vetoed(self, type_key: str, norms: Sequence[str], first: int, last: int) -> bool:
        for phrase in self.negative.get(type_key, ()):
            for i in range(first, last - len(phrase) + 1):
                if _match(phrase, norms, i, last) is not None:
                    return True
        return False


def _word(part: str, word: str) -> bool:
    if part.endswith("*"):
        return word.startswith(part[:-1])
    return word == part


def _match(parts: Sequence[str], norms: Sequence[str], i: int, last: int) -> int | None:
    """The end of a match of `parts` starting at token i, or None."""
    if not parts:
        return i
    head, rest = parts[0], parts[1:]
    if head == "*":
        for skip in range(0, GAP + 1):
            if i + skip > last:
                break
            end = _match(rest, norms, i + skip, last)
            if end is not None:
                return end
        return None
    if i >= last or not _word(head, norms[i]):
        return None
    return _match(rest, norms, i + 1, last)


def _parts(text: str) -> tuple[str, ...]:
    out = []
    for word in text.split():
        star = word.endswith("*") and word != "*"
        core = fold(word.rstrip("*")) if word != "*" else "*"
        out.append(core + ("*" if star else ""))
    return tuple(out)


_COMPILED: dict[str, Lexicon] = {}


def compile_lexicon(taxonomy: Taxonomy) -> Lexicon:
    """The taxonomy's cues, indexed by first word; compiled once per taxonomy version (the
    version carries the file's hash, so an edited file is compiled afresh)."""
    found = _COMPILED.get(taxonomy.version)
    if found is None:
        found = _COMPILED[taxonomy.version] = _compile(taxonomy)
    return found


def _compile(taxonomy: Taxonomy) -> Lexicon:
    by_first: dict[str, list[Cue]] = {}
    prefixed: list[Cue] = []
    negative: dict[str, tuple[tuple[str, ...], ...]] = {}
    for t in taxonomy.types:
        for text in t.cues:
            parts = _parts(text)
            if not parts or parts[0] == "*":
                continue
            cue = Cue(t.key, text, parts)
            if parts[0].endswith("*"):
                prefixed.append(cue)
            else:
                by_first.setdefault(parts[0], []).append(cue)
        negative[t.key] = tuple(_parts(n) for n in t.negative_cues if n.strip())
    return Lexicon(
        {k: tuple(v) for k, v in by_first.items()},
        tuple(prefixed),
        negative,
        frozenset(t.key for t in taxonomy.types if t.prior_mean < 0),
    )
