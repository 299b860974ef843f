"""Declared symmetries of a truth: maps of its inputs into a fundamental domain.

A regressor of a function invariant under a map learns it only on the fundamental domain when
its inputs are canonicalised first (Bishara, Paul & Dy, "High-precision regressors for
particle physics", "Symmetry properties": fewer regressors, less data).

- ``beam-azimuth`` (e⁺e⁻ momenta flattened, e⁺ and e⁻ along z): a rotation about the beam
  axis that puts the quark (leg 3) at azimuth 0; spin-summed |M|² with unpolarised beams is
  invariant under it.
- ``gluon-order`` (legs e⁺, e⁻, q, q̄, g₁…gₙ): gluons sorted by decreasing energy; |M|² is
  symmetric under their exchange (Bose symmetry, colour summed).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Canonicaliser = Callable[[np.ndarray], np.ndarray]


def _legs(x: np.ndarray, need: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.shape[1] % 4 or x.shape[1] // 4 < need:
        raise ValueError(f"expected flattened momenta of >= {need} legs, got {x.shape[1]} columns")
    return x.reshape(len(x), -1, 4)


def beam_azimuth(x: np.ndarray) -> np.ndarray:
    """Rotate every event about z so that leg 3 (the quark) has p_y = 0, p_x ≥ 0."""
    p = _legs(x, 3).copy()
    phi = np.arctan2(p[:, 2, 2], p[:, 2, 1])
    c, s = np.cos(phi)[:, None], np.sin(phi)[:, None]
    px, py = p[:, :, 1].copy(), p[:, :, 2].copy()
    p[:, :, 1] = c * px + s * py
    p[:, :, 2] = -s * px + c * py
    return p.reshape(len(p), -1)


def gluon_order(x: np.ndarray) -> np.ndarray:
    """Sort the gluons (legs 5…) by decreasing energy."""
    p = _legs(x, 5)
    order = np.argsort(-p[:, 4:, 0], axis=1, kind="stable")
    g = np.take_along_axis(p[:, 4:], order[:, :, None], axis=1)
    return np.concatenate([p[:, :4], g], axis=1).reshape(len(p), -1)


CANONICALISERS: dict[str, Canonicaliser] = {
    "beam-azimuth": beam_azimuth,
    "gluon-order": gluon_order,
}


def get_canonicaliser(name: str) -> Canonicaliser:
    if name not in CANONICALISERS:
        raise ValueError(f"unknown symmetry {name!r}; known: {', '.join(CANONICALISERS)}")
    return CANONICALISERS[name]
