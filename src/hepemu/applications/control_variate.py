"""Integration networks as control variates: unbiased integrals with honest errors.

∫ f = Σ_corners ±N + ∫ (f − ∂ᵏN): the network's own integral (its corner sum) plus the
integral of the residual, done by lattice QMC (Maître & Santos-Mateos, arXiv:2211.02834,
sec. 5; the control-variate identity, e.g. Owen, "Monte Carlo theory, methods and examples",
ch. 8.9). The result is unbiased whatever the network's precision, and its error is the QMC
error of the residual, small where ∂ᵏN follows f.

The networks were fitted in the Korobov variables t of their training (x = x(t), weight
w(t)) to f(x(t)) w(t) / n(s) with the normaliser n(s), so the residual is integrated over t:
r(s; t) = f(s; x(t)) w(t) − n(s) ∂ᵏN̄(s̃; t), N̄ the replica mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hepemu.models.inn_surrogate import INNSurrogate, normalisation
from hepemu.physics.integrals.quadrature import integrate_qmc
from hepemu.physics.integrals.transforms import korobov


@dataclass(frozen=True)
class ControlVariateResult:
    """Integrals with control variate: value = network + residual, error of the residual."""

    value: np.ndarray
    error: np.ndarray
    network: np.ndarray  # the network's integral alone (the surrogate's prediction)


def residual_integrand(model: INNSurrogate, batch: int = 16384):
    """r(s; t) = f(s; x(t)) w(t) − n(s) ∂ᵏN̄(s̃; t) at paired rows (NumPy in and out)."""
    integral = model.integral
    dtype, device = model._dtype_device()

    @torch.no_grad()
    def derivative(s: np.ndarray, t: np.ndarray) -> np.ndarray:
        out = np.zeros(len(s))
        for a in range(0, len(s), batch):
            st = torch.as_tensor(integral.scale_params(s[a : a + batch]), dtype=dtype)
            tt = torch.as_tensor(t[a : a + batch], dtype=dtype)
            for net in model.replicas:
                d = net.derivative(st.to(device), tt.to(device))
                out[a : a + batch] += d.double().cpu().numpy()
        return out / model.n_replicas

    def residual(s: np.ndarray, t: np.ndarray) -> np.ndarray:
        x, w = korobov(t, model.korobov_order)
        f = integral(s, x) * np.prod(w, axis=1)
        # the rows repeat a few parameter points (one per lattice point): normalise each once
        rows, inverse = np.unique(s, axis=0, return_inverse=True)
        norm = normalisation(integral, rows, model.normalisation)[inverse.ravel()]
        return f - norm * derivative(s, t)

    return residual


def control_variate_integrals(
    model: INNSurrogate, s: np.ndarray, n: int = 10007, n_shifts: int = 8, seed: int = 0
) -> ControlVariateResult:
    """Unbiased integrals at the rows of ``s``: the network's value plus the QMC integral
    (``n`` lattice points × ``n_shifts`` random shifts) of its residual, with its error."""
    s = np.atleast_2d(np.asarray(s, dtype=float))
    model.integral.check_valid(s)
    net = model.replica_integrals(s).mean(axis=0)
    res = integrate_qmc(residual_integrand(model), s, model.integral.dim, n, n_shifts, seed=seed)
    return ControlVariateResult(net + res.value, res.error, net)


def variance_ratio(
    model: INNSurrogate, s: np.ndarray, points: int = 4096, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``s``: Var_t(r) / Var_x(f) by plain Monte Carlo with ``points`` uniform
    samples (the same for every row), and the variance of f itself; returns (ratio, var_f).
    The ratio is the factor by which the residual needs fewer integrand calls than f at equal
    Monte Carlo error."""
    s = np.atleast_2d(np.asarray(s, dtype=float))
    u = np.random.default_rng(seed).random((points, model.integral.dim))
    residual = residual_integrand(model)
    ratio, var_f = np.empty(len(s)), np.empty(len(s))
    for i, row in enumerate(s):
        rows = np.repeat(row[None], points, axis=0)
        var_f[i] = np.var(model.integral(rows, u), ddof=1)
        ratio[i] = np.var(residual(rows, u), ddof=1) / var_f[i]
    return ratio, var_f
