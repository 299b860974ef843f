"""Cheap reference functions that regressors divide the truth by, named per provider.

A good reference carries the function's peaks and scale, so that the ratio truth/reference
is smooth and spans little range (Bishara, Paul & Dy, "High-precision regressors for particle
physics", eq. 4: the ratio to a correlated, inexpensive function).

- ``gl3`` (integral-value providers ``<integral>/integral``): a 3^k-node Gauss–Legendre
  estimate of the integral itself.
- ``antenna`` (e⁺e⁻ → q q̄ + n gluons; legs e⁺, e⁻, q, q̄, g₁…gₙ, momenta flattened):
  Σ_σ s_qq̄ / (s_{q σ1} s_{σ1 σ2} ⋯ s_{σn q̄}) over gluon orderings σ — the leading-colour
  soft/collinear poles of |M|² (the Parke–Taylor denominators, Mangano & Parke, Phys. Rep.
  200 (1991) 301), with |M|²'s dimension GeV^(−2n).
- ``antenna-q2``: the same with Q² = s_{e⁺e⁻} in place of s_qq̄. s_qq̄ vanishes where q ∥ q̄
  recoil against hard gluons, a region where |M|² stays finite; there ``antenna`` → 0 and the
  ratio |M|²/antenna grows without bound (ee4j at y_min = 10⁻³: std of log ratio 1.27 with
  s_qq̄, 0.76 with Q²; 1.86 for |M|² itself).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import permutations

import numpy as np
from array_api_compat import array_namespace, is_torch_array

Reference = Callable[[np.ndarray], np.ndarray]


def _gl3(provider: str) -> Reference:
    from hepemu.physics.integrals.quadrature import integrate_gauss_legendre
    from hepemu.physics.integrals.registry import get_integral

    if not provider.endswith("/integral"):
        raise ValueError(f"reference gl3 needs an integral-value provider, not {provider!r}")
    integral = get_integral(provider.removesuffix("/integral"))
    return lambda s: integrate_gauss_legendre(integral, s, integral.dim, 3)


def _pair(p: np.ndarray, i: int, j: int) -> np.ndarray:
    """s_ij = 2 p_i·p_j for massless momenta p (N, legs, 4)."""
    a, b = p[:, i], p[:, j]
    return 2.0 * (a[:, 0] * b[:, 0] - array_namespace(p).sum(a[:, 1:] * b[:, 1:], axis=1))


def antenna(inputs: np.ndarray) -> np.ndarray:
    """Σ over gluon orderings of s_qq̄ / (s_{q g_σ1} ⋯ s_{g_σn q̄}) (see module docstring)."""
    return _antenna(inputs, numerator="qqbar")


def antenna_q2(inputs: np.ndarray) -> np.ndarray:
    """Σ over gluon orderings of Q² / (s_{q g_σ1} ⋯ s_{g_σn q̄}) (see module docstring)."""
    return _antenna(inputs, numerator="q2")


def _antenna(inputs: np.ndarray, numerator: str) -> np.ndarray:
    x = inputs if is_torch_array(inputs) else np.asarray(inputs, dtype=float)
    xp = array_namespace(x)
    legs = x.shape[1] // 4
    n = legs - 4
    if x.shape[1] % 4 or n < 1:
        raise ValueError(
            f"reference antenna needs e+ e- q qbar + n >= 1 gluon momenta, got {x.shape[1]} columns"
        )
    p = xp.reshape(x, (x.shape[0], legs, 4))
    q, qb, gluons = 2, 3, list(range(4, legs))
    total = 0.0
    for order in permutations(gluons):
        chain = [q, *order, qb]
        den = 1.0
        for a, b in zip(chain[:-1], chain[1:], strict=True):
            den = den * _pair(p, a, b)
        total = total + 1.0 / den
    return total * (_pair(p, q, qb) if numerator == "qqbar" else _pair(p, 0, 1))


def get_reference(name: str, provider: str) -> Reference:
    """The reference function ``name`` for data made by ``provider``."""
    if name == "gl3":
        return _gl3(provider)
    if name == "antenna":
        return antenna
    if name == "antenna-q2":
        return antenna_q2
    raise ValueError(f"unknown reference function {name!r}; known: gl3, antenna, antenna-q2")
