"""Chebyshev–Lobatto node designs on a box: the nodes, the per-axis maps, the unit-cube design.

An interpolant (``hepemu.models.chebyshev``) works in reference coordinates t ∈ [−1, 1]^d;
axis a of the box [lo_a, hi_a] maps to t_a linearly (``linear``) or linearly in log|x_a|
(``log``, a box of one sign). Its nodes are the Chebyshev–Lobatto (Clenshaw–Curtis) points
t_j = cos(π j / (n − 1)), j = 0 … n − 1 (Trefethen, *Approximation Theory and Approximation
Practice*, ch. 2), so refining n → 2n − 1 keeps every old node. A design for a truth provider
is the tensor grid of those nodes mapped back to the provider's unit cube, which needs the
provider's ``from_unit`` to be affine per axis without cuts (checked): generation then labels
the nodes like any other sampled points (chunked, resumable, in parallel). The two maps
compose: a node t on a ``log`` axis sits at x = lo·(hi/lo)^((1+t)/2) in the box, and the
provider's affine map is inverted, u = (x − lo)/(hi − lo); on a ``linear`` axis that is just
u = (1 + t)/2. (A provider whose own unit-cube map were not affine, e.g. logarithmic, is
refused rather than composed: its nodes would not be where the interpolant expects them.)
"""

from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace

from hepemu.data.sparse_nodes import check_level, sparse_rows

AXIS_MAPS = ("linear", "log")
DESIGNS = ("chebyshev", "sparse-grid")  # sparse-grid: hepemu.data.sparse_nodes
MAX_NODES_PER_AXIS = 1025


