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
from hepemu.models.envelope import header_json
from hepemu.models.surrogate import Region, Surrogate

KIND = "chebyshev"
TRANSFORMS = ("none", "log")
BOX_TOLERANCE = 1e-12  # relative to the box width: rows this close to it count as inside


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


class ChebyshevInterpolant(Surrogate):
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
        if transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}")
        if sign not in (1.0, -1.0):
            raise ValueError(f"sign must be 1 or -1, got {sign}")
        if len(input_columns) != len(self.nodes):
            raise ValueError(f"{len(input_columns)} input columns for a {len(self.nodes)}-D box")
        self.input_columns, self.target = list(input_columns), target
        self.transform, self.sign = transform, float(sign)
        self.tail = coefficient_tail(self.coefficients) if tail is None else float(tail)
        self.provider = provider
        self.provider_options = dict(provider_options or {})
        self.reference_options = dict(reference_options or self.provider_options)
        self.info = dict(info or {})
        self.sigma_scale, self.sigma_floor = float(sigma_scale), float(sigma_floor)

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

    def mean_and_spread(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The interpolant and the coefficient tail (relative to |mean| for ``log``)."""
        x = self.checked(x)
        self.check_valid(x)
        p = self.transformed(x)
        if self.transform == "log":
            mean = self.sign * np.exp(p)
            return mean, self.tail * np.abs(mean)
        return p, np.full(len(p), self.tail)

    # -- region -----------------------------------------------------------------------
    def region(self) -> Region:
        return Region(tuple(self.input_columns), self.bounds.copy(), "the interpolant's box")

    def outside_region(self, x: np.ndarray) -> tuple[np.ndarray, str]:
        box = self.region()
        return box.outside(np.asarray(x, dtype=float), BOX_TOLERANCE), box.describe()

    def check_valid(self, x: np.ndarray) -> None:
        """``ValueError`` naming the rows (from 1) outside the box: no extrapolation."""
        outside, where = self.outside_region(self.checked(x))
        bad = np.flatnonzero(outside)
        if len(bad):
            rows = ", ".join(map(str, bad[:10] + 1)) + (" …" if len(bad) > 10 else "")
            raise ValueError(
                f"{len(bad)} point(s) outside {where}: rows {rows} (a Chebyshev interpolant "
                "does not extrapolate)"
            )

    # -- truth, export, description ---------------------------------------------------
    def reference(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` uniform points of the box and their values by the provider that labelled
        the nodes, with ``reference_options`` (e.g. a finer quadrature rule)."""
        if self.provider is None:
            return super().reference(n, seed)
        from hepemu.physics.providers import get_provider

        lo, hi = self.bounds[:, 0], self.bounds[:, 1]
        x = lo + (hi - lo) * np.random.default_rng(seed).random((n, len(lo)))
        truth = get_provider(self.provider, dict(self.reference_options))
        return x, np.asarray(truth(x), dtype=float)

    def graph(self, dtype: torch.dtype = torch.float64, own_erf: bool = False) -> nn.Module:
        """The prediction as a torch module, x (N, d) → (mean, sigma); NaN outside the box."""
        return ChebyshevGraph(self, dtype).eval()

    def describe(self) -> str:
        grid = "×".join(map(str, self.nodes))
        axes = ", ".join(f"{c} {m}" for c, m in zip(self.input_columns, self.maps, strict=True))
        what = f"log {self.target}" if self.transform == "log" else self.target
        src = f" labelled by {self.provider}" if self.provider else ""
        return f"Chebyshev interpolant of {what} on {grid} Lobatto nodes ({axes}){src}"

    # -- persistence ------------------------------------------------------------------
    def tensors(self) -> dict[str, torch.Tensor]:
        return {"coefficients": torch.from_numpy(self.coefficients.copy())}

    def settings(self) -> dict:
        return {
            "bounds": self.bounds.tolist(),
            "maps": list(self.maps),
            "transform": self.transform,
            "sign": self.sign,
            "tail": self.tail,
            "provider": self.provider,
            "provider_options": self.provider_options,
            "reference_options": self.reference_options,
        }

    @classmethod
    def from_envelope(cls, tensors: dict, header: dict) -> ChebyshevInterpolant:
        """Rebuild from a loaded (digest-checked) ``kind = "chebyshev"`` envelope."""
        get = lambda k, d=None: header_json(header, k, d)  # noqa: E731
        return cls(
            tensors["coefficients"].double().numpy(),
            get("bounds"),
            get("maps"),
            get("input_columns"),
            get("target"),
            transform=get("transform"),
            sign=float(get("sign")),
            tail=float(get("tail")),
            provider=header_json(header, "provider") if header.get("provider") else None,
            provider_options=get("provider_options", {}),
            reference_options=get("reference_options", {}),
            info=get("info", {}),
            sigma_scale=float(get("sigma_scale", 1.0)),
            sigma_floor=float(get("sigma_floor", 0.0)),
        )


class ChebyshevGraph(nn.Module):
    """Export form of :class:`ChebyshevInterpolant`: maps, recurrence, contraction,
    transform and calibrated σ in torch operations (ONNX: MatMul, Mul, ReduceSum, Log, Exp)."""

    def __init__(self, model: ChebyshevInterpolant, dtype: torch.dtype) -> None:
        super().__init__()
        self.nodes, self.maps = model.nodes, model.maps
        self.log_target, self.sign = model.transform == "log", model.sign
        self.tail, self.scale, self.floor = model.tail, model.sigma_scale, model.sigma_floor
        self.register_buffer("coef", torch.tensor(model.coefficients, dtype=dtype))
        lo, hi = model.bounds[:, 0].copy(), model.bounds[:, 1].copy()
        for a, m in enumerate(self.maps):
            if m == "log":
                lo[a], hi[a] = np.log(abs(lo[a])), np.log(abs(hi[a]))
        self.register_buffer("lo", torch.tensor(lo, dtype=dtype))
        self.register_buffer("hi", torch.tensor(hi, dtype=dtype))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cols = [
            torch.log(torch.abs(x[:, a])) if m == "log" else x[:, a]
            for a, m in enumerate(self.maps)
        ]
        t = 2.0 * (torch.stack(cols, dim=1) - self.lo) / (self.hi - self.lo) - 1.0
        outside = ((t < -1.0 - BOX_TOLERANCE) | (t > 1.0 + BOX_TOLERANCE)).any(dim=1)
        t = torch.clamp(t, -1.0, 1.0)
        p = contract(self.coef, [vandermonde(t[:, a], n) for a, n in enumerate(self.nodes)])
        if self.log_target:
            mean = self.sign * torch.exp(p)
            spread = self.tail * torch.abs(mean)
        else:
            mean, spread = p, torch.full_like(p, self.tail)
        sigma = torch.sqrt((self.scale * spread) ** 2 + (self.floor * mean) ** 2)
        nan = torch.full_like(mean, float("nan"))
        return torch.where(outside, nan, mean), torch.where(outside, nan, sigma)


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
