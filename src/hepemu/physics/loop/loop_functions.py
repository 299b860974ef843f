"""The one-loop functions L₀, L₁, L₂, Ls₋₁ and Ls₁ of Bern, Dixon & Kosower, vectorised.

Definitions: Bern, Dixon & Kosower, Nucl. Phys. B437 (1995) 259 [hep-ph/9409393], sec. 4
(also the PRL hep-ph/9302280): with r = s/t,
L₀(r) = ln r/(1 − r), L₁(r) = (L₀(r) + 1)/(1 − r), L₂(r) = (ln r − (r − 1/r)/2)/(1 − r)³,
Ls₋₁(r₁, r₂) = Li₂(1 − r₁) + Li₂(1 − r₂) + ln r₁ ln r₂ − π²/6,
Ls₁(r₁, r₂) = [Ls₋₁(r₁, r₂)/(1 − r₁ − r₂) + L₀(r₁) + L₀(r₂)]/(1 − r₁ − r₂).
Every invariant carries −i0: ln r = ln(−s − i0) − ln(−t − i0) (the arguments are the
invariants s, t themselves, not −s, −t); every function takes r and ln r (:func:`ratio`).
Near r = 1 (where the closed forms cancel to
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


def ratio(s: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """r = s/t and ln r = ln(−s − i0) − ln(−t − i0): the arguments of every function here."""
    return s / t, log_minus(s) - log_minus(t)


def _series(x: np.ndarray, coefficient) -> np.ndarray:
    """Σ_{n<_TERMS} c(n) xⁿ by Horner's rule (x real)."""
    out = np.zeros_like(x)
    for n in range(_TERMS - 1, -1, -1):
        out = out * x + coefficient(n)
    return out


def _patched(exact: np.ndarray, x: np.ndarray, near: np.ndarray, coefficient) -> np.ndarray:
    """``exact`` with the entries where ``near`` replaced by the series in x."""
    if np.any(near):
        exact[near] = _series(x[near], coefficient)
    return exact


def l0(r: np.ndarray, lnr: np.ndarray) -> np.ndarray:
    """L₀(r) = ln r/(1 − r); series −Σ xⁿ/(n+1), x = 1 − r, near r = 1."""
    x = 1.0 - r
    near = np.abs(x) < SERIES_RADIUS
    exact = lnr / np.where(near, 1.0, x)
    return _patched(exact, x, near, lambda n: -1.0 / (n + 1))


def l1(r: np.ndarray, lnr: np.ndarray) -> np.ndarray:
    """L₁(r) = (L₀ + 1)/(1 − r); series −Σ xⁿ/(n+2) near r = 1."""
    x = 1.0 - r
    near = np.abs(x) < SERIES_RADIUS
    inv = 1.0 / np.where(near, 1.0, x)
    exact = (lnr * inv + 1.0) * inv
    return _patched(exact, x, near, lambda n: -1.0 / (n + 2))


def l2(r: np.ndarray, lnr: np.ndarray) -> np.ndarray:
    """L₂(r) = (ln r − (r − 1/r)/2)/(1 − r)³; series Σ (½ − 1/(n+3)) xⁿ near r = 1."""
    x = 1.0 - r
    near = np.abs(x) < SERIES_RADIUS
    xs = np.where(near, 1.0, x)
    exact = (lnr - 0.5 * (r - 1.0 / r)) / (xs * xs * xs)
    return _patched(exact, x, near, lambda n: 0.5 - 1.0 / (n + 3))


def li2_one_minus(r: np.ndarray, lnr: np.ndarray) -> np.ndarray:
    """Li₂(1 − r) for r = (−s − i0)/(−t − i0) (ln r given), continued through r < 0.

    scipy's ``spence(z)`` is ∫₁ᶻ ln w/(1 − w) dw = Li₂(1 − z) for real z ≥ 0. For r < 0 the
    reflection Li₂(1 − r) = π²/6 − Li₂(r) − ln r ln(1 − r) holds with the continued ln r,
    and Li₂(r) = spence(1 − r) is real (1 − r > 1).
    """
    positive = r > 0
    li = spence(np.where(positive, r, 1.0 - r))
    reflected = PI2_6 - li - lnr * np.log(np.where(positive, 1.0, 1.0 - r))
    return np.where(positive, li, reflected)


