"""Evaluate an INN surrogate on unseen reference points and time it against quadrature."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hepemu.evaluation.metrics import PrecisionSummary, p_values, summarise
from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.quadrature import integrate_gauss_legendre, integrate_qmc


@dataclass
class ReferenceSet:
    """Parameter points with high-precision reference integrals."""

    s: np.ndarray
    ref: np.ndarray
    method: str

    @classmethod
    def make(
        cls, integral: ParametricIntegral, n: int, seed: int = 2024, gl_nodes: int = 32
    ) -> ReferenceSet:
        """Uniform points in the region; references by n³ Gauss–Legendre (≳10 digits)."""
        s = integral.sample_params(n, np.random.default_rng(seed))
        ref = integrate_gauss_legendre(integral, s, integral.dim, gl_nodes)
        return cls(s, ref, f"Gauss-Legendre {gl_nodes}^{integral.dim}")


def evaluate(surrogate, refset: ReferenceSet) -> tuple[PrecisionSummary, np.ndarray, np.ndarray]:
    """Precision summary of ``surrogate.predict`` on a reference set; returns (summary, e, σ)."""
    mean, sigma = surrogate.predict(refset.s)
    s_scaled = surrogate.integral.scale_params(refset.s)
    return summarise(mean, refset.ref, s_scaled, sigma), mean, sigma


def median_time(fn, repeats: int = 5) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls (one warm-up call first)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def gl_digits(integral: ParametricIntegral, refset: ReferenceSet, nodes: int) -> float:
    """Mean digits of an n^k Gauss–Legendre rule on the reference set."""
    est = integrate_gauss_legendre(integral, refset.s, integral.dim, nodes)
    return float(-p_values(est, refset.ref).mean())


def qmc_digits(integral: ParametricIntegral, refset: ReferenceSet, n: int, shifts: int) -> float:
    """Mean digits of randomly shifted lattice QMC with n points × shifts."""
    est = integrate_qmc(integral, refset.s, integral.dim, n=n, n_shifts=shifts).value
    return float(-p_values(est, refset.ref).mean())
