"""Correct digits of an estimate e against a truth t: the one formula every layer uses.

P = log10|e/t − 1| (INN thesis eq. 5.1; Maître & Santos-Mateos, arXiv:2211.02834), with
|e/t − 1| floored at 1e-17 so that an exact match counts as 17 digits, not infinitely many;
digits = −P. NumPy only (no torch), so training, evaluation and the benchmarks share it;
``hepemu.evaluation.metrics`` re-exports it.
"""

from __future__ import annotations

import numpy as np

FLOOR = 1e-17  # |e/t − 1| below this counts as this (float64 resolves ~1e-16)


def digits_from_delta(delta: np.ndarray) -> np.ndarray:
    """Correct digits −log10|δ| per point of relative errors δ = e/t − 1 (|δ| floored)."""
    return -np.log10(np.maximum(np.abs(np.asarray(delta)), FLOOR))


def p_values(est: np.ndarray, true: np.ndarray) -> np.ndarray:
    """P = log10|e/t − 1| per point; −P is the number of correct digits."""
    return -digits_from_delta(np.asarray(est) / np.asarray(true) - 1.0)


def digits(est: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Correct digits −P = −log10|e/t − 1| per point."""
    return digits_from_delta(np.asarray(est) / np.asarray(true) - 1.0)


def mean_digits(est: np.ndarray, true: np.ndarray) -> float:
    """Mean correct digits −⟨P⟩ over the points."""
    return float(digits(est, true).mean())
