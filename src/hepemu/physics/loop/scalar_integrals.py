"""Massless one-loop scalar integrals as Laurent series in ε, vectorised over points.

Normalisation (Ellis & Zanderighi, JHEP 02 (2008) 002, eq. (2.1), μ = 1):
I_n = ∫ dᴰl / (iπ^{D/2} r_Γ) 1/(d₁⋯d_n), d_i = (l + q_i)² + i0, D = 4 − 2ε; every function
returns (..., 3) complex arrays of the coefficients of 1/ε², 1/ε, ε⁰, with L_x = ln(−x − i0).
Rational integrals of μ² (the (−2ε)-dimensional part of l) in the limit D → 4 follow from
I_n[μ^{2r}] = −ε(1−ε)⋯(r−1−ε) I_n^{D+2r} (Bern & Morgan, Nucl. Phys. B467 (1996) 479).
"""

from __future__ import annotations

import numpy as np
from scipy.special import spence

# ∫ μ² I₂(s) → −s/6, ∫ μ² I₃ → +1/2, ∫ μ⁴ I₄ → −1/6 in this normalisation (d_i without sign)
MU2_BUBBLE_PER_S = -1.0 / 6.0
MU2_TRIANGLE = 0.5
MU4_BOX = -1.0 / 6.0


def log_minus(x) -> np.ndarray:
    """L_x = ln(−x − i0) for real x."""
    x = np.asarray(x, dtype=float)
    return np.log(np.abs(x)) - 1j * np.pi * (x > 0)


def li2_one_minus_ratio(x, y) -> np.ndarray:
    """Li₂(1 − r), r = (−x − i0)/(−y − i0), continued with ln r = L_x − L_y."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    r = x / y
    ln_r = log_minus(x) - log_minus(y)
    positive = spence(np.where(r > 0, r, 1.0)).astype(complex)  # scipy: spence(z) = Li₂(1 − z)
    rn = np.where(r < 0, r, -1.0)
    negative = np.pi**2 / 6 - spence(1 - rn) - ln_r * np.log(1 - rn)
    return np.where(r > 0, positive, negative)


def _series(c2, c1, c0) -> np.ndarray:
    c2, c1, c0 = np.broadcast_arrays(*(np.asarray(c, dtype=complex) for c in (c2, c1, c0)))
    return np.stack([c2, c1, c0], axis=-1)


def bubble(s) -> np.ndarray:
    """I₂(s) = 1/ε + 2 − L_s (ibid. eq. (4.3) at m = 0)."""
    return _series(0.0, 1.0, 2.0 - log_minus(s))


def triangle(s2, s3) -> np.ndarray:
    """I₃ with one massless leg and legs of mass² s2, s3 (either may be 0, not both).

    One mass: (−s)^{−ε}/(ε² s); two masses: [(−s₂)^{−ε} − (−s₃)^{−ε}] / (ε² (s₂ − s₃))
    (ibid. triangles 2 and 3).
    """
    s2, s3 = np.asarray(s2, dtype=float), np.asarray(s3, dtype=float)
    one = (s2 == 0) | (s3 == 0)
    s = np.where(s2 == 0, s3, s2)
    s_safe = np.where(one, s, 1.0)
    l1 = log_minus(s_safe)
    one_mass = _series(1 / s_safe, -l1 / s_safe, l1**2 / (2 * s_safe))
    d = np.where(one, 1.0, s2 - s3)
    l2, l3 = log_minus(np.where(one, 1.0, s2)), log_minus(np.where(one, 2.0, s3))
    two_mass = _series(0.0, -(l2 - l3) / d, (l2**2 - l3**2) / (2 * d))
    return np.where(one[..., None], one_mass, two_mass)


def box(s, t, m2) -> np.ndarray:
    """Massless box with adjacent-channel invariants s, t and at most one leg of mass² m2.

    (ibid. boxes 1 and 6): 1/(st) {2/ε² [(−s)^{−ε} + (−t)^{−ε} − (−m²)^{−ε}] − 2Li₂(1 − m²/s)
    − 2Li₂(1 − m²/t) − ln²(s/t) − π²/3}, and for m² = 0 {… (no m² terms) − ln²(s/t) − π²}.
    """
    s, t, m2 = (np.asarray(v, dtype=float) for v in (s, t, m2))
    ls, lt = log_minus(s), log_minus(t)
    massless = m2 == 0
    mm = np.where(massless, -1.0, m2)
    lm = log_minus(mm)
    st = s * t
    c2 = np.where(massless, 4.0, 2.0) / st
    c1 = -2 * (ls + lt - np.where(massless, 0.0, lm)) / st
    zero = 2 * ls * lt - np.pi**2
    one = (
        ls**2
        + lt**2
        - lm**2
        - 2 * li2_one_minus_ratio(mm, s)
        - 2 * li2_one_minus_ratio(mm, t)
        - (ls - lt) ** 2
        - np.pi**2 / 3
    )
    return _series(c2, c1, np.where(massless, zero, one) / st)
