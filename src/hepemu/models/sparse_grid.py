"""A Smolyak sparse-grid interpolant on a box of parameters as a surrogate (kind
``sparse-grid``), for the 3–12 parameters where a tensor grid is too large.

It is built by :class:`hepemu.models.smolyak.SmolyakSet` from labels on nested
Clenshaw–Curtis nodes (:mod:`hepemu.data.sparse_nodes`; axes mapped linearly or in log|x| to
t ∈ [−1, 1] as for ``chebyshev``) and stored as the sparse Chebyshev expansion it equals:
p(t) = Σ_m c_m Π_a T_{D_ma}(t_a) over the degree multi-indices D (M, d), evaluated by the
three-term recurrence per axis, one matmul over the last axis's degrees and one
gather-product per other axis (:func:`evaluate_split`), vectorised over points. The
target is interpolated as is (``none``) or as log(sign·y) (``log``). The error estimate is the
sum of the hierarchical surpluses of the active (last) indices (relative for ``log``); σ is
calibrated on held-out points like every kind's. It interpolates and never extrapolates:
points outside its box are refused (``check_valid``; the exported graph answers NaN there).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from hepemu.data.nodes import check_maps, from_reference, to_reference
from hepemu.data.sparse_nodes import fine_to_reference
from hepemu.models.box_interpolant import BoxGraph, BoxInterpolant
from hepemu.models.calibration import GAUSSIAN_TARGETS
from hepemu.models.chebyshev import vandermonde
from hepemu.models.smolyak import SmolyakSet

KIND = "sparse-grid"
MAX_DIM = 12
BATCH_ENTRIES = 2**20  # rows × degree prefixes per evaluation batch


def check_box(bounds, maps) -> tuple[np.ndarray, tuple[str, ...]]:
    """Validated box (d, 2) and axis maps (empty: all linear) of a sparse grid."""
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 2)
    maps = (maps,) if isinstance(maps, str) else tuple(maps)
    maps = maps or ("linear",) * len(bounds)
    if not 2 <= len(bounds) <= MAX_DIM or len(maps) != len(bounds):
        raise ValueError(
            f"a sparse grid needs 2 to {MAX_DIM} axes and one map per axis, got "
            f"{len(bounds)} axes and {len(maps)} maps"
        )
    check_maps(maps, bounds)
    return bounds, maps


def split_last_axis(degrees: np.ndarray, coefficients: np.ndarray):
    """The expansion regrouped for evaluation: the distinct degree rows of the first d − 1
    axes, P (n_p, d − 1), and the coefficients over the last axis's degree per row of P, in
    blocks of rows that need as many last-axis degrees (a sparse grid's set is a hyperbolic
    cross: long rows are few), so that p(t) = Σ_p Π_{a<d−1} T_{P_pa}(t_a) · Σ_j C_pj
    T_j(t_{d−1}). Returns P (sorted by block) and the blocks (n_b, width_b)."""
    prefixes, inverse = np.unique(degrees[:, :-1], axis=0, return_inverse=True)
    inverse = inverse.ravel()
    table = np.zeros((len(prefixes), int(degrees[:, -1].max()) + 1))
    table[inverse, degrees[:, -1]] = coefficients
    width = np.zeros(len(prefixes), dtype=np.int64)
    np.maximum.at(width, inverse, degrees[:, -1] + 1)
    order = np.argsort(width, kind="stable")
    blocks = [table[order[width[order] == w], :w] for w in np.unique(width)]
    return prefixes[order], blocks


def evaluate_split(prefixes, blocks: list, top: list[int], t):
    """p at reference rows ``t`` (N, d) from :func:`split_last_axis`'s form (NumPy or torch):
    one matmul per block on the last axis, then one gather-product per other axis."""
    torch_in = isinstance(t, torch.Tensor)
    vt = vandermonde(t[:, -1], blocks[-1].shape[1]).T  # (degree, point): rows gather fast
    if not torch_in:
        vt = np.ascontiguousarray(vt)
    parts = [b @ vt[: b.shape[1]] for b in blocks]
    out = torch.cat(parts, dim=0) if torch_in else np.concatenate(parts, 0)
    for a, n in enumerate(top):
        va = vandermonde(t[:, a], n).T
        out = out * (va if torch_in else np.ascontiguousarray(va))[prefixes[:, a]]
    return out.sum(0)


class SparseGridInterpolant(BoxInterpolant):
    """A sparse Chebyshev expansion on a box with per-axis maps and a target transform.

    Parameters
    ----------
    degrees, coefficients
        The expansion: degree multi-indices (M, d) and their coefficients (M,).
    bounds, maps
        The box (d, 2) in physical units; ``linear`` or ``log`` per axis.
    transform, sign
        ``none`` (y = p) or ``log`` (y = sign·exp p).
    tail
        The uncalibrated error on the transformed scale (the active surpluses).
    provider, provider_options, reference_options
        The truth that labelled the nodes, as for ``chebyshev`` (for :meth:`reference`).
    """

    kind = KIND
    noun = "sparse-grid interpolant"
    box_source = "the sparse grid's box"

    def __init__(
        self,
        degrees: np.ndarray,
        coefficients: np.ndarray,
        bounds,
        maps,
        input_columns: list[str],
        target: str,
        transform: str = "none",
        sign: float = 1.0,
        tail: float = 0.0,
        provider: str | None = None,
        provider_options: dict | None = None,
        reference_options: dict | None = None,
        info: dict | None = None,
        sigma_scale: float = 1.0,
        sigma_floor: float = 0.0,
    ) -> None:
        self.bounds, self.maps = check_box(bounds, maps)
        self.degrees = np.ascontiguousarray(degrees, dtype=np.int64).reshape(-1, len(self.bounds))
        self.coefficients = np.ascontiguousarray(coefficients, dtype=np.float64).ravel()
        if len(self.degrees) != len(self.coefficients) or not len(self.degrees):
            raise ValueError(
                f"{len(self.degrees)} degree rows for {len(self.coefficients)} coefficients"
            )
        self.init_box(
            input_columns, target, transform, sign, provider, provider_options,
            reference_options, info, sigma_scale, sigma_floor,
        )  # fmt: skip
        self.prefixes, self.blocks = split_last_axis(self.degrees, self.coefficients)
        self.top = [int(v) + 1 for v in self.degrees[:, :-1].max(0)]
        self.tail = float(tail)

    # -- building ---------------------------------------------------------------------
    @classmethod
    def from_set(cls, grid: SmolyakSet, bounds, maps=(), transform="none", sign=1.0, **kwargs):
        """The interpolant of a labelled :class:`SmolyakSet` (labels on the transformed
        scale); ``kwargs`` as for the constructor."""
        degrees, coef = grid.expansion()
        info = {"indices": len(grid.surplus), "nodes": grid.n_nodes, **kwargs.pop("info", {})}
        return cls(
            degrees, coef, bounds, maps, transform=transform, sign=sign,
            tail=grid.error_estimate(), info=info, **kwargs,
        )  # fmt: skip

    # -- prediction -------------------------------------------------------------------
    def transformed(self, x: np.ndarray) -> np.ndarray:
        """p(t(x)), the expansion on the transformed scale, at rows ``x`` inside the box."""
        t = np.clip(to_reference(np.asarray(x, dtype=float), self.bounds, self.maps), -1.0, 1.0)
        batch = max(1, BATCH_ENTRIES // len(self.prefixes))
        out = np.empty(len(t))
        for s in range(0, len(t), batch):
            out[s : s + batch] = evaluate_split(
                self.prefixes, self.blocks, self.top, t[s : s + batch]
            )
        return out

    def calibrate(self, x, y, targets=GAUSSIAN_TARGETS) -> dict[str, float]:
        """As for every kind, after first moving the surplus estimate to the decade of the
        held-out errors (it counts the last level's surpluses, which the interpolant already
        holds, so it exceeds the error by 10–10⁴ on smooth functions, beyond the ×0.1–10 range
        of :func:`~hepemu.models.calibration.fit_scale_and_floor`)."""
        mean, spread = self.mean_and_spread(self.checked(x))
        ok = np.isfinite(mean) & np.isfinite(spread) & (spread > 0) & np.isfinite(y)
        ratio = np.median(np.abs(mean[ok] - np.asarray(y)[ok]) / spread[ok]) if ok.any() else 1.0
        decade = 10.0 ** np.round(np.log10(ratio)) if ratio > 0 else 1.0
        tail = self.tail
        self.tail = tail * decade
        try:
            super().calibrate(x, y, targets)
        finally:
            self.tail = tail
        self.sigma_scale *= decade
        return {"sigma_scale": self.sigma_scale, "sigma_floor": self.sigma_floor}

    # -- export, description, persistence ---------------------------------------------
    def graph(self, dtype: torch.dtype = torch.float64, own_erf: bool = False) -> nn.Module:
        """The prediction as a torch module, x (N, d) → (mean, sigma); NaN outside the box."""
        return SparseGridGraph(self, dtype).eval()

    def describe(self) -> str:
        what, axes, src = self.described_parts()
        size = f"{self.info.get('nodes', '?')} nodes, {len(self.coefficients)} terms"
        return f"sparse-grid interpolant of {what} ({size}; {axes}){src}"

    def tensors(self) -> dict[str, torch.Tensor]:
        return {
            "degrees": torch.from_numpy(self.degrees.astype(np.int32)),
            "coefficients": torch.from_numpy(self.coefficients.copy()),
        }

    @classmethod
    def envelope_arrays(cls, tensors: dict) -> tuple[np.ndarray, ...]:
        return tensors["degrees"].long().numpy(), tensors["coefficients"].double().numpy()


class SparseGridGraph(BoxGraph):
    """Export form of :class:`SparseGridInterpolant` (ONNX: Gather, Mul, MatMul, Exp)."""

    def __init__(self, model: SparseGridInterpolant, dtype: torch.dtype) -> None:
        super().__init__(model, dtype)
        self.top = model.top
        self.register_buffer("prefixes", torch.from_numpy(model.prefixes.astype(np.int64)))
        self.n_blocks = len(model.blocks)
        for i, block in enumerate(model.blocks):
            self.register_buffer(f"block{i}", torch.tensor(block, dtype=dtype))
        self.register_box(model, dtype)

    def expansion(self, t: torch.Tensor) -> torch.Tensor:
        blocks = [getattr(self, f"block{i}") for i in range(self.n_blocks)]
        return evaluate_split(self.prefixes, blocks, self.top, t)


def sparse_interpolate(
    fn: Callable[[np.ndarray], np.ndarray],
    bounds,
    level: int,
    maps=(),
    transform: str = "none",
    tolerance: float | None = None,
    max_nodes: int = 100_000,
    input_columns: list[str] | None = None,
    target: str = "y",
    **kwargs,
) -> SparseGridInterpolant:
    """The sparse-grid interpolant of a vectorised ``fn(x (N, d)) -> (N,)`` on the box
    ``bounds``: the isotropic grid of ``level``, then (with ``tolerance``) refined adaptively
    until the surplus estimate is below it or ``max_nodes`` labels are reached."""
    bounds, maps = check_box(bounds, maps)
    sign = [1.0]

    def scaled(y: np.ndarray) -> np.ndarray:
        return np.log(sign[0] * y) if transform == "log" else y

    def truth(t: np.ndarray) -> np.ndarray:
        return scaled(np.asarray(fn(from_reference(t, bounds, maps)), dtype=float))

    def labels(fine: np.ndarray) -> np.ndarray:  # the first call: the sign for log
        y = np.asarray(fn(from_reference(fine_to_reference(fine), bounds, maps)), dtype=float)
        sign[0] = 1.0 if y[0] > 0 else -1.0
        return scaled(y)

    grid = SmolyakSet.isotropic(len(bounds), level, labels)
    steps = grid.refine(truth, tolerance, max_nodes) if tolerance is not None else []
    columns = input_columns or [f"x{a + 1}" for a in range(len(bounds))]
    return SparseGridInterpolant.from_set(
        grid, bounds, maps, transform, sign[0], input_columns=columns, target=target,
        info={"refinement": steps}, **kwargs,
    )  # fmt: skip