def lobatto_nodes(n: int) -> np.ndarray:
    """The n Chebyshev–Lobatto points cos(π j / (n − 1)) in [−1, 1], from +1 down to −1."""
    if not 2 <= n <= MAX_NODES_PER_AXIS:
        raise ValueError(f"need 2 <= nodes per axis <= {MAX_NODES_PER_AXIS}, got {n}")
    t = np.cos(np.pi * np.arange(n) / (n - 1))
    t[0], t[-1] = 1.0, -1.0
    if n % 2:
        t[(n - 1) // 2] = 0.0  # exactly, so that nested grids share the centre bit for bit
    return t


def check_design(nodes, maps, bounds: np.ndarray) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Validated (nodes, maps) for a box ``bounds`` (d, 2); ``maps`` empty: all linear."""
    nodes = tuple(int(n) for n in nodes)
    maps = tuple(maps) or ("linear",) * len(nodes)
    d = len(bounds)
    if len(nodes) != d or len(maps) != d:
        raise ValueError(
            f"the box has {d} axes but {len(nodes)} node counts and {len(maps)} axis maps "
            "were given"
        )
    for n in nodes:
        lobatto_nodes(n)
    check_maps(maps, bounds)
    return nodes, maps


def check_maps(maps: tuple[str, ...], bounds: np.ndarray) -> None:
    """``ValueError`` unless each axis map is known and fits its axis of the box."""
    for a, (m, (lo, hi)) in enumerate(zip(maps, bounds, strict=True)):
        if m not in AXIS_MAPS:
            raise ValueError(f"unknown axis map {m!r}; choose from {', '.join(AXIS_MAPS)}")
        if not hi > lo:
            raise ValueError(f"axis {a} of the box is empty: [{lo:g}, {hi:g}]")
        if m == "log" and lo * hi <= 0:
            raise ValueError(f"axis {a}: a log map needs a box of one sign, got [{lo:g}, {hi:g}]")


def check_sparse_design(
    level: int | None, maps, bounds: np.ndarray, n: int | None = None
) -> tuple[str, ...]:
    """Validated axis maps of a sparse-grid design of ``level`` on the box ``bounds``
    (``ValueError`` if the level is missing or too large, or ``n`` is not its node count)."""
    if level is None:
        raise ValueError("a sparse-grid design needs a level (--level)")
    maps = tuple(maps) or ("linear",) * len(bounds)
    if len(maps) != len(bounds):
        raise ValueError(f"the box has {len(bounds)} axes but {len(maps)} axis maps were given")
    check_maps(maps, bounds)
    count = check_level(len(bounds), level)
    if n is not None and n != count:
        raise ValueError(
            f"a level-{level} sparse grid in {len(bounds)} dimensions has {count} nodes, not n={n}"
        )
    return maps


def to_reference(x, bounds: np.ndarray, maps: tuple[str, ...]):
    """Rows ``x`` (N, d) of the box in reference coordinates t ∈ [−1, 1]^d (NumPy or torch)."""
    xp = array_namespace(x)
    cols = []
    for a, (m, (lo, hi)) in enumerate(zip(maps, bounds, strict=True)):
        v = x[:, a]
        if m == "log":
            v, lo, hi = xp.log(xp.abs(v)), np.log(abs(lo)), np.log(abs(hi))
        cols.append((2.0 * (v - lo)) / (hi - lo) - 1.0)
    return xp.stack(cols, axis=1)


def from_reference(t: np.ndarray, bounds: np.ndarray, maps: tuple[str, ...]) -> np.ndarray:
    """The inverse of :func:`to_reference` (NumPy): box rows from reference rows."""
    t = np.asarray(t, dtype=float)
    cols = []
    for a, (m, (lo, hi)) in enumerate(zip(maps, bounds, strict=True)):
        w = 0.5 * (t[:, a] + 1.0)
        if m == "log":
            a_, b_ = np.log(abs(lo)), np.log(abs(hi))
            v = np.sign(lo) * np.exp(a_ + w * (b_ - a_))
            v = np.where(t[:, a] == -1.0, lo, np.where(t[:, a] == 1.0, hi, v))
        else:
            v = np.where(t[:, a] == 1.0, hi, lo + w * (hi - lo))
        cols.append(v)
    return np.stack(cols, axis=1)


def grid_rows(nodes: tuple[int, ...], start: int = 0, count: int | None = None) -> np.ndarray:
    """Rows ``start … start+count`` of the tensor grid of Lobatto nodes in reference
    coordinates, (count, d), in C order of the multi-index (the last axis fastest)."""
    total = int(np.prod(nodes))
    stop = total if count is None else min(total, start + count)
    idx = np.unravel_index(np.arange(start, stop), nodes)
    return np.stack([lobatto_nodes(n)[i] for n, i in zip(nodes, idx, strict=True)], axis=1)


def node_indices(t: np.ndarray, nodes: tuple[int, ...], tol: float = 1e-9) -> np.ndarray:
    """Flat grid index of each reference row ``t`` (−1 where a row is no node)."""
    flat = np.zeros(len(t), dtype=np.int64)
    ok = np.ones(len(t), dtype=bool)
    for a, n in enumerate(nodes):
        j = np.rint(np.arccos(np.clip(t[:, a], -1.0, 1.0)) * (n - 1) / np.pi).astype(np.int64)
        j = np.clip(j, 0, n - 1)
        ok &= np.abs(lobatto_nodes(n)[j] - t[:, a]) <= tol
        flat = flat * n + j
    return np.where(ok, flat, -1)


def affine_box(provider, rng_seed: int = 0) -> np.ndarray:
    """The box (d, 2) a provider's ``from_unit`` maps the unit cube onto, checked to be
    affine per axis and without cuts (``ValueError`` otherwise: no tensor design fits it)."""
    d = provider.unit_dim
    u = np.random.default_rng(rng_seed).random((64, d))
    x, keep = provider.from_unit(u)
    if x.shape[1] != d:
        raise ValueError(
            f"provider {provider.name} maps {d} unit-cube coordinates to {x.shape[1]} "
            "inputs: a tensor node design needs one input per coordinate (a box of parameters)"
        )
    try:
        (lo,), keep_lo = provider.from_unit(np.zeros((1, d)))
        (hi,), keep_hi = provider.from_unit(np.ones((1, d)))
    except (ValueError, ArithmeticError) as exc:
        raise ValueError(
            f"provider {provider.name} is undefined on the unit cube's corners ({exc}): a "
            "Chebyshev design needs a box of parameters"
        ) from None
    affine = lo + (hi - lo) * u
    scale = np.maximum(np.abs(hi - lo), 1e-300)
    if not (keep.all() and keep_lo.all() and keep_hi.all()):
        raise ValueError(f"provider {provider.name} cuts points: no tensor design fits it")
    if np.max(np.abs(x - affine) / scale) > 1e-12:
        raise ValueError(
            f"provider {provider.name} does not map the unit cube affinely onto a box "
            "(e.g. RAMBO phase space): a Chebyshev design needs a box of parameters"
        )
    return np.stack([lo, hi], axis=1)


def unit_design(
    nodes: tuple[int, ...],
    maps: tuple[str, ...],
    box: np.ndarray,
    start: int = 0,
    count: int | None = None,
    level: int | None = None,
) -> np.ndarray:
    """Rows ``start … start+count`` of the node design in the unit cube of a provider that
    maps it affinely onto ``box``: u = (x − lo)/(hi − lo) with x the nodes in the box
    (through the axis ``maps``): the tensor grid of ``nodes``, or with ``level`` the
    sparse grid of that level (:func:`hepemu.data.sparse_nodes.sparse_rows`)."""
    if level is not None:
        t = sparse_rows(len(box), level, start, count)
    else:
        t = grid_rows(nodes, start, count)
    x = from_reference(t, box, maps)
    u = (x - box[:, 0]) / (box[:, 1] - box[:, 0])
    return np.clip(u, 0.0, 1.0)


def grid_values(
    x: np.ndarray, y: np.ndarray, nodes: tuple[int, ...], maps: tuple[str, ...], box: np.ndarray
) -> np.ndarray:
    """The values ``y`` at rows ``x`` of a node design arranged on the grid (shape ``nodes``).

    ``ValueError`` naming the first missing nodes (in the box's units) if rows are missing
    (a generation left unfinished, points dropped as non-finite) and naming rows that are no
    node of this design; a node given twice must have one value.
    """
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(len(x))
    flat = node_indices(to_reference(x, box, maps), nodes)
    if np.any(flat < 0):
        bad = np.flatnonzero(flat < 0)
        raise ValueError(
            f"{len(bad)} row(s) are no node of the {'×'.join(map(str, nodes))} design "
            f"(first: row {bad[0] + 1}, {x[bad[0]].tolist()}): not a chebyshev node dataset"
        )
    values = np.full(int(np.prod(nodes)), np.nan)
    values[flat] = y
    if np.any(values[flat] != y):
        raise ValueError("a node appears twice with different values")
    missing = np.flatnonzero(~np.isfinite(values))
    if len(missing):
        pts = from_reference(grid_rows(nodes)[missing[:3]], box, maps)
        shown = "; ".join(", ".join(f"{v:.6g}" for v in p) for p in pts)
        raise ValueError(
            f"the node dataset is incomplete: {len(missing)} of {len(values)} nodes have no "
            f"finite value (first: {shown}); finish or regenerate it (hepemu data generate "
            "resumes), or check its rejected points"
        )
    return values.reshape(nodes)


def refined(values: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``values`` on a grid refined n → 2n − 1 along ``axes``: every old node keeps its value
    (at the even indices of those axes), the new nodes are NaN (to be labelled)."""
    shape = tuple(2 * n - 1 if a in axes else n for a, n in enumerate(values.shape))
    out = np.full(shape, np.nan)
    out[tuple(slice(None, None, 2) if a in axes else slice(None) for a in range(values.ndim))] = (
        values
    )
    return out
