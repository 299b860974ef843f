"""Precision metrics for surrogate integrals (Maître & Santos-Mateos arXiv:2211.02834;
INN thesis eqs. 5.1–5.2): P = log10|e/t − 1|, R = log10|e/t|, and log10(σ/|e − t|)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# the one digits formula lives below the training layer, which needs it too
from hepemu.digits import FLOOR, digits, digits_from_delta, mean_digits, p_values

__all__ = [
    "FLOOR",
    "PrecisionSummary",
    "boundary_mask",
    "digits",
    "digits_from_delta",
    "error_honesty",
    "mean_digits",
    "p_values",
    "r_values",
    "summarise",
]


def r_values(est: np.ndarray, true: np.ndarray) -> np.ndarray:
    """R = log10|e/t| per point (centred on 0 when unbiased)."""
    return np.log10(np.abs(np.asarray(est) / np.asarray(true)))


def error_honesty(est: np.ndarray, sigma: np.ndarray, true: np.ndarray) -> np.ndarray:
    """log10(σ/|e − t|): positive where the quoted error covers the true one."""
    diff = np.maximum(np.abs(np.asarray(est) - np.asarray(true)), FLOOR)
    return np.log10(np.maximum(np.asarray(sigma), FLOOR) / diff)


def boundary_mask(s_scaled: np.ndarray, width: float = 0.05) -> np.ndarray:
    """Points within ``width`` (fraction of the full range) of the region's boundary.

    ``s_scaled`` lies in [−1, 1]^m; a point is in the boundary layer when any coordinate is
    within 2·width of ±1.
    """
    return np.any(np.abs(np.asarray(s_scaled)) > 1.0 - 2.0 * width, axis=1)


@dataclass
class PrecisionSummary:
    """Headline numbers of a surrogate on a reference set."""

    n_points: int
    mean_digits: float
    median_digits: float
    worst_digits: float
    frac_above_3_digits: float
    mean_digits_boundary: float
    n_boundary: int
    mean_r: float
    std_r: float
    frac_error_covered: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(
    est: np.ndarray,
    true: np.ndarray,
    s_scaled: np.ndarray,
    sigma: np.ndarray | None = None,
    boundary_width: float = 0.05,
) -> PrecisionSummary:
    """Mean/median/worst digits overall and on the boundary layer; R bias; error coverage."""
    p = p_values(est, true)
    r = r_values(est, true)
    bmask = boundary_mask(s_scaled, boundary_width)
    covered = None
    if sigma is not None and np.any(np.asarray(sigma) > 0):
        covered = float(np.mean(np.abs(est - true) <= sigma))
    return PrecisionSummary(
        n_points=len(p),
        mean_digits=float(-p.mean()),
        median_digits=float(-np.median(p)),
        worst_digits=float(-p.max()),
        frac_above_3_digits=float(np.mean(p < -3)),
        mean_digits_boundary=float(-p[bmask].mean()) if bmask.any() else float("nan"),
        n_boundary=int(bmask.sum()),
        mean_r=float(r.mean()),
        std_r=float(r.std()),
        frac_error_covered=covered,
    )
