"""Points an INN replica trains and validates on: (s, x) batches on the parameter box ×
[0,1]^k, fixed validation points with reference integrals, and their digits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepemu.data.samplers import UnitCubeSampler
from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.quadrature import reference_integrals


class PointSampler:
    """Draws (s, x) batches on the parameter box × [0,1]^k."""

    def __init__(self, integral: ParametricIntegral, kind: str, batch: int, seed: int) -> None:
        self.integral = integral
        self.cube = UnitCubeSampler(kind, integral.n_params + integral.dim, batch, seed)

    def get_state(self) -> dict:
        return self.cube.get_state()

    def set_state(self, state: dict) -> None:
        self.cube.set_state(state)

    def draw(self) -> tuple[np.ndarray, np.ndarray]:
        u = self.cube.draw()
        m = self.integral.n_params
        return self.integral.params_from_unit(u[:, :m]), u[:, m:]


@dataclass
class ValidationSet:
    """Fixed parameter points with reference integrals (high-order Gauss–Legendre; lattice
    QMC above 4 dimensions)."""

    s: np.ndarray
    ref: np.ndarray

    @classmethod
    def make(cls, integral: ParametricIntegral, n: int, seed: int, gl_nodes: int = 32):
        s = integral.sample_params(n, np.random.default_rng(seed))
        return cls(s, reference_integrals(integral, s, integral.dim, gl_nodes, 30011)[0])
