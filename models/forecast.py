"""The fast path: P(rupture within H days) from posterior draws, with NumPy only.

Per draw, the weekly hazard of future step s is logit⁻¹(alpha + Σ_k beta_k · E_k(s)), where
E_k(s) is today's evidence decayed to the start of step s plus the evidence expected from
new events arriving at the pair's recent rate (assuming none would bias active pairs low), and
P(within H) = 1 − Π_s (1 − h_s), the last partial step counted as (1 − h)^fraction. Every
factor is ≤ 1, so P never decreases with H — for every draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.phrases import band_span, phrase

SERIES_CHUNK_ELEMENTS = 2_000_000


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
) -> tuple[np.ndarray, np.ndarray]:
    """((..., K, S) evidence at the start of each of the next `n_steps` steps, (K, S) decay
    of today's evidence to those starts), for (..., K) evidence today and arrivals per day:
    today's decays, and the expected arrivals accumulate as arrival · hl/ln 2 · (1 − decay).
    The hazard model and the logistic baseline project the same way."""
    ages = np.arange(n_steps) * step_days  # step s starts s·step days from now
    keep = 0.5 ** (ages[None, :] / half_lives[:, None])  # (K, S)
    projected = np.asarray(evidence)[..., :, None] * keep
    if arrival is not None:
        expected = np.asarray(arrival) * half_lives / math.log(2)
        projected = projected + expected[..., :, None] * (1 - keep)
    return projected, keep


def _future_logit(
    alpha: np.ndarray,
    beta: np.ndarray,
    evidence_now: np.ndarray,
    half_lives: np.ndarray,
    n_steps: int,
    step_days: float,
    arrival: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """((D, S) log-odds of the hazard in each future step, (K, S) decay of today's evidence
    to the start of each step)."""
    decayed, keep = project_evidence(evidence_now, half_lives, n_steps, step_days, arrival)
    return np.asarray(alpha)[:, None] + np.asarray(beta) @ decayed, keep


def _within(logit: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(..., S) step log-odds → (..., H) P(rupture within each horizon, in steps)."""
    n_steps = logit.shape[-1]
    log_survive = -np.logaddexp(0.0, logit)  # log(1 - h), stable
    zeros = np.zeros((*logit.shape[:-1], 1))
    cum = np.concatenate([zeros, np.cumsum(log_survive, axis=-1)], axis=-1)
    full = np.floor(steps).astype(np.int64)
    frac = steps - full
    partial = np.where(full < n_steps, frac, 0.0) * log_survive[..., np.minimum(full, n_steps - 1)]
    return -np.expm1(cum[..., full] + partial)


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
) -> np.ndarray:
    """(D, H) draws of P(rupture within each horizon).

    `arrival` (K,) is the evidence expected to arrive per day (graded weight per day of each
    type); its decayed accumulation over τ days is arrival · hl/ln 2 · (1 − 0.5^(τ/hl)).
    """
    steps, n_steps = _steps(horizons_days, step_days)
    logit, _ = _future_logit(alpha, beta, evidence_now, half_lives, n_steps, step_days, arrival)
    return _within(logit, steps)


def series_draws(
    alpha: np.ndarray,
    beta: np.ndarray,
    evidence: np.ndarray,
    half_lives: np.ndarray,
    horizon_days: int,
    step_days: float = 7.0,
    arrival: np.ndarray | None = None,
) -> np.ndarray:
    """(N, D) draws of P(rupture within the horizon) for N evidence states at once — a
    chart's series in one pass. `evidence` and `arrival` are (N, K)."""
    steps, n_steps = _steps([horizon_days], step_days)
    evidence = np.asarray(evidence, dtype=np.float64)
    alpha = np.asarray(alpha)
    out = np.empty((evidence.shape[0], alpha.shape[0]))
    chunk = max(1, SERIES_CHUNK_ELEMENTS // (alpha.shape[0] * n_steps))  # bounds the memory
    for lo in range(0, evidence.shape[0], chunk):
        rates = None if arrival is None else np.asarray(arrival)[lo : lo + chunk]
        decayed, _ = project_evidence(
            evidence[lo : lo + chunk], half_lives, n_steps, step_days, rates
        )  # (n, K, S)
        logit = alpha[None, :, None] + np.einsum("dk,nks->nds", beta, decayed)
        out[lo : lo + chunk] = _within(logit, steps)[:, :, 0]
    return out


def mean_without(
    alpha: np.ndarray,
    beta: np.ndarray,
    evidence_now: np.ndarray,
    half_lives: np.ndarray,
    horizon_days: int,
    kinds: np.ndarray,
    amounts: np.ndarray,
    step_days: float = 7.0,
    arrival: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """(mean P(rupture within the horizon), the same mean with each (kind, amount) of
    evidence taken out of today's) — every event driver in one vectorised pass.

    Taking amount c out of type k lowers step s's log-odds by beta_k · c · decay_k(s).
    """
    steps, n_steps = _steps([horizon_days], step_days)
    logit, keep = _future_logit(alpha, beta, evidence_now, half_lives, n_steps, step_days, arrival)
    base = float(_within(logit, steps).mean())
    kinds = np.asarray(kinds, dtype=np.int64)
    if kinds.size == 0:
        return base, np.zeros(0)
    amounts = np.minimum(np.asarray(amounts, dtype=np.float64), np.asarray(evidence_now)[kinds])
    shift = (np.asarray(beta)[:, kinds].T * amounts[:, None])[:, :, None] * keep[kinds][:, None, :]
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
) -> list[HorizonForecast]:
    """Mean, 90% interval and ICD 203 phrase per horizon."""
    draws = horizon_draws(alpha, beta, evidence_now, half_lives, horizons_days, step_days, arrival)
    return summarise(draws, horizons_days)


def type_contributions(
    beta: np.ndarray, evidence_now: np.ndarray, type_keys: Sequence[str]
) -> list[tuple[str, float, float]]:
    """(type, posterior-mean log-odds contribution now, share of the total magnitude)."""
    contributions = np.asarray(beta).mean(axis=0) * np.asarray(evidence_now)
    total = float(np.abs(contributions).sum())
    return [
        (key, float(c), float(abs(c) / total) if total > 0 else 0.0)
        for key, c in zip(type_keys, contributions, strict=True)
    ]
