"""An integration network's whole prediction as one torch module: s (N, m) → (mean, sigma).

The normaliser (Gauss–Legendre nodes of the integrand, broadcast over N), the parameter
scaling, every replica's corner sum (or anchored value), the replica mean and the calibrated
spread, all on the tensor's device: a device-resident batch path (no NumPy round trips) and
the graph ``hepemu export`` writes.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from hepemu.models.activations import forward_function
from hepemu.models.inn import corner_signs
from hepemu.models.inn_target import normalisation
from hepemu.models.surrogate import Surrogate
from hepemu.physics.integrals.quadrature import (
    gauss_legendre_nodes,
    integrate_gauss_legendre,
    own_weighted_sums,
)


def _mlp(net, act, s: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    a = torch.cat([2.0 * x - 1.0, s], dim=-1)  # as INN.mlp
    for layer in net.layers[:-1]:
        a = act(layer(a))
    return net.layers[-1](a).squeeze(-1)


def _replica_integral(net, act, s: torch.Tensor) -> torch.Tensor:
    """INN.integral with an export-safe activation: the anchored network at x = 1, or the
    signed corner sum."""
    k = net.dim
    if net.ansatz == "anchored":
        return _mlp(net, act, s, s[:, :1] * 0.0 + torch.ones(k, dtype=s.dtype))
    corners, signs = corner_signs(k)
    total = 0.0
    for c, sign in zip(corners.to(s), signs.tolist(), strict=True):
        total = total + sign * _mlp(net, act, s, s[:, :1] * 0.0 + c)
    return total


class GaussLegendreGraph(nn.Module):
    """The n^k-node Gauss–Legendre estimate of ∫ f(s; x) dᵏx for every row of s (N, m): the
    integrand on every (row, node) pair by broadcasting s's columns, or the integral's own
    all-points rule (sector sums); as :func:`integrate_gauss_legendre` in NumPy."""

    def __init__(self, integral, n: int, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.integral = integral
        self.np_nodes, self.np_weights = gauss_legendre_nodes(n, integral.dim)
        self.register_buffer("nodes", torch.tensor(self.np_nodes, dtype=dtype))
        self.register_buffer("weights", torch.tensor(self.np_weights, dtype=dtype))
        probe = torch.tensor(integral.sample_params(4, np.random.default_rng(0)), dtype=dtype)
        want = integrate_gauss_legendre(integral, probe.double().numpy(), integral.dim, n)
        tol = 1e-12 if dtype == torch.float64 else 1e-5
        if not np.allclose(self(probe).double().numpy(), want, rtol=tol, atol=0.0):
            raise ValueError(f"{integral.name}'s integrand does not broadcast column-wise")

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        own = own_weighted_sums(self.integral)
        if own is not None:  # sector sums: one rule for every s at once
            return own(s, self.np_nodes, self.np_weights)
        values = self.integral(s[:, :, None], self.nodes)  # (N, m, 1) against (P, k): (N, P)
        return (values * self.weights).sum(-1)


class INNGraph(nn.Module):
    """(mean, sigma) of an :class:`INNSurrogate` from parameters s (N, m) in physical units."""

    def __init__(
        self, surrogate: Surrogate, dtype: torch.dtype = torch.float64, own_erf: bool = True
    ) -> None:
        super().__init__()
        ig = surrogate.integral
        self.integral, self.scheme = ig, surrogate.normalisation
        self.replicas = nn.ModuleList(copy.deepcopy(surrogate.replicas)).to(dtype=dtype)
        self.register_buffer("lo", torch.tensor(ig.lows, dtype=dtype))
        self.register_buffer("hi", torch.tensor(ig.highs, dtype=dtype))
        self.scale, self.floor = surrogate.sigma_scale, surrogate.sigma_floor
        self.act = forward_function(surrogate.replicas[0].config()["activation"], own_erf)
        if self.scheme in ("gl3", "gl2"):
            self.rule = GaussLegendreGraph(ig, int(self.scheme[2]), dtype)

    def _norm(self, s: torch.Tensor) -> torch.Tensor:
        if self.scheme in ("gl3", "gl2"):
            return self.rule(s)
        return normalisation(self.integral, s, self.scheme)  # none, centre

    def forward(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        st = 2.0 * (s - self.lo) / (self.hi - self.lo) - 1.0
        vals = torch.stack([_replica_integral(n, self.act, st) for n in self.replicas])
        vals = vals * self._norm(s)
        mean = vals.mean(0)
        if len(self.replicas) < 2:
            return mean, mean * float("nan")
        spread = vals.std(0, unbiased=True)
        return mean, torch.sqrt((self.scale * spread) ** 2 + (self.floor * mean) ** 2)
