"""Providers of parametric integrals: the integrand f(s; x) and the value I(s)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hepemu.physics.integrals.base import ParametricIntegral


@dataclass(frozen=True)
class IntegralProvider:
    """The integrand f(s; x) of a parametric integral, inputs (s, x) on region × [0,1]^k."""

    target_name = "f"  # the truth column's name in datasets (not a field)
    integral: ParametricIntegral

    @property
    def name(self) -> str:
        return self.integral.name

    @property
    def unit_dim(self) -> int:
        return self.integral.n_params + self.integral.dim

    def columns(self) -> list[str]:
        return [*self.integral.param_names, *(f"x{j + 1}" for j in range(self.integral.dim))]

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = self.integral.n_params
        s = self.integral.params_from_unit(u[:, :m])
        return np.hstack([s, u[:, m:]]), np.ones(len(u), dtype=bool)

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        m = self.integral.n_params
        return self.integral(inputs[:, :m], inputs[:, m:])

    def metadata(self) -> dict[str, Any]:
        ig = self.integral
        return {
            "description": ig.description,
            "fixed": ig.fixed,
            "region": dict(zip(ig.param_names, ig.param_ranges, strict=True)),
            "generator": "hepemu.physics.integrals",
        }


@dataclass(frozen=True)
class IntegralValueProvider:
    """The integral I(s) itself; inputs s in the region. Up to 4 dimensions by an n^k tensor
    Gauss–Legendre rule (``nodes``), above by lattice QMC (``points`` × 8 random shifts);
    with ``rule="gl-u2"`` by the tensor Gauss–Legendre rule in u, x = u², in any dimension
    (the double box, against 20 nodes at 12 points of its box: ≤ 5.6e-7 relative at 11 nodes
    per axis, ≤ 1.6e-7 at 13, ≤ 9.4e-9 at 14).

    Name ``<integral>/integral`` (e.g. ``gghh-box-1l/integral``), options ``nodes``,
    ``points`` and ``rule``: the truth for direct regressors of I(s), and an expensive provider.
    """

    target_name = "I"  # the truth column's name in datasets (not a field)
    integral: ParametricIntegral
    nodes: int = 24  # 24³: median relative error 2e-10, worst 7e-8 (against 48³)
    points: int = 100003  # double box: relative error ~1e-5 (8 shifts)
    rule: str = "auto"  # or "gl-u2" (see quadrature.reference_integrals)

    def __post_init__(self) -> None:
        from hepemu.physics.integrals.quadrature import RULES

        if self.nodes < 1:
            raise ValueError(f"nodes must be >= 1, got {self.nodes}")
        if self.rule not in RULES:
            raise ValueError(f"option rule must be one of {', '.join(RULES)}, got {self.rule!r}")

    @property
    def name(self) -> str:
        return f"{self.integral.name}/integral"

    @property
    def unit_dim(self) -> int:
        return self.integral.n_params

    def columns(self) -> list[str]:
        return list(self.integral.param_names)

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.integral.params_from_unit(u), np.ones(len(u), dtype=bool)

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        from hepemu.physics.integrals.quadrature import reference_integrals

        ig = self.integral
        return reference_integrals(ig, inputs, ig.dim, self.nodes, self.points, rule=self.rule)[0]

    def metadata(self) -> dict[str, Any]:
        from hepemu.physics.integrals.quadrature import reference_rule

        rule = reference_rule(self.integral.dim, self.nodes, self.points, rule=self.rule)
        return {
            **IntegralProvider(self.integral).metadata(),
            "truth": f"integral over [0,1]^{self.integral.dim}, {rule}",
        }
