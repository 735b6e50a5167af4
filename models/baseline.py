"""A scikit-learn baseline on the same features: the bar the Bayesian model must clear."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from models.forecast import project_evidence


class LogisticBaseline(ClassifierMixin, BaseEstimator):
    """Weekly hazard by L2 logistic regression on the evidence; horizons by compounding.

    Fitted on the same pair-steps at risk as the hazard model (no pooling, no priors), so
    the comparison isolates what the Bayesian structure adds.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 1000) -> None:
        self.C = C
        self.max_iter = max_iter

    constant_: float | None
    model_: LogisticRegression | None

    def fit(self, X: np.ndarray, y: np.ndarray) -> LogisticBaseline:
        y = np.asarray(y)
        self.classes_ = np.array([0, 1])
        if y.min() == y.max():  # one class only: the base rate is all there is to learn
            self.constant_ = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
            self.model_ = None
        else:
            self.constant_ = None
            self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(X, y)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "classes_")
        X = np.asarray(X)
        if self.model_ is None:
            p = np.full(X.shape[0], self.constant_)
        else:
            p = self.model_.predict_proba(X)[:, 1]
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def horizon_probability(
        self,
        evidence_now: np.ndarray,
        half_lives: np.ndarray,
        horizon_days: float,
        step_days: float = 7.0,
        arrival: np.ndarray | None = None,
        held: np.ndarray | None = None,
    ) -> np.ndarray:
        """P(rupture within the horizon) for rows of current evidence, projected forward
        exactly as the hazard model projects it (decay, held states, expected arrivals)."""
        steps = int(np.ceil(horizon_days / step_days))
        projected, _ = project_evidence(evidence_now, half_lives, steps, step_days, arrival, held)
        survive = np.ones(evidence_now.shape[0])
        for s in range(steps):
            survive *= 1 - self.predict_proba(projected[:, :, s])[:, 1]
        return 1 - survive
