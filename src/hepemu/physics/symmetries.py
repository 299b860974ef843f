"""Declared symmetries of a truth: maps of its inputs into a fundamental domain.

A regressor of a function invariant under a map learns it only on the fundamental domain when
its inputs are canonicalised first (Bishara, Paul & Dy, "High-precision regressors for
particle physics", "Symmetry properties": fewer regressors, less data).

- ``beam-azimuth`` (e⁺e⁻ momenta flattened, e⁺ and e⁻ along z): a rotation about the beam
  axis that puts the quark (leg 3) at azimuth 0; spin-summed |M|² with unpolarised beams is
  invariant under it.
- ``gluon-order`` (legs e⁺, e⁻, q, q̄, g₁…gₙ): gluons sorted by decreasing energy; |M|² is
  symmetric under their exchange (Bose symmetry, colour summed).
- ``photon-order+beam-flip`` (legs g₁, g₂ along ±z, γ₁, γ₂, then the rest, e.g. g g → γ γ g):
  the photons sorted by decreasing energy (Bose symmetry) and every event reflected in z so
  that the last leg has p_z ≥ 0 — exchanging the two identical incoming gluons, under which
  the helicity-summed, colour- and spin-averaged |M|² is symmetric (it is also parity
  invariant, so the reflection z → −z is a symmetry): a quarter of the phase space to learn.

Each map takes NumPy arrays or torch tensors (the same map inside an export graph).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from array_api_compat import is_torch_array

Canonicaliser = Callable[[np.ndarray], np.ndarray]


def _legs(x: np.ndarray, need: int) -> np.ndarray:
    """Flattened momenta (N, 4·legs) as (N, legs, 4): NumPy (as float) or torch tensors."""
    if not is_torch_array(x):
        x = np.asarray(x, dtype=float)
    if x.shape[1] % 4 or x.shape[1] // 4 < need:
        raise ValueError(f"expected flattened momenta of >= {need} legs, got {x.shape[1]} columns")
    return x.reshape(x.shape[0], -1, 4)


def beam_azimuth(x: np.ndarray) -> np.ndarray:
    """Rotate every event about z so that leg 3 (the quark) has p_y = 0, p_x ≥ 0."""
    if is_torch_array(x):  # the same map in an export graph
        import torch

        p = _legs(x, 3)
        phi = torch.atan2(p[:, 2, 2], p[:, 2, 1])
        c, s = torch.cos(phi)[:, None], torch.sin(phi)[:, None]
        px, py = p[:, :, 1], p[:, :, 2]
        q = torch.stack([p[:, :, 0], c * px + s * py, -s * px + c * py, p[:, :, 3]], dim=-1)
        return q.reshape(x.shape[0], -1)
    p = _legs(x, 3).copy()
    phi = np.arctan2(p[:, 2, 2], p[:, 2, 1])
    c, s = np.cos(phi)[:, None], np.sin(phi)[:, None]
    px, py = p[:, :, 1].copy(), p[:, :, 2].copy()
    p[:, :, 1] = c * px + s * py
    p[:, :, 2] = -s * px + c * py
    return p.reshape(len(p), -1)


def gluon_order(x: np.ndarray) -> np.ndarray:
    """Sort the gluons (legs 5…) by decreasing energy."""
    if is_torch_array(x):
        import torch

        p = _legs(x, 5)
        e = p[:, 4:, 0]  # top-k, not sort: ONNX has TopK (ties, of measure zero, may differ)
        order = torch.topk(e, e.shape[1], dim=1, largest=True, sorted=True).indices
        g = torch.gather(p[:, 4:], 1, order[:, :, None].expand(-1, -1, 4))
        return torch.cat([p[:, :4], g], dim=1).reshape(x.shape[0], -1)
    p = _legs(x, 5)
    order = np.argsort(-p[:, 4:, 0], axis=1, kind="stable")
    g = np.take_along_axis(p[:, 4:], order[:, :, None], axis=1)
    return np.concatenate([p[:, :4], g], axis=1).reshape(len(p), -1)


def photon_order_beam_flip(x: np.ndarray) -> np.ndarray:
    """Photons (legs 3, 4) by decreasing energy; z → −z where the last leg has p_z < 0."""
    if is_torch_array(x):
        import torch

        p = _legs(x, 5)
        swap = (p[:, 2, 0] < p[:, 3, 0])[:, None]
        a, b = torch.where(swap, p[:, 3], p[:, 2]), torch.where(swap, p[:, 2], p[:, 3])
        p = torch.cat([p[:, :2], a[:, None], b[:, None], p[:, 4:]], dim=1)
        sign = torch.where(p[:, -1, 3] < 0, -1.0, 1.0).to(p.dtype)[:, None]
        out = torch.cat([p[:, 2:, :3], (p[:, 2:, 3] * sign)[..., None]], dim=-1)
        return torch.cat([p[:, :2], out], dim=1).reshape(x.shape[0], -1)
    p = _legs(x, 5).copy()
    swap = p[:, 2, 0] < p[:, 3, 0]
    p[swap, 2:4] = p[swap, 3:1:-1]
    flip = p[:, -1, 3] < 0
    p[flip, 2:, 3] *= -1.0  # the beams stay: their exchange is the reflection
    return p.reshape(len(p), -1)


CANONICALISERS: dict[str, Canonicaliser] = {
    "beam-azimuth": beam_azimuth,
    "gluon-order": gluon_order,
    "photon-order+beam-flip": photon_order_beam_flip,
}


def get_canonicaliser(name: str) -> Canonicaliser:
    if name not in CANONICALISERS:
        raise ValueError(f"unknown symmetry {name!r}; known: {', '.join(CANONICALISERS)}")
    return CANONICALISERS[name]
