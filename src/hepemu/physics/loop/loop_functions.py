"""The one-loop functions L₀, L₁, L₂, Ls₋₁ and Ls₁ of Bern, Dixon & Kosower, vectorised.

Definitions: Bern, Dixon & Kosower, Nucl. Phys. B437 (1995) 259 [hep-ph/9409393], sec. 4
(also the PRL hep-ph/9302280): with r = s/t,
L₀(r) = ln r/(1 − r), L₁(r) = (L₀(r) + 1)/(1 − r), L₂(r) = (ln r − (r − 1/r)/2)/(1 − r)³,
Ls₋₁(r₁, r₂) = Li₂(1 − r₁) + Li₂(1 − r₂) + ln r₁ ln r₂ − π²/6,
Ls₁(r₁, r₂) = [Ls₋₁(r₁, r₂)/(1 − r₁ − r₂) + L₀(r₁) + L₀(r₂)]/(1 − r₁ − r₂).
Every invariant carries −i0: ln r = ln(−s − i0) − ln(−t − i0) (the arguments are the
invariants s, t themselves, not −s, −t). Near r = 1 (where the closed forms cancel to
O(1 − r)ⁿ) L₀, L₁ and L₂ are evaluated from their Taylor series.
"""

from __future__ import annotations

import numpy as np
from scipy.special import spence

PI2_6 = np.pi**2 / 6
SERIES_RADIUS = 0.05  # |1 − r| below which L₀, L₁, L₂ come from their series (25 terms)
_TERMS = 25


def log_minus(x: np.ndarray) -> np.ndarray:
    """ln(−x − i0) for real x: ln|x| − iπ θ(x)."""
    x = np.asarray(x, dtype=float)
    return np.log(np.abs(x)) - 1j * np.pi * (x > 0)


def log_ratio(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """ln((−s − i0)/(−t − i0)) = ln(−s − i0) − ln(−t − i0)."""
    return log_minus(s) - log_minus(t)


def _series(x: np.ndarray, coefficient) -> np.ndarray:
    """Σ_{n<_TERMS} c(n) xⁿ by Horner's rule."""
    out = np.zeros_like(x)
    for n in range(_TERMS - 1, -1, -1):
        out = out * x + coefficient(n)
    return out


def _near_one(s: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """r = s/t, x = 1 − r (real) and the mask |x| < SERIES_RADIUS (where r > 0: ln r is real)."""
    r = s / t
    x = 1.0 - r
    return r, x, np.abs(x) < SERIES_RADIUS


def l0(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """L₀(s/t) = ln r/(1 − r); series −Σ xⁿ/(n+1), x = 1 − r, near r = 1."""
    _, x, near = _near_one(s, t)
    exact = log_ratio(s, t) / np.where(near, 1.0, x)
    return np.where(near, _series(x, lambda n: -1.0 / (n + 1)), exact)


def l1(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """L₁(s/t) = (L₀ + 1)/(1 − r); series −Σ xⁿ/(n+2) near r = 1."""
    _, x, near = _near_one(s, t)
    xs = np.where(near, 1.0, x)
    exact = (log_ratio(s, t) / xs + 1.0) / xs
    return np.where(near, _series(x, lambda n: -1.0 / (n + 2)), exact)


def l2(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """L₂(s/t) = (ln r − (r − 1/r)/2)/(1 − r)³; series Σ (½ − 1/(n+3)) xⁿ near r = 1."""
    r, x, near = _near_one(s, t)
    xs = np.where(near, 1.0, x)
    rs = np.where(near, 2.0, r)
    exact = (log_ratio(s, t) - 0.5 * (rs - 1.0 / rs)) / xs**3
    return np.where(near, _series(x, lambda n: 0.5 - 1.0 / (n + 3)), exact)


def li2_one_minus(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Li₂(1 − r), r = (−s − i0)/(−t − i0), continued through r < 0.

    scipy's ``spence(z)`` is ∫₁ᶻ ln w/(1 − w) dw = Li₂(1 − z) for real z ≥ 0. For r < 0 the
    reflection Li₂(1 − r) = π²/6 − Li₂(r) − ln r ln(1 − r) holds with the continued ln r,
    and Li₂(r) = spence(1 − r) is real (1 − r > 1).
    """
    r = s / t
    positive = r > 0
    direct = spence(np.where(positive, r, 1.0))
    rn = np.where(positive, -1.0, r)
    reflected = PI2_6 - spence(1.0 - rn) - log_ratio(s, t) * np.log(1.0 - rn)
    return np.where(positive, direct + 0j, reflected)


def ls_minus1(s1, t1, s2, t2) -> np.ndarray:
    """Ls₋₁(s₁/t₁, s₂/t₂) = Li₂(1 − r₁) + Li₂(1 − r₂) + ln r₁ ln r₂ − π²/6."""
    return (
        li2_one_minus(s1, t1)
        + li2_one_minus(s2, t2)
        + log_ratio(s1, t1) * log_ratio(s2, t2)
        - PI2_6
    )


def ls1(s1, t1, s2, t2) -> np.ndarray:
    """Ls₁(r₁, r₂) = [Ls₋₁/(1 − r₁ − r₂) + L₀(r₁) + L₀(r₂)]/(1 − r₁ − r₂)."""
    u = 1.0 - s1 / t1 - s2 / t2
    return (ls_minus1(s1, t1, s2, t2) / u + l0(s1, t1) + l0(s2, t2)) / u
