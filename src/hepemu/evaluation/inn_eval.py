"""Evaluate an INN surrogate on unseen reference points and time it against quadrature."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hepemu.evaluation.metrics import (
    PrecisionSummary,
    digits,
    mean_digits,
    p_values,
    summarise,
)
from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.quadrature import (
    integrate_gauss_legendre,
    integrate_qmc,
    reference_integrals,
)


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
        """Uniform points in the region; references by n³ Gauss–Legendre (32³: ~11 digits),
        or lattice QMC for integrals of more than 4 dimensions."""
        s = integral.sample_params(n, np.random.default_rng(seed))
        return cls(s, *reference_integrals(integral, s, integral.dim, gl_nodes))


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
    return mean_digits(est, refset.ref)


def qmc_digits(integral: ParametricIntegral, refset: ReferenceSet, n: int, shifts: int) -> float:
    """Mean digits of randomly shifted lattice QMC with n points × shifts."""
    est = integrate_qmc(integral, refset.s, integral.dim, n=n, n_shifts=shifts).value
    return mean_digits(est, refset.ref)


@dataclass
class BinnedDigits:
    """Median digits (−P) in equal-width bins of one parameter."""

    name: str
    edges: np.ndarray
    median: np.ndarray  # per bin (NaN where empty)
    q16: np.ndarray
    q84: np.ndarray
    count: np.ndarray

    @property
    def centres(self) -> np.ndarray:
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    def weakest(self) -> tuple[float, float, float]:
        """(lower edge, upper edge, median digits) of the bin with the fewest median digits."""
        i = int(np.nanargmin(self.median))
        return float(self.edges[i]), float(self.edges[i + 1]), float(self.median[i])

    def strongest(self) -> tuple[float, float, float]:
        i = int(np.nanargmax(self.median))
        return float(self.edges[i]), float(self.edges[i + 1]), float(self.median[i])


def digits_by_parameter(
    s: np.ndarray,
    est: np.ndarray,
    true: np.ndarray,
    names: list[str] | tuple[str, ...],
    ranges: list[tuple[float, float]] | tuple[tuple[float, float], ...] | None = None,
    bins: int = 10,
) -> list[BinnedDigits]:
    """Digits −P = −log10|e/t − 1| binned in each parameter (where is the surrogate weak?)."""
    s = np.asarray(s, dtype=float)
    d = digits(est, true)
    out = []
    for j, name in enumerate(names):
        lo, hi = ranges[j] if ranges is not None else (s[:, j].min(), s[:, j].max())
        edges = np.linspace(lo, hi, bins + 1)
        idx = np.clip(np.searchsorted(edges, s[:, j], side="right") - 1, 0, bins - 1)
        med, q16, q84, cnt = (np.full(bins, np.nan) for _ in range(4))
        for b in range(bins):
            sel = d[idx == b]
            cnt[b] = len(sel)
            if len(sel):
                med[b] = np.median(sel)
                q16[b], q84[b] = np.quantile(sel, [0.16, 0.84])
        out.append(BinnedDigits(name, edges, med, q16, q84, cnt.astype(int)))
    return out


def reference_digits(
    integral: ParametricIntegral, refset: ReferenceSet, n: int = 50, nodes: int = 48
) -> tuple[float, float]:
    """(median, worst) digits of the first ``n`` references against a finer rule (nodes^k)."""
    s = refset.s[:n]
    fine = integrate_gauss_legendre(integral, s, integral.dim, nodes)
    p = p_values(refset.ref[:n], fine)
    return float(-np.median(p)), float(-p.max())
