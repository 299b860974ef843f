"""The target an integration network is fitted to: the integrand, optionally Korobov-transformed,
divided by a cheap per-point normaliser (thesis sec. 2.3: its value at the centre of the cube,
eq. 2.16, or a 3^k / 2^k-node Gauss–Legendre estimate of the integral)."""

from __future__ import annotations

import numpy as np
import torch

from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.quadrature import gauss_legendre_nodes, own_weighted_sums
from hepemu.physics.integrals.transforms import korobov

NORMALISATIONS = ("gl3", "gl2", "centre", "none")


def normalisation(integral: ParametricIntegral, s, scheme: str):
    """Per-point normaliser of the integrand (NumPy or torch ``s`` in physical units)."""
    if scheme == "none":
        return s[:, 0] * 0.0 + 1.0
    k = integral.dim
    if scheme == "centre":
        x = s[:, :1] * 0.0 + 0.5
        x = x.repeat(1, k) if isinstance(s, torch.Tensor) else np.repeat(x, k, axis=1)
        return integral(s, x)
    if scheme in ("gl3", "gl2"):  # 3^k or 2^k Gauss–Legendre nodes (gl2: cheaper at large k)
        nodes, weights = gauss_legendre_nodes(int(scheme[2]), k)
        own = own_weighted_sums(integral)
        if own is not None:  # e.g. sector sums: one rule for every s at once
            return own(s, nodes, weights)
        p = len(weights)
        if isinstance(s, torch.Tensor):
            nodes_t = torch.tensor(nodes, dtype=s.dtype, device=s.device)
            w_t = torch.tensor(weights, dtype=s.dtype, device=s.device)
            vals = integral(s.repeat_interleave(p, 0), nodes_t.repeat(s.shape[0], 1))
            return vals.reshape(-1, p) @ w_t
        vals = integral(np.repeat(s, p, axis=0), np.tile(nodes, (len(s), 1)))
        return vals.reshape(-1, p) @ weights
    raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {scheme!r}")


def training_target(integral: ParametricIntegral, s, t, korobov_order: int, scheme: str):
    """Normalised (and Korobov-transformed) integrand the derivative network is fitted to."""
    x, w = korobov(t, korobov_order)
    return integral(s, x) * w.prod(-1) / normalisation(integral, s, scheme)
