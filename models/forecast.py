"""The fast path: P(rupture within H days) from posterior draws, with NumPy only.

Per draw, the weekly hazard of future step s is logit⁻¹(alpha + Σ_k beta_k · E_k(s)), where
E_k(s) is today's evidence decayed to the start of step s (states still open are held, not
decayed: an absence that goes on is assumed to go on) plus the evidence expected from new
events arriving at the pair's recent rate (assuming none would bias active pairs low), and
P(within H) = 1 − Π_s (1 − h_s), the last partial step counted as (1 − h)^fraction. Every
factor is ≤ 1, so P never decreases with H — for every draw.

Future arrivals are drawn, one path per posterior draw, when the pair's recent event count
is given: in each future step each type arrives with probability 1 − exp(−count · step),
with a weight that keeps the mean equal to the recent graded pace. Plugging the mean in
instead would understate the risk (the weekly hazard is convex in the evidence below 50%,
so by Jensen's inequality the plug-in is a lower bound); it is kept for callers without
counts (the logistic baseline, which has no draws). The paths use a fixed seed, so every
process computes the same forecast from the same data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from models.phrases import band_span, phrase

# The longest horizon asked of the model: five years, about half the span of the history it
# is fitted on; beyond it a weekly hazard extrapolates more than it knows.
MAX_HORIZON_DAYS = 5 * 365
SERIES_CHUNK_ELEMENTS = 2_000_000
ARRIVAL_SEED = 0
ARRIVAL_PATHS = 250  # random futures of new events, each shared by D / 250 posterior draws
# The arrival paths' uniform draws kept per process (`_uniforms`): at most this many shapes,
# each of at most a year of weekly steps for every type of the default taxonomy.
KEPT_SHAPES = 16
KEPT_DRAWS_MAX = ARRIVAL_PATHS * 13 * 53
# Below this total log-odds (about a 1% change in the odds) type shares are not reported.
MIN_SHARE_TOTAL = 0.01


@dataclass(frozen=True)
class HorizonForecast:
    horizon_days: int
    mean: float
    q05: float
    q95: float
    phrase: str
    phrase_uncertain: bool


def project_evidence(
    evidence: np.ndarray,
    half_lives: np.ndarray,
    n_steps: int,
    step_days: float,
    arrival: np.ndarray | None,
    held: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """((..., K, S) evidence at the start of each of the next `n_steps` steps, (K, S) decay
    of today's evidence to those starts), for (..., K) evidence today, of which `held` is
    open states, and arrivals per day: today's decays but for the states, which hold, and
    the expected arrivals accumulate as arrival · hl/ln 2 · (1 − decay). The hazard model
    and the logistic baseline project the same way."""
    ages = np.arange(n_steps) * step_days  # step s starts s·step days from now
    keep = 0.5 ** (ages[None, :] / half_lives[:, None])  # (K, S)
    evidence = np.asarray(evidence)
    if held is None:
        projected = evidence[..., :, None] * keep
    else:
        held = np.asarray(held)
        projected = (evidence - held)[..., :, None] * keep + held[..., :, None]
    if arrival is not None:
        expected = np.asarray(arrival) * half_lives / math.log(2)
        projected = projected + expected[..., :, None] * (1 - keep)
    return projected, keep


def simulated_arrivals(
    arrival: np.ndarray,
    count: np.ndarray,
    half_lives: np.ndarray,
    n_steps: int,
    step_days: float,
    n_paths: int = ARRIVAL_PATHS,
) -> tuple[np.ndarray, np.ndarray]:
    """(types drawn, (paths, types drawn, S) evidence at the start of each future step from
    events yet to come). An arrival lands mid-step; its weight is arrival · step / p, so a
    path's mean is the recent graded pace. Only types with a recent event are drawn."""
    count = np.asarray(count, dtype=np.float64)
    half_lives = np.asarray(half_lives, dtype=np.float64)
    active = np.nonzero(count > 0)[0]
    if active.size == 0 or n_steps < 2:
        return active, np.zeros((n_paths, active.size, n_steps))
    p = -np.expm1(-count[active] * step_days)
    weight = np.asarray(arrival, dtype=np.float64)[active] * step_days / p
    per_step = 0.5 ** (step_days / half_lives[active])
    landed = weight * np.sqrt(per_step)  # half a step of decay by the end of its step
    hits = _uniforms(n_paths, active.size, n_steps) < p  # (S-1, P, A)
    out = np.zeros((n_steps, n_paths, active.size))  # step-major: each step's slice contiguous
    for step in range(1, n_steps):
        np.multiply(out[step - 1], per_step, out=out[step])
        out[step] += hits[step - 1] * landed
    return active, out.transpose(1, 2, 0)


def _uniforms(n_paths: int, n_types: int, n_steps: int) -> np.ndarray:
    """The fixed-seed uniform draws that decide which types arrive in which future step of
    which path, (S - 1, paths, types), read-only, drawn in (paths, types, S - 1) order: the
    same seed gives the same paths whichever way they are kept. They depend only on the
    shape, so a process keeps those of up to KEPT_SHAPES shapes of a year's steps or fewer
    (1.4 MB each at most: a pair's forecast uses one, by how many of its types are active)
    rather than drawing them at every forecast, where drawing them and the fresh memory
    they took were a third of a forecast's time. Longer horizons draw theirs each time."""
    if n_paths * n_types * (n_steps - 1) > KEPT_DRAWS_MAX:
        return _draw_uniforms(n_paths, n_types, n_steps)
    return _kept_uniforms(n_paths, n_types, n_steps)


def _draw_uniforms(n_paths: int, n_types: int, n_steps: int) -> np.ndarray:
    draws = np.random.default_rng(ARRIVAL_SEED).random((n_paths, n_types, n_steps - 1))
    steps_first = np.ascontiguousarray(draws.transpose(2, 0, 1))
    steps_first.flags.writeable = False
    return steps_first


_kept_uniforms = lru_cache(maxsize=KEPT_SHAPES)(_draw_uniforms)


def _arrival_logit(
    beta: np.ndarray,
    arrival: np.ndarray,
    count: np.ndarray,
    half_lives: np.ndarray,
    n_steps: int,
    step_days: float,
) -> np.ndarray:
    """(D, S) log-odds that future arrivals add, draw by draw: draw d follows arrival path
    d mod ARRIVAL_PATHS (each path serves D / paths draws), one batched product."""
    beta = np.asarray(beta)
    n_draws = beta.shape[0]
    n_paths = min(ARRIVAL_PATHS, n_draws)
    active, paths = simulated_arrivals(arrival, count, half_lives, n_steps, step_days, n_paths)
    if active.size == 0:
        return np.zeros((n_draws, n_steps))
    groups = -(-n_draws // n_paths)
    padded = np.zeros((groups * n_paths, active.size))
    padded[:n_draws] = beta[:, active]
    by_path = padded.reshape(groups, n_paths, active.size).transpose(1, 0, 2)  # (P, G, K)
    logit = np.matmul(by_path, paths)  # (P, G, S)
    return logit.transpose(1, 0, 2).reshape(groups * n_paths, n_steps)[:n_draws]


def _future_logit(
    alpha: np.ndarray,
    beta: np.ndarray,
    evidence_now: np.ndarray,
    half_lives: np.ndarray,
    n_steps: int,
    step_days: float,
    arrival: np.ndarray | None,
    held: np.ndarray | None = None,
    count: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """((D, S) log-odds of the hazard in each future step, (K, S) decay of today's evidence
    to the start of each step). With `count`, arrivals are drawn per draw; without, their
    expectation is plugged in."""
    plug_in = arrival if count is None else None
    decayed, keep = project_evidence(evidence_now, half_lives, n_steps, step_days, plug_in, held)
    logit = np.asarray(alpha)[:, None] + np.asarray(beta) @ decayed
    if arrival is not None and count is not None:
        logit = logit + _arrival_logit(beta, arrival, count, half_lives, n_steps, step_days)
    return logit, keep


def _within(logit: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(..., S) step log-odds → (..., H) P(rupture within each horizon, in steps): the
    survival of a horizon of 2.5 steps is that of steps 0 and 1 in full and of step 2 for
    half of it, so each horizon's log-survival is a weighted sum of the steps' — one matrix
    product for all the horizons, rather than a cumulative sum of every draw's steps."""
    log_survive = -np.logaddexp(0.0, logit)  # log(1 - h), stable
    return -np.expm1(log_survive @ _horizon_weights(steps, logit.shape[-1]))


def _horizon_weights(steps: np.ndarray, n_steps: int) -> np.ndarray:
    """(S, H): how much of step s lies within horizon h (1, the fraction, or 0)."""
    step = np.arange(n_steps, dtype=np.float64)[:, None]
    full = np.floor(steps)[None, :]
    return np.where(step < full, 1.0, np.where(step == full, steps[None, :] - full, 0.0))


def _steps(horizons_days: Sequence[int], step_days: float) -> tuple[np.ndarray, int]:
    steps = np.asarray(horizons_days, dtype=np.float64) / step_days
    return steps, max(1, math.ceil(float(steps.max())))


def horizon_draws(
    alpha: np.ndarray,
    beta: np.ndarray,
    evidence_now: np.ndarray,
    half_lives: np.ndarray,
    horizons_days: Sequence[int],
    step_days: float = 7.0,
    arrival: np.ndarray | None = None,
    held: np.ndarray | None = None,
    count: np.ndarray | None = None,
) -> np.ndarray:
    """(D, H) draws of P(rupture within each horizon).

    `arrival` (K,) is the evidence expected to arrive per day (graded weight per day of each
    type); its decayed accumulation over τ days is arrival · hl/ln 2 · (1 − 0.5^(τ/hl)).
    `held` (K,) is the part of today's evidence from states still open; `count` (K,) the
    recent events per day, which makes future arrivals random paths.
    """
    steps, n_steps = _steps(horizons_days, step_days)
    logit, _ = _future_logit(
        alpha, beta, evidence_now, half_lives, n_steps, step_days, arrival, held, count
    )
    return _within(logit, steps)


def series_draws(
    alpha: np.ndarray,
    beta: np.ndarray,
    evidence: np.ndarray,
    half_lives: np.ndarray,
    horizon_days: int,
    step_days: float = 7.0,
    arrival: np.ndarray | None = None,
    held: np.ndarray | None = None,
    count: np.ndarray | None = None,
) -> np.ndarray:
    """(N, D) draws of P(rupture within the horizon) for N evidence states at once — a
    chart's series in one pass. `evidence`, `arrival`, `held` and `count` are (N, K); each
    state gets the arrival paths its own forecast would get, so the chart's last point is
    the headline figure."""
    steps, n_steps = _steps([horizon_days], step_days)
    evidence = np.asarray(evidence, dtype=np.float64)
    alpha, beta = np.asarray(alpha), np.asarray(beta)
    drawn = arrival is not None and count is not None
    out = np.empty((evidence.shape[0], alpha.shape[0]))
    chunk = max(1, SERIES_CHUNK_ELEMENTS // (alpha.shape[0] * n_steps))  # bounds the memory
    for lo in range(0, evidence.shape[0], chunk):
        rates = None if arrival is None or drawn else np.asarray(arrival)[lo : lo + chunk]
        hold = None if held is None else np.asarray(held)[lo : lo + chunk]
        decayed, _ = project_evidence(
            evidence[lo : lo + chunk], half_lives, n_steps, step_days, rates, hold
        )  # (n, K, S)
        logit = alpha[None, :, None] + np.matmul(beta, decayed)  # (n, D, S); BLAS, 3× einsum
        if drawn:
            for i in range(logit.shape[0]):
                logit[i] += _arrival_logit(
                    beta,
                    np.asarray(arrival)[lo + i],
                    np.asarray(count)[lo + i],
                    half_lives,
                    n_steps,
                    step_days,
                )
        out[lo : lo + chunk] = _within(logit, steps)[:, :, 0]
    return out


def mean_without(
    alpha: np.ndarray,
    beta: np.ndarray,
    evidence_now: np.ndarray,
    half_lives: np.ndarray,
    horizon_days: int,
    amounts: np.ndarray,
    step_days: float = 7.0,
    arrival: np.ndarray | None = None,
    held: np.ndarray | None = None,
    holds: np.ndarray | None = None,
    count: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """(mean P(rupture within the horizon), the same mean with each of E events' evidence
    taken out of today's) — every event driver in one vectorised pass. `amounts` (E, K) is
    each event's evidence by column (an event counts in its type's column and in the
    activity column); `holds` (E, K) marks the amounts that are open states.

    Taking amount c out of column k lowers step s's log-odds by beta_k · c · decay_k(s) (an
    open state's amount is held: its decay is 1 at every step).
    """
    steps, n_steps = _steps([horizon_days], step_days)
    logit, keep = _future_logit(
        alpha, beta, evidence_now, half_lives, n_steps, step_days, arrival, held, count
    )
    base = float(_within(logit, steps).mean())
    amounts = np.asarray(amounts, dtype=np.float64).reshape(-1, len(half_lives))
    if amounts.shape[0] == 0:
        return base, np.zeros(0)
    amounts = np.minimum(amounts, np.asarray(evidence_now)[None, :])
    decay = np.broadcast_to(keep, (amounts.shape[0], *keep.shape))  # (E, K, S)
    if holds is not None:
        decay = np.where(np.asarray(holds, dtype=bool)[:, :, None], 1.0, decay)
    # (E, D, S): each event's amounts, decayed, through every draw's beta — a batched
    # product (einsum over the three operands took 20 times as long)
    shift = np.matmul(np.asarray(beta), amounts[:, :, None] * decay)
    without = _within(logit[None, :, :] - shift, steps)  # (E, D, 1)
    return base, without.mean(axis=(1, 2))


def summarise(draws: np.ndarray, horizons_days: Sequence[int]) -> list[HorizonForecast]:
    means = draws.mean(axis=0)
    q05, q95 = np.quantile(draws, [0.05, 0.95], axis=0)
    return [
        HorizonForecast(
            horizon_days=int(h),
            mean=float(m),
            q05=float(lo),
            q95=float(hi),
            phrase=phrase(float(m)),
            phrase_uncertain=band_span(float(lo), float(hi)) > 1,
        )
        for h, m, lo, hi in zip(horizons_days, means, q05, q95, strict=True)
    ]


def forecast_pair(
    alpha: np.ndarray,
    beta: np.ndarray,
    evidence_now: np.ndarray,
    half_lives: np.ndarray,
    horizons_days: Sequence[int],
    step_days: float = 7.0,
    arrival: np.ndarray | None = None,
    held: np.ndarray | None = None,
    count: np.ndarray | None = None,
) -> list[HorizonForecast]:
    """Mean, 90% interval and ICD 203 phrase per horizon."""
    draws = horizon_draws(
        alpha, beta, evidence_now, half_lives, horizons_days, step_days, arrival, held, count
    )
    return summarise(draws, horizons_days)


def type_contributions(
    beta: np.ndarray, evidence_now: np.ndarray, type_keys: Sequence[str]
) -> list[tuple[str, float, float | None]]:
    """(type, posterior-mean log-odds contribution now, share of the total magnitude); the
    share is None when the total is too small to split (a share of nothing misleads)."""
    contributions = np.asarray(beta).mean(axis=0) * np.asarray(evidence_now)
    total = float(np.abs(contributions).sum())
    return [
        (key, float(c), float(abs(c) / total) if total >= MIN_SHARE_TOTAL else None)
        for key, c in zip(type_keys, contributions, strict=True)
    ]
