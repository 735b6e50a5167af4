"""Tokens, sentences and clauses with their character offsets in the original text.

Every later step works on token indices and reports character spans of the text as the
analyst pasted it, so the dashboard can highlight the evidence exactly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

from signals.extract.lexicon import ABBREVIATIONS, FUNCTION_WORDS

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*'?|\$?\d[\d,.]*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?]+[\"”’)\]]*(?=\s+|$)")
_PARAGRAPH = re.compile(r"\n\s*")
_CLAUSE_BREAK = re.compile(
    r"\s*[;:]\s+|\s+[—–]\s+|,\s+(?=(?:but|while|whereas|although|though|yet)\b)"
    r"|\s+(?=(?:but|whereas|although)\b)",
    re.IGNORECASE,
)
_LEADING_SUBORDINATE = re.compile(r"^(?:while|although|though|whereas|even though|despite)\b", re.I)


def fold(word: str) -> str:
    """Lower case, straight apostrophes, no accents, no possessive: the form names and cues
    are compared in ("Márquez’s" and "marquez" are one word)."""
    word = word.replace("’", "'").replace("‘", "'").lower()
    if word.endswith("'s"):
        word = word[:-2]
    elif word.endswith("'"):
        word = word[:-1]
    if not word.isascii():
        word = "".join(
            c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)
        )
    return word


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    norm: str  # folded
    sentence_start: bool = False

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def acronym(self) -> bool:
        core = self.text.rstrip("'’s") if self.text.endswith(("'s", "’s")) else self.text
        letters = [c for c in core if c.isalpha()]
        return len(letters) >= 2 and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class Clause:
    start: int  # first token index (inclusive), in the sentence's token list
    end: int  # last token index (exclusive)


@dataclass(frozen=True)
class Sentence:
    index: int
    paragraph: int
    start: int  # character offsets in the original text
    end: int
    tokens: tuple[Token, ...]
    clauses: tuple[Clause, ...]

    def text_of(self, text: str) -> str:
        return text[self.start : self.end]


def tokenize(text: str, offset: int = 0) -> list[Token]:
    tokens = []
    for i, m in enumerate(_TOKEN.finditer(text)):
        word = m.group(0)
        if word.endswith("'") and not word.endswith("s'"):
            word = word[:-1]
        tokens.append(
            Token(word, offset + m.start(), offset + m.start() + len(word), fold(word), i == 0)
        )
    return tokens


def _sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    spans = []
    begin = 0
    for m in _SENTENCE_END.finditer(paragraph):
        before = paragraph[begin : m.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if m.group(0).startswith(".") and (
            last in ABBREVIATIONS or (len(last) == 1 and last.isalpha())
        ):
            continue  # "Dr. Siddiqui", "A. Commander": not the end of a sentence
        spans.append((begin, m.end()))
        begin = m.end()
    if paragraph[begin:].strip():
        spans.append((begin, len(paragraph)))
    return spans


def _clauses(text: str, start: int, tokens: list[Token]) -> tuple[Clause, ...]:
    """Break a sentence at semicolons, dashes and contrastive conjunctions, and after a
    leading "While …," — the scope of a negation or a denial ends there."""
    sentence = text[start : tokens[-1].end] if tokens else ""
    cuts = [m.start() + start for m in _CLAUSE_BREAK.finditer(sentence)]
    if _LEADING_SUBORDINATE.match(sentence) and "," in sentence:
        cuts.append(start + sentence.index(","))
    bounds = sorted({0, len(tokens)} | {sum(t.start < c for t in tokens) for c in cuts})
    return tuple(Clause(a, b) for a, b in pairwise(bounds) if b > a)


def split(text: str) -> list[Sentence]:
    """Paragraphs (one per line or blank-line block), sentences, tokens and clauses."""
    sentences: list[Sentence] = []
    pos = 0
    paragraphs = []
    for m in _PARAGRAPH.finditer(text):
        paragraphs.append((pos, m.start()))
        pos = m.end()
    paragraphs.append((pos, len(text)))
    para_index = 0
    for p_start, p_end in paragraphs:
        chunk = text[p_start:p_end]
        if not chunk.strip():
            continue
        for s_start, s_end in _sentence_spans(chunk):
            a, b = p_start + s_start, p_start + s_end
            tokens = tokenize(text[a:b], a)
            if not tokens:
                continue
            a, b = tokens[0].start, max(b, tokens[-1].end)
            while b > a and text[b - 1].isspace():
                b -= 1
            sentences.append(
                Sentence(len(sentences), para_index, a, b, tuple(tokens), _clauses(text, a, tokens))
            )
        para_index += 1
    return sentences


def english_share(tokens: list[Token]) -> float:
    """The share of words that are common English function words: about 0.4 in English
    prose, under 0.05 in other languages, so a low share means we cannot read the text."""
    words = [t for t in tokens if t.text[:1].isalpha()]
    if not words:
        return 0.0
    return sum(t.norm in FUNCTION_WORDS for t in words) / len(words)


def latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in letters) / len(letters)
