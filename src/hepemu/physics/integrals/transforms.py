"""Korobov (polynomial) variable transforms of the unit interval.

The order-r Korobov transform has weight w_r(t) = t^r (1−t)^r / B(r+1, r+1) and
x(t) = ∫_0^t w_r, a polynomial of degree 2r+1 (Korobov 1963; r = 1 gives x = t²(3−2t),
w = 6t(1−t): Bentley 2024, INN thesis eq. 2.20). Works on NumPy arrays and torch tensors.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.polynomial import polynomial as P


@cache
def korobov_coefficients(order: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Power-series coefficients (ascending) of x(t) and w(t) for the order-r transform."""
    if order < 0:
        raise ValueError(f"Korobov order must be >= 0, got {order}")
    if order == 0:
        return (0.0, 1.0), (1.0,)
    w = P.polypow([0.0, 1.0, -1.0], order)  # (t − t²)^r
    x = P.polyint(w)
    norm = P.polyval(1.0, x)
    return tuple(x / norm), tuple(w / norm)


def _horner(coeffs: tuple[float, ...], t):
    out = t * 0.0 + coeffs[-1]
    for c in reversed(coeffs[:-1]):
        out = out * t + c
    return out


def korobov(t, order: int = 1):
    """Apply the order-``order`` Korobov transform element-wise.

    Parameters
    ----------
    t
        Points in [0, 1] (NumPy array or torch tensor), any shape.
    order
        Polynomial order r ≥ 0 (0 is the identity).

    Returns
    -------
    x, w
        Transformed points and the Jacobian dx/dt, same shape as ``t``.
    """
    if order == 0:
        return t * 1.0, t * 0.0 + 1.0
    cx, cw = korobov_coefficients(order)
    # x(t) = 1 − x(1 − t), w(t) = w(1 − t): evaluate the polynomials at u = min(t, 1 − t),
    # where their terms are small and Horner's rounding stays relative (near t = 1 the
    # ascending series cancels to ~1e-12 for r = 5, enough to make w < 0 and x non-monotone)
    flip = t > 0.5
    keep = ~flip
    u = (1.0 - t) * flip + t * keep  # multiplying by 0 or 1 and adding 0: exact selection
    xu = _horner(cx, u)
    return (1.0 - xu) * flip + xu * keep, _horner(cw, u)


def transform_integrand(f, order: int = 1):
    """Return ``g(s, t) = f(s, x(t)) Π w(t_i)``, whose integral over t equals that of f over x."""

    def g(s, t):
        x, w = korobov(t, order)
        return f(s, x) * w.prod(-1) if hasattr(w, "dim") else f(s, x) * np.prod(w, axis=-1)

    return g
