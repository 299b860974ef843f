"""Samplers of the unit hypercube: uniform, scrambled Sobol (scipy.stats.qmc) and randomly
shifted rank-1 lattices (fast-CBC vectors), with a resumable state."""

from __future__ import annotations

import warnings

import numpy as np
import sympy as sp
from scipy.stats import qmc

from hepemu.physics.integrals.quadrature import cbc_generating_vector

SAMPLERS = ("uniform", "sobol", "lattice")


class UnitCubeSampler:
    """Draws batches of ``batch`` points in [0,1]^dim.

    ``lattice`` returns a whole randomly shifted rank-1 lattice of the largest prime size
    ≤ ``batch`` + 1 per draw; ``sobol`` continues one scrambled sequence.
    """

    def __init__(self, kind: str, dim: int, batch: int, seed: int) -> None:
        if kind not in SAMPLERS:
            raise ValueError(f"unknown sampler {kind!r}; choose from {SAMPLERS}")
        if dim < 1 or batch < 1:
            raise ValueError("need dim >= 1 and batch >= 1")
        self.kind, self.dim, self.batch = kind, dim, batch
        self.rng = np.random.default_rng(seed)
        if kind == "sobol":
            self._sobol = qmc.Sobol(dim, scramble=True, seed=self.rng)
        elif kind == "lattice":
            self._n = int(sp.prevprime(batch + 1))
            self._z = cbc_generating_vector(self._n, dim)

    def get_state(self) -> dict:
        """Position of the random streams (JSON-serialisable), for exact resumption."""
        state = {"rng": self.rng.bit_generator.state}
        if self.kind == "sobol":
            state["sobol_generated"] = int(self._sobol.num_generated)
        return state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        if self.kind == "sobol":
            self._sobol.reset()
            self._sobol.fast_forward(state["sobol_generated"])

    def draw(self) -> np.ndarray:
        """One batch, shape (batch, dim) (lattice: (n, dim) with n prime ≤ batch + 1)."""
        if self.kind == "uniform":
            return self.rng.random((self.batch, self.dim))
        if self.kind == "sobol":
            return self._sobol.random(self.batch)
        return lattice_points(np.arange(self._n), self._z, self._n, self.rng.random(self.dim))


def lattice_points(j: np.ndarray, z: np.ndarray, n: int, shift: np.ndarray) -> np.ndarray:
    """Points j of the rank-1 lattice {j z / n} shifted by ``shift`` (mod 1), (len(j), dim)."""
    j = np.asarray(j, dtype=np.int64)[:, None]
    return np.mod((j * z[None, :] % n) / n + shift, 1.0)


def chunk_of_points(
    kind: str, dim: int, seed: int, index: int, start: int, count: int, n_total: int
) -> np.ndarray:
    """Rows ``start … start+count`` of a point set of ``n_total`` points, (count, dim).

    ``uniform``: an independent PCG64 stream per chunk ``index`` (seeded [seed, index]);
    ``sobol``: one scrambled Sobol sequence (seed), fast-forwarded to ``start``;
    ``lattice``: one randomly shifted rank-1 lattice of prime size ``n_total`` (fast-CBC
    vector). Sobol and lattice sets are therefore the same whatever the chunking.
    """
    if kind == "uniform":
        return np.random.default_rng([seed, index]).random((count, dim))
    if kind == "sobol":
        sobol = qmc.Sobol(dim, scramble=True, seed=np.random.default_rng(seed))
        if start:  # scipy cannot fast-forward by zero
            sobol.fast_forward(start)
        with warnings.catch_warnings():  # chunk sizes need not be powers of 2; n should be
            warnings.simplefilter("ignore", UserWarning)
            return sobol.random(count)
    if kind == "lattice":
        check_lattice_size(n_total)
        z = cbc_generating_vector(n_total, dim)
        shift = np.random.default_rng(seed).random(dim)
        return lattice_points(np.arange(start, start + count), z, n_total, shift)
    raise ValueError(f"unknown sampler {kind!r}; choose from {SAMPLERS}")


def check_lattice_size(n: int) -> None:
    """A rank-1 lattice needs a prime number of points; say which primes are near."""
    if not sp.isprime(n):
        raise ValueError(
            f"a lattice needs a prime number of points, not {n}: "
            f"use {sp.prevprime(n)} or {sp.nextprime(n)}"
        )


def straight_lines(
    n_lines: int, n_steps: int, dim: int, rng: np.random.Generator, margin: float = 1e-3
) -> np.ndarray:
    """Random straight segments in the cube, shape (n_lines, n_steps, dim).

    Ends are uniform in [margin, 1 − margin]^dim; mapped through RAMBO
    (``rambo_from_unit``) they become smooth phase-space trajectories, for testing how a
    surrogate behaves away from its training points.
    """
    if n_lines < 1 or n_steps < 2 or dim < 1 or not 0 <= margin < 0.5:
        raise ValueError("need n_lines >= 1, n_steps >= 2, dim >= 1 and 0 <= margin < 0.5")
    ends = margin + (1 - 2 * margin) * rng.random((n_lines, 2, dim))
    t = np.linspace(0.0, 1.0, n_steps)[None, :, None]
    return ends[:, :1] + t * (ends[:, 1:] - ends[:, :1])
