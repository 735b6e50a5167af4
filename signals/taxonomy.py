"""The indicator taxonomy: data, not code. Loaded from a TOML file an analyst can extend."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

RELIABILITY_GRADES = ("A", "B", "C", "D", "E", "F")
CREDIBILITY_GRADES = (1, 2, 3, 4, 5, 6)
ACTIVITY_KEY = "activity"


class TaxonomyError(ValueError):
    """The taxonomy file is unreadable or inconsistent."""


@dataclass(frozen=True)
class IndicatorType:
    key: str
    label: str
    description: str
    prior_mean: float
    prior_sd: float
    half_life_days: float
    rationale: str
    # A state (an absence, an occupation) holds its full weight from its start until it
    # ends — `ended_on` on the event, or never while it is open — and only then decays.
    state: bool = False
    # Phrases that suggest this type in an article (the extractor's lexicon), and phrases
    # that veto it in a clause. Optional, so a taxonomy written before them still loads.
    cues: tuple[str, ...] = ()
    negative_cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """Indicator types in a stable order (the model's type index), their priors and gradings."""

    version: str
    types: tuple[IndicatorType, ...]
    reliability_weight: dict[str, float]
    credibility_weight: dict[int, float]
    # The activity column: every event, whatever its type and grading, also counts one in
    # it. Not a type an analyst logs; None in a taxonomy without an [activity] table.
    activity: IndicatorType | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """The types an analyst can log, in the model's order."""
        return tuple(t.key for t in self.types)

    @property
    def columns(self) -> tuple[IndicatorType, ...]:
        """The model's evidence columns: the types, then the activity column if any."""
        return self.types if self.activity is None else (*self.types, self.activity)

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def get(self, key: str) -> IndicatorType | None:
        return next((t for t in self.types if t.key == key), None)

    def grading_weight(self, reliability: str, credibility: int) -> float:
        return self.reliability_weight[reliability] * self.credibility_weight[credibility]

    def event_weight(self, reliability: str, credibility: int, intensity: float) -> float:
        """How much one event counts as evidence: intensity scaled by its Admiralty grading."""
        return intensity * self.grading_weight(reliability, credibility)


def _default_text() -> str:
    return resources.files("signals").joinpath("data/taxonomy.toml").read_text("utf-8")


def _phrases(key: str, table: dict[str, object], field: str) -> tuple[str, ...]:
    """A type's optional list of cue phrases, lower-cased; anything else is a TaxonomyError."""
    value = table.get(field, [])
    if not isinstance(value, list) or not all(isinstance(c, str) and c.strip() for c in value):
        raise TaxonomyError(f"type {key!r}: {field} must be a list of non-empty strings")
    return tuple(" ".join(c.lower().split()) for c in value)


def _indicator(key: str, v: dict[str, object]) -> IndicatorType:
    return IndicatorType(
        key=key,
        label=str(v["label"]),
        description=str(v.get("description", "")),
        prior_mean=float(v["prior_mean"]),  # type: ignore[arg-type]
        prior_sd=float(v["prior_sd"]),  # type: ignore[arg-type]
        half_life_days=float(v["half_life_days"]),  # type: ignore[arg-type]
        rationale=str(v.get("rationale", "")),
        state=bool(v.get("state", False)),
        cues=_phrases(key, v, "cues"),
        negative_cues=_phrases(key, v, "negative_cues"),
    )


def parse_taxonomy(text: str) -> Taxonomy:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"taxonomy file is not valid TOML: {exc}") from exc
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    try:
        types = tuple(_indicator(key, v) for key, v in raw["types"].items())
        activity = _indicator(ACTIVITY_KEY, raw["activity"]) if "activity" in raw else None
        grading = raw["grading"]
        reliability = {k: float(grading["reliability"][k]) for k in RELIABILITY_GRADES}
        credibility = {c: float(grading["credibility"][str(c)]) for c in CREDIBILITY_GRADES}
        version = f"{raw['version']}+{digest}"
    except (KeyError, TypeError, ValueError) as exc:
        raise TaxonomyError(f"taxonomy file is missing or mistypes a field: {exc}") from exc
    if ACTIVITY_KEY in {t.key for t in types}:
        raise TaxonomyError(f"{ACTIVITY_KEY!r} is the activity column's key, not a type's")
    for t in (*types, *([activity] if activity else [])):
        if t.prior_sd <= 0 or t.half_life_days <= 0:
            raise TaxonomyError(f"type {t.key!r}: prior_sd and half_life_days must be > 0")
    if not types:
        raise TaxonomyError("taxonomy defines no indicator types")
    return Taxonomy(version, types, reliability, credibility, activity)


@lru_cache(maxsize=8)
def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy at `path`, or the packaged default. Cached: the file is read once."""
    if path is None:
        return parse_taxonomy(_default_text())
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise TaxonomyError(f"cannot read taxonomy file {path}: {exc}") from exc
    return parse_taxonomy(text)
