"""From an article to suggested indicator events, offline and without a model download.

The pipeline, sentence by sentence: find the factions named (the gazetteer), the cue
phrases of each indicator type (the taxonomy's lexicon) and the date expressions; drop the
cues that are negated, hypothetical or denied (a denial of a rift becomes a
`public_denial`); give each remaining cue a pair — the two factions named in its clause,
or the one named and its partner in the article — a date, an actor and a grading; merge
the repeats. Nothing here touches the database: the factions come in as plain entries.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import combinations, pairwise

from signals.errors import FieldProblem, InvalidInput
from signals.extract.cues import CueHit, Lexicon, compile_lexicon
from signals.extract.dates import DateMention, Precision, default_date, find_dates, format_date
from signals.extract.gazetteer import FactionEntry, Gazetteer, Mention, NameRun, name_runs
from signals.extract.grading import assess
from signals.extract.lexicon import (
    DENY_VERBS,
    HEDGES,
    IRREALIS,
    NEGATORS,
    REJECT_VERBS,
    REPORT_NOUNS,
    REVERSALS_AFTER,
    REVERSALS_BEFORE,
)
from signals.extract.text import Sentence, english_share, latin_share, split
from signals.taxonomy import Taxonomy

MAX_CHARS = 100_000
DENIAL_SCOPE = 14  # words after a denial that it may cover
DENIAL_TYPE = "public_denial"  # a type every taxonomy has (DESIGN.md); used if present
ENGLISH_ONLY = (
    "Only English is read: this text does not look like English, so nothing was suggested."
)
_SAYING = frozenset(("saying", "adding", "insisting", "calling", "stressing", "arguing"))
_COORDINATION = re.compile(r"^[\s,’'s]*(?:and|or|as well as)?[\s,]*$", re.I)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Suggestion:
    """One event an analyst may confirm, edit or reject."""

    faction_a: str
    faction_b: str
    type: str
    occurred_on: str  # YYYY-MM-DD, YYYY-MM or YYYY, as the event log takes it
    precision: Precision
    date_basis: str  # the words the date came from, or why it was assumed
    actor: str
    summary: str
    spans: tuple[Span, ...]  # the evidence: the clause(s) in the text
    cue: str  # the words that fired, as written
    cue_phrase: str  # the lexicon entry they matched
    cue_span: Span
    confidence: float
    reliability: str | None
    credibility: int | None
    grading_basis: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.faction_a, self.faction_b, self.type)


@dataclass(frozen=True)
class Unresolved:
    """A name that looks like a faction or armed group but matches none in the table."""

    name: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Extraction:
    suggestions: tuple[Suggestion, ...]
    unresolved: tuple[Unresolved, ...]
    notes: tuple[str, ...] = ()


def check_input(text: str, published_on: date | None, today: date) -> None:
    """The rules of the request, named by field: the same for the API and the CLI."""
    problems = []
    if not text or not text.strip():
        problems.append(FieldProblem("text", "is empty: paste the article's text"))
    elif len(text) > MAX_CHARS:
        problems.append(
            FieldProblem("text", f"has {len(text):,} characters; the limit is {MAX_CHARS:,}")
        )
    if published_on is not None and published_on > today:
        problems.append(FieldProblem("published_on", f"{published_on} is in the future"))
    elif published_on is not None and published_on.year < 1900:
        problems.append(FieldProblem("published_on", f"{published_on} is before 1900"))
    if problems:
        raise InvalidInput("; ".join(str(p) for p in problems), problems)


def extract(
    text: str,
    factions: Iterable[FactionEntry],
    taxonomy: Taxonomy,
    published_on: date,
    today: date | None = None,
) -> Extraction:
    """Suggested events in `text`, published on `published_on`, for the known factions."""
    check_input(text, published_on, today or published_on)
    sentences = split(text)
    tokens = [t for s in sentences for t in s.tokens]
    words = [t for t in tokens if t.text[:1].isalpha()]
    if latin_share(text) < 0.5 or (len(words) >= 6 and english_share(tokens) < 0.12):
        return Extraction((), (), (ENGLISH_ONLY,))
    reader = _Reader(text, sentences, Gazetteer.build(factions), compile_lexicon(taxonomy))
    reader.published = published_on
    reader.denial = DENIAL_TYPE if taxonomy.get(DENIAL_TYPE) else None
    return reader.run()


@dataclass
class _Draft:
    sentence: Sentence
    hit: CueHit
    type: str
    pair: tuple[str, str]
    pair_score: float
    when: tuple[date, Precision, str, float]  # date, precision, basis, score
    clause: tuple[int, int]  # character span
    hedged: bool
    weak_mention: bool


@dataclass
class _Reader:
    text: str
    sentences: list[Sentence]
    gaz: Gazetteer
    lex: Lexicon
    published: date = date.min
    denial: str | None = None
    mentions: list[list[Mention]] = field(default_factory=list)
    dates: list[list[DateMention]] = field(default_factory=list)
    pair_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    para_pairs: dict[int, Counter[tuple[str, str]]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    # -- reading ---------------------------------------------------------------------------

    def run(self) -> Extraction:
        for s in self.sentences:
            found = self.gaz.mentions(s.tokens)
            for m in found:
                m.surface = self.text[m.start : m.end]
            self.mentions.append(found)
            self.dates.append(
                find_dates(self.text[s.start : s.end], self.published, offset=s.start)
            )
        self._resolve_ambiguous()
        self._count_pairs()
        drafts: list[_Draft] = []
        for s in self.sentences:
            for clause in s.clauses:
                drafts.extend(self._read_clause(s, clause.start, clause.end))
        suggestions = _merge([self._finish(d) for d in drafts])
        return Extraction(tuple(suggestions), tuple(self._unresolved()))

    def _resolve_ambiguous(self) -> None:
        """A word shared by several factions' names means the one the paragraph (then the
        article) names unambiguously; failing that, the one it is an exact alias of."""
        para: dict[int, Counter[str]] = {}
        article: Counter[str] = Counter()
        for s, found in zip(self.sentences, self.mentions, strict=True):
            for m in found:
                if m.faction and not m.locative:
                    para.setdefault(s.paragraph, Counter())[m.faction] += 1
                    article[m.faction] += 1
        heads = {
            f.id: f.movement.split()[0].lower() for f in self.gaz.factions.values() if f.movement
        }
        for s, found in zip(self.sentences, self.mentions, strict=True):
            local = para.get(s.paragraph, Counter())
            for m in found:
                if m.faction:
                    continue
                word = m.surface.lower().replace("’", "'").removesuffix("'s")
                # A bare word that heads a movement's name ("the Brotherhood") means that
                # movement's umbrella faction, the one whose own name carries the word.
                scored = sorted(
                    (
                        (
                            2 * local[f]
                            + 0.25 * article[f]
                            + 0.5 * exact
                            + 2.0 * (heads.get(f) == word),
                            f,
                        )
                        for f, exact in m.candidates.items()
                    ),
                    reverse=True,
                )
                if scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
                    m.faction, m.strength = scored[0][1], 1

    def _count_pairs(self) -> None:
        """How often each pair of factions is named together (not merely listed together)."""
        for s, found in zip(self.sentences, self.mentions, strict=True):
            named = [m for m in found if m.faction and not m.locative and m.strength >= 2]
            for m in named:
                self.counts[m.faction] += 1  # type: ignore[index]
            seen: set[tuple[str, str]] = set()
            for a, b in combinations(named, 2):
                if a.faction == b.faction or self._coordinated(a, b):
                    continue
                pair = _canonical(a.faction, b.faction)  # type: ignore[arg-type]
                if pair in seen:
                    continue
                seen.add(pair)
                self.pair_counts[pair] += 1
                self.para_pairs.setdefault(s.paragraph, Counter())[pair] += 1

    def _coordinated(self, a: Mention, b: Mention) -> bool:
        """Lists such as "ISIS, Hamas and the PKK" name groups side by side, not acting on
        each other. A bare comma is not enough ("with the help of X, Y grew"): the list
        needs its "and"."""
        first, second = (a, b) if a.start < b.start else (b, a)
        gap = self.text[first.end : second.start]
        if not _COORDINATION.match(gap):
            return False
        before = self.text[max(0, first.start - 14) : first.start].lower()
        if re.search(r"\bbetween\s+(?:the\s+)?$", before):
            return False
        if re.search(r"\b(?:and|or)\b", gap):
            return True
        after = self.text[second.end : second.end + 60]
        return bool(re.match(r"[\s,]*(?:and|or)\s+(?:the\s+)?[A-Z]", after))

    # -- one clause ------------------------------------------------------------------------

    def _read_clause(self, s: Sentence, first: int, last: int) -> list[_Draft]:
        norms = [t.norm for t in s.tokens]
        hits = self.lex.match(norms, first, last)
        triggers = _denial_triggers(norms, first, last)
        denial_hits = [h for h in hits if h.cue.type == self.denial]
        kept: list[tuple[CueHit, str]] = []
        void_denials: set[int] = set()
        denied_rift: int | None = None
        for h in hits:
            t = h.cue.type
            if t == self.denial:
                continue
            if _negated(norms, h, first, last, cohesion=t in self.lex.cohesion):
                continue
            # A denial governs what follows it closely: "denied that he had defected",
            # "dismissed talk of a feud" — not a clause ten words on.
            denier = next(
                (d.first for d in denial_hits if d.last <= h.first < self._scope(s, d.first)),
                None,
            )
            if denier is None:
                denier = next((i for i in triggers if i < h.first < self._scope(s, i)), None)
            if denier is not None:
                if t in self.lex.cohesion:
                    void_denials.add(denier)  # denying talks or a deal is no rift denial
                elif denied_rift is None:
                    denied_rift = denier
                continue
            if self.lex.vetoed(t, norms, first, last):
                continue
            kept.append((h, t))
        if self.denial:
            for d in denial_hits:
                if d.first not in void_denials and not _negated(norms, d, first, last, False):
                    kept.append((d, self.denial))
            if denied_rift is not None and not denial_hits and denied_rift not in void_denials:
                trigger = CueHit(
                    replace(hits[0].cue, type=self.denial, text="denied"),
                    denied_rift,
                    denied_rift + 1,
                )
                kept.append((trigger, self.denial))
        hedged = any(norms[i] in HEDGES for i in range(first, last))
        drafts = []
        for h, t in kept:
            for pair, score, weak in self._pairs(s, first, last, h):
                drafts.append(
                    _Draft(
                        s,
                        h,
                        t,
                        pair,
                        score,
                        self._date(s, first, last, h),
                        (s.tokens[first].start, s.tokens[last - 1].end),
                        hedged,
                        weak,
                    )
                )
        return drafts

    def _scope(self, s: Sentence, at: int) -> int:
        """Where a denial at token `at` stops: the next comma or "saying", at most
        DENIAL_SCOPE words on ("denied that the party was about to quit the government")."""
        tokens = s.tokens
        for k in range(at + 1, min(len(tokens), at + DENIAL_SCOPE + 1)):
            if "," in self.text[tokens[k - 1].end : tokens[k].start] or tokens[k].norm in _SAYING:
                return k
        return min(len(tokens), at + DENIAL_SCOPE + 1)

    # -- the pair --------------------------------------------------------------------------

    def _pairs(
        self, s: Sentence, first: int, last: int, h: CueHit
    ) -> list[tuple[tuple[str, str], float, bool]]:
        """The pair(s) a cue is about, each with how sure we are of it."""
        named = [m for m in self.mentions[s.index] if m.faction and not m.locative]
        in_clause = [m for m in named if first <= m.first < last]
        between = self._between(in_clause) or self._between(named)
        if between:
            return [(between, 0.25, False)]
        for pool, bonus in ((in_clause, 0.2), (named, 0.1)):
            ids = {m.faction for m in pool}
            if len(ids) >= 2:
                return self._from_mentions(pool, h, s.paragraph, bonus)
            if len(ids) == 1:
                only = next(iter(ids))
                partner = self._partner(only, s.paragraph)  # type: ignore[arg-type]
                weak = all(m.strength < 2 for m in pool)
                return [(_canonical(only, partner), 0.0, weak)] if partner else []  # type: ignore[arg-type]
        # Nothing named here: the factions of the sentences just before, in this paragraph.
        for back in (1, 2):
            j = s.index - back
            if j < 0 or self.sentences[j].paragraph != s.paragraph:
                break
            pool = [m for m in self.mentions[j] if m.faction and not m.locative and m.strength >= 2]
            ids = {m.faction for m in pool}
            if len(ids) >= 2:
                return [
                    (p, sc - 0.1, w)
                    for p, sc, w in self._from_mentions(pool, None, s.paragraph, 0.0)
                ]
            if len(ids) == 1:
                only = next(iter(ids))
                partner = self._partner(only, s.paragraph)  # type: ignore[arg-type]
                return [(_canonical(only, partner), -0.1, False)] if partner else []  # type: ignore[arg-type]
        return []

    def _between(self, pool: Sequence[Mention]) -> tuple[str, str] | None:
        for a, b in pairwise(pool):
            before = self.text[max(0, a.start - 14) : a.start].lower()
            gap = self.text[a.end : b.start].lower()
            if (
                a.faction != b.faction
                and re.search(r"\bbetween\s+(?:the\s+)?$", before)
                and re.fullmatch(r"\s*(?:,\s*)?and\s+(?:the\s+)?", gap)
            ):
                return _canonical(a.faction, b.faction)  # type: ignore[arg-type]
        return None

    def _from_mentions(
        self, pool: Sequence[Mention], h: CueHit | None, paragraph: int, bonus: float
    ) -> list[tuple[tuple[str, str], float, bool]]:
        """Two or more factions named: the nearest on each side of the cue; if those are
        merely listed together, each of them with its own partner."""
        ordered = sorted(pool, key=lambda m: abs(m.first - h.first) if h else m.first)
        before = [m for m in ordered if h is None or m.first < h.first]
        after = [m for m in ordered if h is not None and m.first >= h.first]
        a = before[0] if before else ordered[0]
        b = next(
            (m for m in (after or ordered) if m.faction != a.faction),
            next((m for m in ordered if m.faction != a.faction), None),
        )
        if b is None:
            return []
        weak = a.strength < 2 or b.strength < 2
        # "Hamas and Fatah signed…": two factions joined by a bare "and" are the pair; a
        # longer list ("ISIS, Hamas and the PKK have safe havens…") is not.
        if not self._coordinated(a, b) or (
            re.fullmatch(
                r"\s+and\s+(?:the\s+)?", self.text[min(a.end, b.end) : max(a.start, b.start)]
            )
            and not self._listed(a, b)
        ):
            return [(_canonical(a.faction, b.faction), bonus, weak)]  # type: ignore[arg-type]
        out = []
        group = {m.faction for m in pool if m is a or m is b or self._coordinated(m, a)}
        for fid in sorted(group):  # type: ignore[type-var]
            partner = self._partner(fid, paragraph, exclude=group)  # type: ignore[arg-type]
            if partner:
                out.append((_canonical(fid, partner), -0.05, weak))  # type: ignore[arg-type]
        return out

    def _listed(self, a: Mention, b: Mention) -> bool:
        """Whether the "X and Y" is the tail of a longer list ("ISIS, ETIM, X and Y")."""
        first = a if a.start < b.start else b
        return bool(
            re.search(
                r"[A-Z][\w-]*[’']?s?\s*,\s*$", self.text[max(0, first.start - 40) : first.start]
            )
        )

    def _partner(self, fid: str, paragraph: int, exclude: Iterable[str | None] = ()) -> str | None:
        """The faction `fid` is most often named with: in this paragraph, then the article;
        else its only sibling in the same movement."""
        banned = {fid, *exclude}
        for counter in (self.para_pairs.get(paragraph, Counter()), self.pair_counts):
            best = [
                (n, self.counts[other], other)
                for (x, y), n in counter.items()
                if fid in (x, y) and (other := y if x == fid else x) not in banned
            ]
            if best:
                return max(best)[2]
        entry = self.gaz.factions.get(fid)
        if entry and entry.movement:
            siblings = [
                f.id
                for f in self.gaz.factions.values()
                if f.movement == entry.movement and f.id not in banned
            ]
            if len(siblings) == 1:
                return siblings[0]
        return None

    # -- the date --------------------------------------------------------------------------

    def _date(
        self, s: Sentence, first: int, last: int, h: CueHit
    ) -> tuple[date, Precision, str, float]:
        """The date nearest the cue in its clause, then its sentence; else the last date of
        the paragraph so far; else a few weeks before publication."""
        cue_at = s.tokens[h.first].start
        clause_from, clause_to = s.tokens[first].start, s.tokens[last - 1].end
        found = self.dates[s.index]
        for pool in (
            [d for d in found if clause_from <= d.start < clause_to and not d.weak],
            [d for d in found if not d.weak],
            [d for d in found if clause_from <= d.start < clause_to],
        ):
            if pool:
                d = min(pool, key=lambda d: (abs(d.start - cue_at), d.start > cue_at))
                score = -0.05 if d.kind == "vague" else 0.1
                return d.on, d.precision, d.text, score
        j = s.index - 1
        while j >= 0 and self.sentences[j].paragraph == s.paragraph:
            anchored = [d for d in self.dates[j] if not d.weak and d.kind != "vague"]
            if anchored:
                d = anchored[-1]
                return d.on, d.precision, f"{d.text} (earlier in the paragraph)", 0.0
            j -= 1
        on, precision = default_date(self.published)
        return on, precision, "not stated: assumed the weeks before publication", -0.05

    # -- the suggestion --------------------------------------------------------------------

    def _finish(self, d: _Draft) -> Suggestion:
        s, h = d.sentence, d.hit
        on, precision, basis, date_score = d.when
        confidence = 0.45 + (0.1 if h.cue.weight >= 2 else 0.0) + d.pair_score + date_score
        if d.hedged:
            confidence -= 0.15
        if d.weak_mention:
            confidence -= 0.1
        grading = assess(self.text[s.start : s.end])
        credibility = grading.credibility
        if d.hedged and (credibility is None or credibility < 4):
            credibility = 4
        sentence_text = self.text[s.start : s.end]
        summary = (
            sentence_text if len(sentence_text) <= 400 else self.text[d.clause[0] : d.clause[1]]
        )
        cue_span = Span(s.tokens[h.first].start, s.tokens[h.last - 1].end)
        return Suggestion(
            faction_a=d.pair[0],
            faction_b=d.pair[1],
            type=d.type,
            occurred_on=format_date(on, precision),
            precision=precision,
            date_basis=basis,
            actor=self._actor(s, h, d.pair),
            summary=" ".join(summary.split())[:4000],
            spans=(Span(*d.clause),),
            cue=self.text[cue_span.start : cue_span.end],
            cue_phrase=h.cue.text,
            cue_span=cue_span,
            confidence=round(min(0.95, max(0.05, confidence)), 2),
            reliability=grading.reliability,
            credibility=credibility,
            grading_basis=grading.basis or ("hedged wording" if d.hedged else ""),
        )

    def _actor(self, s: Sentence, h: CueHit, pair: tuple[str, str]) -> str:
        """The person nearest the cue, else the first of the pair's factions named here."""
        runs = [r for r in name_runs(s.tokens) if r.person_like]
        if runs:
            best = min(runs, key=lambda r: (abs(r.first - h.first), r.first > h.first))
            return _strip_titles(best)
        for m in self.mentions[s.index]:
            if m.faction in pair and not m.locative:
                return self.gaz.factions[m.faction].name  # type: ignore[index]
        return ""

    def _unresolved(self) -> list[Unresolved]:
        seen: dict[str, list[Span]] = {}
        names: dict[str, str] = {}
        for s, found in zip(self.sentences, self.mentions, strict=True):
            for run in name_runs(s.tokens):
                if not run.org_like or any(m.start < run.end and run.start < m.end for m in found):
                    continue
                name = " ".join(run.words).replace("’s", "").replace("'s", "")
                key = name.lower()
                names.setdefault(key, name)
                seen.setdefault(key, []).append(Span(run.start, run.end))
        return [Unresolved(names[k], tuple(v)) for k, v in seen.items()]


