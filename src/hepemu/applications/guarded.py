"""Guarded evaluation: the surrogate where it is sure and on home ground, the truth elsewhere.

A point gets the surrogate's value when its relative uncertainty σ/|mean| is below a
threshold and it lies inside the region the surrogate was trained on; otherwise the true
function is called (uncertainty-gated surrogates: arXiv:2512.11036). The wrapper answers
``predict(x) -> (mean, sigma)`` like any surrogate (σ = 0 where the truth was used) and counts
the fallbacks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def unsure(mean: np.ndarray, sigma: np.ndarray, max_rel_sigma: float) -> np.ndarray:
    """Rows where the surrogate is not sure enough: σ ≥ T·|mean| with T = ``max_rel_sigma``,
    or σ or the mean not finite (T = 0: every row; T = ∞: only those and a mean of 0)."""
    mean, sigma = np.asarray(mean, dtype=float), np.asarray(sigma, dtype=float)
    return ~((np.abs(sigma) < max_rel_sigma * np.abs(mean)) & np.isfinite(mean))


class GuardedSurrogate:
    """Parameters
    ----------
    surrogate
        Anything with ``predict(x) -> (mean, sigma)``.
    truth
        The true function ``truth(x) -> y`` on the same inputs.
    max_rel_sigma
        The surrogate is used where σ/|mean| is below it (:func:`unsure`).
    outside
        Optional ``outside(x) -> bool mask`` of points outside the trained region.
    """

    def __init__(
        self,
        surrogate,
        truth: Callable[[np.ndarray], np.ndarray],
        max_rel_sigma: float,
        outside: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        if not max_rel_sigma > 0:
            raise ValueError(f"max_rel_sigma must be positive, got {max_rel_sigma}")
        self.surrogate, self.truth = surrogate, truth
        self.max_rel_sigma, self.outside = float(max_rel_sigma), outside
        self.calls = self.fallbacks = self.fallbacks_region = 0

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=float)
        mean, sigma = self.surrogate.predict(x)
        mean, sigma = np.array(mean, dtype=float), np.array(sigma, dtype=float)
        away = np.zeros(len(x), dtype=bool) if self.outside is None else self.outside(x)
        fall = unsure(mean, sigma, self.max_rel_sigma) | away  # NaN σ: unsure
        if fall.any():
            mean[fall] = self.truth(x[fall])
            sigma[fall] = 0.0
        self.calls += len(x)
        self.fallbacks += int(fall.sum())
        self.fallbacks_region += int(away.sum())
        return mean, sigma

    @property
    def fallback_fraction(self) -> float:
        return self.fallbacks / max(self.calls, 1)

    def report(self) -> dict:
        return {
            "calls": self.calls,
            "fallbacks": self.fallbacks,
            "fallback_fraction": self.fallback_fraction,
            "outside_region": self.fallbacks_region,
            "max_rel_sigma": self.max_rel_sigma,
        }