def ls_minus1(r1, lnr1, r2, lnr2) -> np.ndarray:
    """Ls₋₁(r₁, r₂) = Li₂(1 − r₁) + Li₂(1 − r₂) + ln r₁ ln r₂ − π²/6."""
    return li2_one_minus(r1, lnr1) + li2_one_minus(r2, lnr2) + lnr1 * lnr2 - PI2_6


def ls1(r1, lnr1, r2, lnr2) -> np.ndarray:
    """Ls₁(r₁, r₂) = [Ls₋₁/(1 − r₁ − r₂) + L₀(r₁) + L₀(r₂)]/(1 − r₁ − r₂).

    Where u = 1 − r₁ − r₂ is small against r₁ and 1 − r₁ (a near-collinear pair: the closed
    form cancels to O(u²)), the Taylor series in u at fixed r₁ (:func:`_ls1_series`).
    """
    u = 1.0 - r1 - r2
    near = np.abs(u) < LS1_SERIES_RADIUS * np.minimum(np.abs(r1), np.abs(1.0 - r1))
    inv = 1.0 / np.where(near, 1.0, u)
    out = (ls_minus1(r1, lnr1, r2, lnr2) * inv + l0(r1, lnr1) + l0(r2, lnr2)) * inv
    if np.any(near):
        out[near] = _ls1_series(r1[near], lnr1[near], r2[near], lnr2[near])
    return out


LS1_SERIES_RADIUS = 0.05  # |u| below this × min(|r₁|, |1 − r₁|): Ls₁ from its series
_LS1_TERMS = 14  # 0.05¹⁴ < 1e-18


def _ls1_series(r1, lnr1, r2, lnr2) -> np.ndarray:
    """Ls₁ = Σ_m c_m (−u)^m, u = 1 − r₁ − r₂, expanded about r₂ = a = 1 − r₁ (b = r₁).

    With f(y) = Li₂(1 − r₁) + Li₂(1 − y) + ln r₁ ln y − π²/6 (f(a) = 0, f′(y) = L₀(y) + ln r₁/y)
    and T_k the Taylor coefficients of L₀ at a: c_m = −(m+1)/(m+2) T_{m+1} −
    (−1)^m ln r₁/((m+2) a^{m+2}); T_k = ln a/b^{k+1} + Σ_{j=1..k} (−1)^{j+1}/(j a^j b^{k−j+1})
    (ln(a + h) times 1/(b − h)). ln a = ln r₂ + ln(1 + u/r₂) continues ln r₂.
    """
    b = r1
    a = 1.0 - r1
    u = a - r2
    ln_a = lnr2 + np.log1p(u / r2)
    t_k = ln_a / b  # T₀; then T_k = (T_{k−1} + ℓ_k)/b, ℓ_k = (−1)^{k+1}/(k a^k)
    a_inv = 1.0 / a
    a_pow = a_inv * a_inv  # 1/a^{m+2}
    ell = -np.ones_like(a)  # (−1)^{k+1}/a^k, k = 0 … (ℓ_k = ell/k for k ≥ 1)
    total = np.zeros_like(lnr1)
    term = np.ones_like(u)  # (−u)^m
    for m in range(_LS1_TERMS):
        k = m + 1
        ell = -ell * a_inv
        t_k = (t_k + ell / k) / b
        total = total + (-(m + 1) / (m + 2) * t_k - (-1.0) ** m * lnr1 * a_pow / (m + 2)) * term
        term = term * (-u)
        a_pow = a_pow * a_inv
    return total
