"""Smolyak sparse-grid node designs on nested Clenshaw–Curtis (Chebyshev–Lobatto) points.

One axis at level j has m(j) nodes: m(0) = 1 (the centre t = 0), m(j) = 2^j + 1 (the
Lobatto points cos(π i / 2^j), as in :mod:`hepemu.data.nodes`), so level j − 1's nodes are
among level j's (nested). A multi-index k = (k_1 … k_d) of levels names the tensor grid of
m(k_a) nodes per axis; its *new* nodes are those new on every axis (level 0: the centre,
level 1: ±1, level j ≥ 2: the odd i). The isotropic grid of level L is the union over
|k|_1 ≤ L (Barthelmann, Novak & Ritter, Adv. Comput. Math. 12 (2000) 273, eq. 2), and every
node is new in exactly one k. A node is stored as its index on the finest axis grid
(``FINE`` = 2^10 intervals: cos(π f / FINE)), so nodes of any level compare exactly.

The design of level L lists the new nodes of each k in the order of :func:`level_indices`
(by |k|_1, then lexicographically), the new nodes of one k in C order: the design of level
L is the first rows of the design of level L + 1, so a refined generation reuses every label.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np

MAX_LEVEL = 10  # per axis: 1025 nodes, as data.nodes.MAX_NODES_PER_AXIS
FINE = 2**MAX_LEVEL
MAX_DESIGN_POINTS = 5_000_000
CENTRE = FINE // 2


def axis_size(j: int) -> int:
    """m(j): nodes of one axis at level j."""
    return 1 if j == 0 else 2**j + 1


@cache
def axis_nodes(j: int) -> np.ndarray:
    """Fine indices of the m(j) nodes of level j, from t = +1 down to −1 (Lobatto order)."""
    if not 0 <= j <= MAX_LEVEL:
        raise ValueError(f"need 0 <= level <= {MAX_LEVEL} per axis, got {j}")
    if j == 0:
        return np.array([CENTRE])
    return np.arange(2**j + 1) * 2 ** (MAX_LEVEL - j)


@cache
def new_axis_nodes(j: int) -> np.ndarray:
    """Fine indices of the nodes of level j that level j − 1 lacks."""
    if j <= 1:
        return np.array([CENTRE]) if j == 0 else np.array([0, FINE])
    return axis_nodes(j)[1::2]


def coarse_positions(j: int) -> np.ndarray:
    """Positions, among level j's nodes, of level j − 1's nodes (j ≥ 1)."""
    return np.array([2 ** (j - 1)]) if j == 1 else np.arange(0, 2**j + 1, 2)


def fine_to_reference(f: np.ndarray) -> np.ndarray:
    """Reference coordinates t = cos(π f / FINE) of fine indices (±1 and 0 exact)."""
    f = np.asarray(f)
    t = np.cos(np.pi * f / FINE)
    return np.where(f == 0, 1.0, np.where(f == FINE, -1.0, np.where(f == CENTRE, 0.0, t)))


def reference_to_fine(t: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Fine indices of reference rows ``t`` (N, d); −1 in a row where it is no node."""
    t = np.asarray(t, dtype=float)
    f = np.rint(np.arccos(np.clip(t, -1.0, 1.0)) * FINE / np.pi).astype(np.int64)
    ok = np.all(np.abs(fine_to_reference(f) - t) <= tol, axis=-1)
    return np.where(ok[:, None], f, -1)


def level_indices(d: int, level: int) -> np.ndarray:
    """The multi-indices k ∈ ℕ^d with |k|_1 ≤ level, (n, d), by |k|_1 then lexicographically."""
    if d < 1 or level < 0:
        raise ValueError(f"need d >= 1 and level >= 0, got d={d}, level={level}")
    if level > MAX_LEVEL:
        raise ValueError(f"need level <= {MAX_LEVEL}, got {level}")
    rows = [k for total in range(level + 1) for k in _compositions(d, total)]
    return np.array(rows, dtype=np.int64).reshape(-1, d)


def _compositions(d: int, total: int):
    """The k ∈ ℕ^d with |k|_1 = total, lexicographically descending."""
    if d == 1:
        yield (total,)
        return
    for first in range(total, -1, -1):
        for rest in _compositions(d - 1, total - first):
            yield (first, *rest)


def new_nodes(k) -> np.ndarray:
    """Fine rows (n, d) of the nodes new in multi-index ``k``, in C order."""
    axes = [new_axis_nodes(int(j)) for j in k]
    return np.array(list(itertools.product(*axes)), dtype=np.int64).reshape(-1, len(axes))


def new_count(k) -> int:
    """How many nodes are new in ``k``."""
    return int(np.prod([len(new_axis_nodes(int(j))) for j in k]))


def tensor_nodes(k) -> np.ndarray:
    """Fine rows (n, d) of the whole tensor grid of ``k`` (C order, Lobatto order per axis)."""
    axes = [axis_nodes(int(j)) for j in k]
    grids = np.meshgrid(*axes, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def design_size(d: int, level: int) -> int:
    """Nodes of the isotropic design of ``level`` in ``d`` dimensions."""
    return sum(new_count(k) for k in level_indices(d, level))


def check_level(d: int, level: int) -> int:
    """The node count of a design, after checking it is not too large (``ValueError``)."""
    n = design_size(d, level)
    if n > MAX_DESIGN_POINTS:
        raise ValueError(
            f"a level-{level} sparse grid in {d} dimensions has {n} nodes "
            f"(more than {MAX_DESIGN_POINTS}); choose a lower level"
        )
    return n


def sparse_rows(d: int, level: int, start: int = 0, count: int | None = None) -> np.ndarray:
    """Rows ``start … start+count`` of the design of ``level`` in reference coordinates."""
    check_level(d, level)
    fine = np.concatenate([new_nodes(k) for k in level_indices(d, level)])
    stop = len(fine) if count is None else min(len(fine), start + count)
    return fine_to_reference(fine[start:stop])
