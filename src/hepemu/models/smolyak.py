"""The Smolyak construction on nested Clenshaw–Curtis nodes, with surplus-driven refinement.

The sparse-grid interpolant of a downward-closed set I of level multi-indices is
A_I f = Σ_{k∈I} Δ^k f with Δ^k = ⊗_a (U^{k_a} − U^{k_a−1}), U^j the 1-D Chebyshev interpolant
on the m(j) nodes of level j and U^{−1} = 0 (Barthelmann, Novak & Ritter, Adv. Comput. Math.
12 (2000) 273, eqs. 1–3). Δ^k f needs f on the tensor grid of k only; its Chebyshev
coefficients come from one type-I DCT per axis at level k_a minus the one at level k_a − 1
(:func:`surplus_coefficients`), so A_I f is one sparse Chebyshev expansion (the sum of those
arrays): :meth:`SmolyakSet.expansion`. Δ^k f is the *hierarchical surplus* of k: at the nodes
new in k it equals f − A_{I∖k} f. Its size ‖Δ^k f‖ (the ℓ1 norm of its coefficients, a bound
on its maximum) drives the dimension-adaptive refinement of Gerstner & Griebel (Computing 71
(2003) 65, sec. 3): the active index of largest surplus is expanded by its admissible forward
neighbours, whose new nodes are labelled, until the surpluses of the active (last) indices
sum to less than the tolerance. That sum is the interpolant's error estimate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.fft

from hepemu.data.sparse_nodes import (
    MAX_LEVEL,
    axis_size,
    coarse_positions,
    fine_to_reference,
    level_indices,
    new_nodes,
    tensor_nodes,
)

Truth = Callable[[np.ndarray], np.ndarray]  # reference rows t (N, d) → transformed values


def axis_coefficients(values: np.ndarray, axis: int) -> np.ndarray:
    """Chebyshev coefficients along ``axis`` of values on the Lobatto nodes of that axis
    (one node: the constant)."""
    n = values.shape[axis]
    if n == 1:
        return values.copy()
    c = scipy.fft.dct(values, type=1, axis=axis) / (n - 1)
    w = np.ones(n)
    w[0] = w[-1] = 0.5
    return c * w.reshape((1,) * axis + (n,) + (1,) * (values.ndim - axis - 1))


def surplus_coefficients(values: np.ndarray, k) -> np.ndarray:
    """Chebyshev coefficients of Δ^k f from f on the tensor grid of ``k`` (shape m(k)): on
    each axis the level-k_a coefficients minus the (zero-padded) level k_a − 1 ones."""
    c = np.asarray(values, dtype=float)
    for a, j in enumerate(k):
        if j == 0:
            continue
        fine = axis_coefficients(c, a)
        coarse = axis_coefficients(np.take(c, coarse_positions(int(j)), axis=a), a)
        pad = [(0, 0)] * c.ndim
        pad[a] = (0, fine.shape[a] - coarse.shape[a])
        c = fine - np.pad(coarse, pad)
    return c


def degree_rows(shape: tuple[int, ...]) -> np.ndarray:
    """Multi-indices (n, d) of an array of ``shape`` in C order (the Chebyshev degrees)."""
    return np.indices(shape).reshape(len(shape), -1).T


class SmolyakSet:
    """A downward-closed set of level multi-indices with the labels of its nodes, the
    surplus coefficients of each index and the active (not yet expanded) indices."""

    def __init__(self, d: int, max_level: int = MAX_LEVEL) -> None:
        if not 1 <= max_level <= MAX_LEVEL:
            raise ValueError(f"need 1 <= max_level <= {MAX_LEVEL}, got {max_level}")
        self.d, self.max_level = d, max_level
        self.labels: dict[bytes, float] = {}
        self.surplus: dict[tuple[int, ...], np.ndarray] = {}
        self.norm: dict[tuple[int, ...], float] = {}
        self.active: set[tuple[int, ...]] = set()

    # -- labels ---------------------------------------------------------------------------
    @staticmethod
    def keys(fine: np.ndarray) -> list[bytes]:
        return [row.tobytes() for row in np.ascontiguousarray(fine, dtype=np.int16)]

    def label(self, fine: np.ndarray, values: np.ndarray) -> None:
        """Store the (transformed) values at fine-index rows; a node given twice must agree."""
        for key, v in zip(self.keys(fine), np.asarray(values, dtype=float), strict=True):
            if not np.isfinite(v):
                raise ValueError("a node value is not finite")
            if self.labels.setdefault(key, v) != v:
                raise ValueError("a node appears twice with different values")

    def values_at(self, fine: np.ndarray) -> np.ndarray:
        """Labels at fine rows (``KeyError`` naming the count of missing ones)."""
        keys = self.keys(fine)
        missing = [k for k in keys if k not in self.labels]
        if missing:
            raise KeyError(f"{len(missing)} of {len(keys)} nodes have no label")
        return np.array([self.labels[k] for k in keys])

    # -- indices --------------------------------------------------------------------------
    def admissible(self, k: tuple[int, ...], among=None) -> bool:
        """Whether every backward neighbour of ``k`` is in ``among`` (default: the set)."""
        among = self.surplus if among is None else among
        for a in range(self.d):
            if k[a] > 0 and (*k[:a], k[a] - 1, *k[a + 1 :]) not in among:
                return False
        return True

    def add(self, k: tuple[int, ...]) -> float:
        """Add index ``k`` (admissible, its tensor grid labelled) as active; its surplus norm."""
        k = tuple(int(j) for j in k)
        if len(k) != self.d or not self.admissible(k):
            raise ValueError(f"index {k} does not keep the set downward closed")
        shape = tuple(axis_size(j) for j in k)
        c = surplus_coefficients(self.values_at(tensor_nodes(k)).reshape(shape), k)
        self.surplus[k] = c
        self.norm[k] = float(np.abs(c).sum())
        self.active.add(k)
        return self.norm[k]

    def forward(self, k: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Forward neighbours of ``k`` not in the set, within ``max_level``, whose backward
        neighbours are all in the set and expanded (Gerstner & Griebel's admissibility)."""
        old = {i for i in self.surplus if i not in self.active}
        out = []
        for a in range(self.d):
            n = (*k[:a], k[a] + 1, *k[a + 1 :])
            if n[a] <= self.max_level and n not in self.surplus and self.admissible(n, old):
                out.append(n)
        return out

    def error_estimate(self) -> float:
        """The surpluses of the active indices, summed (on the transformed scale)."""
        return float(sum(self.norm[k] for k in self.active))

    @property
    def n_nodes(self) -> int:
        return len(self.labels)

    # -- building ------------------------------------------------------------------------
    @classmethod
    def isotropic(cls, d: int, level: int, labels: Callable[[np.ndarray], np.ndarray], **kw):
        """The set |k|_1 ≤ ``level``, its nodes labelled by ``labels(fine rows)``; the indices
        of |k|_1 = level are active."""
        s = cls(d, **kw)
        idx = [tuple(int(j) for j in k) for k in level_indices(d, level)]
        fine = np.concatenate([new_nodes(k) for k in idx])
        s.label(fine, labels(fine))
        for k in idx:
            s.add(k)
        s.active = {k for k in idx if sum(k) == level}
        return s

    def refine(
        self,
        truth: Truth,
        tolerance: float,
        max_nodes: int,
        progress: Callable[[str], None] | None = None,
    ) -> list[dict]:
        """Dimension-adaptive refinement: while the error estimate exceeds ``tolerance``,
        expand the active index of largest surplus, labelling (``truth`` at reference rows)
        only the nodes new in its admissible forward neighbours; stops before passing
        ``max_nodes`` labels. Returns one record per labelling step."""
        steps: list[dict] = []
        while self.active and self.error_estimate() > tolerance:
            k = max(self.active, key=lambda i: (self.norm[i], i))
            self.active.discard(k)
            grow = self.forward(k)
            if not grow:
                continue
            fine = np.concatenate([new_nodes(n) for n in grow])
            if self.n_nodes + len(fine) > max_nodes:
                self.active.add(k)
                steps.append({"stop": f"max_nodes {max_nodes} reached before the tolerance"})
                break
            if progress is not None:
                progress(f"labelling {len(fine)} new nodes ({self.n_nodes} so far)")
            self.label(fine, np.asarray(truth(fine_to_reference(fine)), dtype=float))
            for n in grow:
                self.add(n)
            steps.append(
                {"expanded": list(k), "new_labels": len(fine), "estimate": self.error_estimate()}
            )
        return steps

    def expansion(self) -> tuple[np.ndarray, np.ndarray]:
        """The interpolant A_I f as a sparse Chebyshev expansion: degrees (M, d) and
        coefficients (M,), sorted by degree (the sum of every index's surplus array)."""
        rows = np.concatenate([degree_rows(c.shape) for c in self.surplus.values()])
        coef = np.concatenate([c.ravel() for c in self.surplus.values()])
        degrees, inverse = np.unique(rows, axis=0, return_inverse=True)
        return degrees, np.bincount(inverse.ravel(), weights=coef, minlength=len(degrees))

    def indices(self) -> np.ndarray:
        """The index set (n, d), sorted."""
        return np.array(sorted(self.surplus), dtype=np.int64).reshape(-1, self.d)