def _canonical(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _strip_titles(run: NameRun) -> str:
    from signals.extract.lexicon import TITLES

    words = list(run.words)
    while len(words) > 2 and words[0].lower() in TITLES:
        words.pop(0)
    return " ".join(words).replace("’s", "").replace("'s", "")


def _negated(norms: Sequence[str], h: CueHit, first: int, last: int, cohesion: bool) -> bool:
    """ "did not defect", "no plans to break with", "threatened to quit"; for agreements
    also "abandoned the deal" and "talks broke down"."""
    window = range(max(first, h.first - 3), h.first)
    for i in window:
        if norms[i] in NEGATORS and not (i + 1 < len(norms) and norms[i + 1] == "only"):
            return True
    if any(norms[i] in IRREALIS for i in range(max(first, h.first - 4), h.first)):
        return True
    if cohesion:
        if any(norms[i] in REVERSALS_BEFORE for i in range(max(first, h.first - 4), h.first)):
            return True
        after = norms[h.last : min(last, h.last + 8)]
        for phrase in REVERSALS_AFTER:
            n = len(phrase)
            if any(tuple(after[i : i + n]) == phrase for i in range(len(after) - n + 1)):
                return True
    return False


def _denial_triggers(norms: Sequence[str], first: int, last: int) -> list[int]:
    """Where a clause denies something: "denied…", "dismissed reports…", "rejected claims…"."""
    out = []
    for i in range(first, last):
        rejects = norms[i] in REJECT_VERBS and any(
            norms[j] in REPORT_NOUNS for j in range(i + 1, min(last, i + 4))
        )
        if norms[i] in DENY_VERBS or rejects:
            out.append(i)
    return out


def _merge(items: list[Suggestion]) -> list[Suggestion]:
    """One suggestion per event: the same pair and type on the same date, or an undated
    mention of an event the text dates elsewhere, become one with several spans."""
    out: list[Suggestion] = []
    undated = "not stated"
    for s in sorted(items, key=lambda x: (x.date_basis.startswith(undated), x.cue_span.start)):
        twin = next(
            (
                o
                for o in out
                if o.key == s.key
                and (
                    o.occurred_on == s.occurred_on
                    or (s.date_basis.startswith(undated) and _months_apart(o, s) <= 3)
                )
            ),
            None,
        )
        if twin is None:
            out.append(s)
            continue
        merged = replace(
            twin,
            spans=tuple(sorted({*twin.spans, *s.spans}, key=lambda x: x.start)),
            confidence=round(min(0.95, max(twin.confidence, s.confidence) + 0.05), 2),
            actor=twin.actor or s.actor,
            reliability=twin.reliability or s.reliability,
            credibility=twin.credibility or s.credibility,
            grading_basis=twin.grading_basis or s.grading_basis,
        )
        out[out.index(twin)] = merged
    return sorted(out, key=lambda x: (x.spans[0].start, x.cue_span.start))


def _months_apart(a: Suggestion, b: Suggestion) -> int:
    ya, ma = (int(x) for x in (a.occurred_on[:4], a.occurred_on[5:7] or "6"))
    yb, mb = (int(x) for x in (b.occurred_on[:4], b.occurred_on[5:7] or "6"))
    return abs((ya * 12 + ma) - (yb * 12 + mb))
