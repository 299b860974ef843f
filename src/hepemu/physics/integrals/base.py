"""The parametric-integral interface: I(s) = ∫_[0,1]^k f(s; x) dx."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Integrand = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ParametricIntegral:
    """A family of integrals over the unit hypercube, labelled by parameters ``s``.

    Parameters
    ----------
    name
        Registry identifier, e.g. ``"gghh-box-1l"``.
    param_names
        Names of the parameters ``s`` (columns of the ``s`` array).
    param_ranges
        ``(low, high)`` of each parameter: the region the integral family is defined on.
    dim
        Number ``k`` of integration variables.
    integrand
        ``f(s, x) -> y`` with ``s`` of shape (N, m), ``x`` of shape (N, k), ``y`` of shape (N,),
        vectorised over points; works for NumPy arrays and (where noted) torch tensors.
    description
        One line on what the integral is, with its source.
    fixed
        Constants fixed for the family (e.g. ``{"mt2": 1.0}``).
    valid_ranges
        ``(low, high)`` of each parameter where this representation of the integral is valid
        (e.g. the Euclidean region, where the integrand has no poles on the cube); outside
        it no value is returned. ``None``: valid everywhere.
    valid_note
        Why the representation is valid only there (shown in errors).
    """

    name: str
    param_names: tuple[str, ...]
    param_ranges: tuple[tuple[float, float], ...]
    dim: int
    integrand: Integrand
    description: str = ""
    fixed: dict[str, float] = field(default_factory=dict)
    valid_ranges: tuple[tuple[float, float], ...] | None = None
    valid_note: str = ""

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def lows(self) -> np.ndarray:
        return np.array([r[0] for r in self.param_ranges], dtype=float)

    @property
    def highs(self) -> np.ndarray:
        return np.array([r[1] for r in self.param_ranges], dtype=float)

    def __call__(self, s, x):
        """Evaluate the integrand ``f(s; x)`` (vectorised over the first axis)."""
        return self.integrand(s, x)

    def scale_params(self, s):
        """Map ``s`` from its box to [-1, 1]^m (works on NumPy arrays and torch tensors)."""
        lo, hi = self.lows, self.highs
        if not isinstance(s, np.ndarray):
            lo = s.new_tensor(lo)
            hi = s.new_tensor(hi)
        return 2.0 * (s - lo) / (hi - lo) - 1.0

    def params_from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map points of [0,1]^m to the parameter box, column by column."""
        return self.lows + (self.highs - self.lows) * u

    def sample_params(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Uniform sample of ``n`` parameter points in the region, shape (n, m)."""
        return self.params_from_unit(rng.random((n, self.n_params)))

    def outside_region(self, s: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """Boolean mask of rows of ``s`` outside the parameter box."""
        s = np.asarray(s, dtype=float)
        return np.any((s < self.lows - tol) | (s > self.highs + tol), axis=1)

    def invalid_points(self, s: np.ndarray) -> np.ndarray:
        """Boolean mask of rows of ``s`` where this representation of the integral is not valid."""
        s = np.asarray(s, dtype=float)
        if self.valid_ranges is None:
            return np.zeros(len(s), dtype=bool)
        lo = np.array([r[0] for r in self.valid_ranges], dtype=float)
        hi = np.array([r[1] for r in self.valid_ranges], dtype=float)
        return np.any((s < lo) | (s > hi), axis=1)

    def check_valid(self, s: np.ndarray) -> None:
        """Raise ``ValueError`` naming the rows (from 1) where the integral is not valid."""
        bad = np.flatnonzero(self.invalid_points(s))
        if len(bad):
            rows = ", ".join(map(str, bad[:10] + 1)) + (" …" if len(bad) > 10 else "")
            where = ", ".join(
                f"{n} in [{a:g}, {b:g}]"
                for n, (a, b) in zip(self.param_names, self.valid_ranges or (), strict=True)
            )
            raise ValueError(
                f"{len(bad)} point(s) outside the region where {self.name} is valid ({where}"
                f"{'; ' + self.valid_note if self.valid_note else ''}): rows {rows}"
            )
