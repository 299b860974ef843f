"""A tensor-product Chebyshev interpolant on a box of parameters as a surrogate (kind
``chebyshev``).

Values on the Chebyshev–Lobatto grid (:mod:`hepemu.data.nodes`: n_a nodes per axis, axes
mapped linearly or in log|x| to t ∈ [−1, 1]) give the coefficients of
p(t) = Σ_k c_k Π_a T_{k_a}(t_a) by a type-I DCT per axis (Trefethen, *Approximation Theory
and Approximation Practice*, ch. 3: interpolant at Chebyshev points via the FFT); p is
evaluated by the three-term recurrence T_{k+1} = 2t T_k − T_{k−1} per axis and one tensor
contraction, vectorised over points. The target is interpolated as is (``none``) or as
log(sign·y) (``log``: a target of one sign). The error estimate is the coefficient tail
(:func:`coefficient_tail`: the last two index shells of every axis, carried one step further
by their geometric decay), on the transformed scale (relative for ``log``); σ is calibrated on
held-out points like every kind's. It interpolates and never extrapolates: points outside its
box are refused (``check_valid``; the exported graph answers NaN there).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.fft
import torch
from torch import nn

from hepemu.data.nodes import check_design, from_reference, grid_rows, to_reference
from hepemu.models.box_interpolant import BoxGraph, BoxInterpolant

KIND = "chebyshev"


def chebyshev_coefficients(values: np.ndarray) -> np.ndarray:
    """Coefficients c_k of the interpolant of ``values`` on the Lobatto grid (its shape is
    the node counts, node j of an axis at cos(π j/(n−1))): a type-I DCT on every axis,
    divided by n − 1, the first and last coefficient of each axis halved."""
    c = scipy.fft.dctn(np.asarray(values, dtype=float), type=1)
    for a, n in enumerate(c.shape):
        w = np.full(n, 1.0 / (n - 1))
        w[0] *= 0.5
        w[-1] *= 0.5
        c = c * w.reshape((1,) * a + (n,) + (1,) * (c.ndim - a - 1))
    return c


def axis_tails(c: np.ndarray) -> np.ndarray:
    """Per axis a: the sum S of |c_k| over its last two index shells (k_a = n_a − 1, n_a − 2),
    times S over the two before them (the coefficients' geometric decay carried one step on,
    at most 1): what refining that axis would still change."""
    tails = np.zeros(c.ndim)
    for a, n in enumerate(c.shape):
        shell = lambda k, a=a: float(np.abs(np.take(c, k, axis=a)).sum())  # noqa: E731
        last = shell(n - 1) + (shell(n - 2) if n > 2 else 0.0)
        before = shell(n - 3) + shell(n - 4) if n >= 4 else 0.0
        tails[a] = last * (min(1.0, last / before) if before > 0 else 1.0)
    return tails


def coefficient_tail(c: np.ndarray) -> float:
    """The error estimate of an interpolant with coefficients ``c``: :func:`axis_tails`
    summed. On smooth functions it is within a factor ~5 of the 68 % quantile of the error
    (measured in tests/test_chebyshev.py), so calibration only fine-tunes it."""
    return float(axis_tails(c).sum())


def vandermonde(t, n: int):
    """T_0 … T_{n−1} at ``t`` (N,), shape (N, n), by the three-term recurrence (NumPy or
    torch: the same operations in the exported graph)."""
    if isinstance(t, torch.Tensor):
        cols = [torch.ones_like(t), t]
        for _ in range(2, n):
            cols.append(2.0 * t * cols[-1] - cols[-2])
        return torch.stack(cols[:n], dim=1)
    return np.polynomial.chebyshev.chebvander(t, n - 1)


def contract(coef, vanders: list):
    """Σ_k c_k Π_a V_a[:, k_a] for every row: one matmul, then one axis at a time."""
    n_rows = vanders[0].shape[0]
    out = vanders[0] @ coef.reshape(coef.shape[0], -1)
    for v in vanders[1:]:
        out = (out.reshape(n_rows, v.shape[1], -1) * v[:, :, None]).sum(1)
    return out.reshape(n_rows)


class ChebyshevInterpolant(BoxInterpolant):
    """Coefficients on a box with per-axis maps, a target transform and (optionally) the
    provider that labelled its nodes (for :meth:`reference`).

    Parameters
    ----------
    coefficients
        c_k, shape = the node counts per axis.
    bounds
        The box, (d, 2) in physical units.
    maps
        ``linear`` or ``log`` per axis (:mod:`hepemu.data.nodes`).
    transform, sign
        ``none`` (y = p) or ``log`` (y = sign·exp p).
    provider, provider_options
        The truth that labelled the nodes (``hepemu.physics.providers`` name and options);
        ``reference_options`` (default: the same) for the fresh values of :meth:`reference`.
    tail
        The uncalibrated error on the transformed scale (:func:`coefficient_tail`).
    """

    kind = KIND
    noun = "Chebyshev interpolant"
    box_source = "the interpolant's box"

    def __init__(
        self,
        coefficients: np.ndarray,
        bounds,
        maps,
        input_columns: list[str],
        target: str,
        transform: str = "none",
        sign: float = 1.0,
        tail: float | None = None,
        provider: str | None = None,
        provider_options: dict | None = None,
        reference_options: dict | None = None,
        info: dict | None = None,
        sigma_scale: float = 1.0,
        sigma_floor: float = 0.0,
    ) -> None:
        self.coefficients = np.ascontiguousarray(coefficients, dtype=np.float64)
        self.bounds = np.asarray(bounds, dtype=float).reshape(-1, 2)
        self.nodes, self.maps = check_design(self.coefficients.shape, maps, self.bounds)
        self.init_box(
            input_columns, target, transform, sign, provider, provider_options,
            reference_options, info, sigma_scale, sigma_floor,
        )  # fmt: skip
        self.tail = coefficient_tail(self.coefficients) if tail is None else float(tail)

    # -- building ---------------------------------------------------------------------
    @classmethod
    def from_values(cls, values: np.ndarray, bounds, maps=(), transform="none", **kwargs):
        """The interpolant of ``values`` on the Lobatto grid (shape = node counts; node j of
        axis a at t = cos(π j/(n_a − 1))); ``kwargs`` as for the constructor."""
        values = np.asarray(values, dtype=float)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{int(np.sum(~np.isfinite(values)))} node value(s) are not finite")
        sign = 1.0
        if transform == "log":
            sign = 1.0 if np.all(values > 0) else -1.0
            if not np.all(sign * values > 0):
                raise ValueError("transform log needs node values of one sign and no zeros")
            values = np.log(sign * values)
        coef = chebyshev_coefficients(values)
        return cls(
            coef, bounds, maps or ("linear",) * coef.ndim, transform=transform, sign=sign, **kwargs
        )

    # -- prediction -------------------------------------------------------------------
    def transformed(self, x: np.ndarray, batch: int | None = None) -> np.ndarray:
        """p(t(x)), the interpolant on the transformed scale, at rows ``x`` inside the box."""
        t = to_reference(np.asarray(x, dtype=float), self.bounds, self.maps)
        rest = int(np.prod(self.nodes[1:]))
        batch = batch or max(1, 2**21 // rest)
        out = np.empty(len(t))
        for s in range(0, len(t), batch):
            tb = np.clip(t[s : s + batch], -1.0, 1.0)
            vs = [vandermonde(tb[:, a], n) for a, n in enumerate(self.nodes)]
            out[s : s + batch] = contract(self.coefficients, vs)
        return out

    # -- region -----------------------------------------------------------------------
    # -- export, description, persistence ---------------------------------------------
    def graph(self, dtype: torch.dtype = torch.float64, own_erf: bool = False) -> nn.Module:
        """The prediction as a torch module, x (N, d) → (mean, sigma); NaN outside the box."""
        return ChebyshevGraph(self, dtype).eval()

    def describe(self) -> str:
        grid = "×".join(map(str, self.nodes))
        what, axes, src = self.described_parts()
        return f"Chebyshev interpolant of {what} on {grid} Lobatto nodes ({axes}){src}"

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"coefficients": torch.from_numpy(self.coefficients.copy())}

    @classmethod
    def envelope_arrays(cls, tensors: dict) -> tuple[np.ndarray, ...]:
        return (tensors["coefficients"].double().numpy(),)


class ChebyshevGraph(BoxGraph):
    """Export form of :class:`ChebyshevInterpolant`: maps, recurrence, contraction,
    transform and calibrated σ in torch operations (ONNX: MatMul, Mul, ReduceSum, Log, Exp)."""

    def __init__(self, model: ChebyshevInterpolant, dtype: torch.dtype) -> None:
        super().__init__(model, dtype)
        self.nodes = model.nodes
        self.register_buffer("coef", torch.tensor(model.coefficients, dtype=dtype))
        self.register_box(model, dtype)

    def expansion(self, t: torch.Tensor) -> torch.Tensor:
        return contract(self.coef, [vandermonde(t[:, a], n) for a, n in enumerate(self.nodes)])


def interpolate(
    fn: Callable[[np.ndarray], np.ndarray],
    bounds,
    nodes,
    maps=(),
    transform: str = "none",
    input_columns: list[str] | None = None,
    target: str = "y",
    **kwargs,
) -> ChebyshevInterpolant:
    """The interpolant of a vectorised ``fn(x (N, d)) -> (N,)`` on ``nodes`` Lobatto points per
    axis of the box ``bounds`` (``fn`` called once, on every node)."""
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 2)
    nodes, maps = check_design(nodes, maps, bounds)
    x = from_reference(grid_rows(nodes), bounds, maps)
    values = np.asarray(fn(x), dtype=float).reshape(nodes)
    columns = input_columns or [f"x{a + 1}" for a in range(len(nodes))]
    return ChebyshevInterpolant.from_values(
        values, bounds, maps, transform, input_columns=columns, target=target, **kwargs
    )
