"""Regression metrics for any surrogate on (x, y_true) (Bishara, Paul & Dy, "Model
comparison"), timing, model size and maps of the error over pairs of inputs.

Notation: δ = pred/true − 1 (relative error); R_τ = fraction of points with |δ| < τ (τ = 1 %
and 0.1 %); μ_δ, σ_δ = mean and standard deviation of δ; digits = −log10|δ| (|δ| floored at
1e-17, as in ``hepemu.evaluation.metrics``); coverage = fraction of points whose error
|pred − true| is below the model's quoted σ (and 2σ).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402

from hepemu.data.points import CHUNK_ROWS, chunk_bounds  # noqa: E402
from hepemu.evaluation.metrics import FLOOR, boundary_mask, digits_from_delta  # noqa: E402
from hepemu.fileio import atomic_path  # noqa: E402

TAUS = (1e-2, 1e-3)


def deltas(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """δ = pred/true − 1 per point."""
    return np.asarray(pred, dtype=float) / np.asarray(true, dtype=float) - 1.0


def r_tau(delta: np.ndarray, tau: float) -> float:
    """R_τ: the fraction of points with |δ| < τ (τ = 0.01 for 1 %)."""
    return float(np.mean(np.abs(np.asarray(delta)) < tau))


def digits(delta: np.ndarray) -> np.ndarray:
    """Correct digits −log10|δ| per point (|δ| floored at 1e-17)."""
    return digits_from_delta(np.asarray(delta, dtype=float))


def coverage(
    pred: np.ndarray, sigma: np.ndarray | None, true: np.ndarray, k: float = 1.0
) -> float | None:
    """Fraction of points with |pred − true| < k·σ; None when the model quotes no σ (None or
    all NaN). A point with NaN σ counts as not covered."""
    if sigma is None:
        return None
    sigma = np.asarray(sigma, dtype=float)
    if not np.any(np.isfinite(sigma)):
        return None
    err = np.abs(np.asarray(pred, dtype=float) - np.asarray(true, dtype=float))
    return float(np.mean(err < k * sigma))


def scale_to_box(x: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Inputs mapped to [−1, 1]^d by a box given as rows (lo, hi) per input column."""
    box = np.asarray(box, dtype=float).reshape(-1, 2)
    lo, hi = box[:, 0], box[:, 1]
    return 2.0 * (np.asarray(x, dtype=float) - lo) / np.where(hi > lo, hi - lo, 1.0) - 1.0


@dataclass
class RegressionMetrics:
    """Headline numbers of a surrogate on a test set (fractions, not percent).

    ``r_1``, ``r_0_1``: R_τ for τ = 1 % and 0.1 %; ``mu_delta``, ``sigma_delta``: mean and
    standard deviation of δ; ``mean_digits``: −⟨log10|δ|⟩; ``mean_digits_boundary``: the
    same on the points within ``boundary_width`` of the box's faces (NaN without a box or
    such points); ``coverage_1sigma``/``coverage_2sigma``: fraction with |pred − true| < σ,
    2σ (None without σ); ``us_per_point``, ``size_bytes``: timing and model size when known.
    """

    n_points: int
    r_1: float
    r_0_1: float
    mu_delta: float
    sigma_delta: float
    mean_digits: float
    median_digits: float
    worst_digits: float
    mean_digits_boundary: float
    n_boundary: int
    coverage_1sigma: float | None
    coverage_2sigma: float | None
    us_per_point: float | None = None
    size_bytes: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def regression_metrics(
    pred: np.ndarray,
    true: np.ndarray,
    sigma: np.ndarray | None = None,
    x: np.ndarray | None = None,
    box: np.ndarray | None = None,
    boundary_width: float = 0.05,
) -> RegressionMetrics:
    """Metrics of predictions ``pred`` (and quoted errors ``sigma``) against ``true``.

    ``box`` (rows (lo, hi) per input column) with the inputs ``x`` selects the boundary layer:
    points within ``boundary_width`` of the full range of some face (as
    :func:`hepemu.evaluation.metrics.boundary_mask`).
    """
    true = np.asarray(true, dtype=float)
    d = deltas(pred, true)
    dig = digits(d)
    n_b, dig_b = 0, float("nan")
    if box is not None and x is not None:
        mask = boundary_mask(scale_to_box(x, box), boundary_width)
        n_b = int(mask.sum())
        dig_b = float(dig[mask].mean()) if n_b else float("nan")
    return RegressionMetrics(
        n_points=len(d),
        r_1=r_tau(d, TAUS[0]),
        r_0_1=r_tau(d, TAUS[1]),
        mu_delta=float(d.mean()),
        sigma_delta=float(d.std()),
        mean_digits=float(dig.mean()),
        median_digits=float(np.median(dig)),
        worst_digits=float(dig.min()),
        mean_digits_boundary=dig_b,
        n_boundary=n_b,
        coverage_1sigma=coverage(pred, sigma, true, 1.0),
        coverage_2sigma=coverage(pred, sigma, true, 2.0),
    )


def time_per_point_us(fn: Callable[[np.ndarray], object], x: np.ndarray, repeats: int = 5) -> float:
    """Median over ``repeats`` timed calls of ``fn(x)`` (after one warm-up call), in µs per
    point."""
    x = np.asarray(x)
    fn(x)
    times = np.empty(repeats)
    for i in range(repeats):
        t0 = time.perf_counter()
        fn(x)
        times[i] = time.perf_counter() - t0
    return float(np.median(times) / max(len(x), 1) * 1e6)


def model_size_bytes(model) -> int:
    """A surrogate's size: the bytes of the tensors its file stores (weights, tree bytes)."""
    return int(sum(t.numel() * t.element_size() for t in model.tensors().values()))


def evaluate_surrogate(
    model,
    x: np.ndarray,
    y_true: np.ndarray,
    box: np.ndarray | None = None,
    boundary_width: float = 0.05,
    timing_points: int = 10_000,
    repeats: int = 5,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[RegressionMetrics, np.ndarray]:
    """Metrics of any surrogate (``predict(x) -> (mean, sigma)``) on (x, y_true), with its
    time per point (on the first ``timing_points`` rows; 0 to skip) and size.

    Returns the metrics and δ per point (for :func:`error_map`). The model predicts
    ``chunk_rows`` rows at a time (:func:`predict_chunked`).
    """
    x = np.asarray(x, dtype=float)
    mean, sigma = predict_chunked(model, x, chunk_rows)
    m = regression_metrics(mean, y_true, sigma, x, box, boundary_width)
    if timing_points:
        m.us_per_point = time_per_point_us(model.predict, x[:timing_points], repeats)
    m.size_bytes = model_size_bytes(model)
    return m, deltas(mean, y_true)


def predict_chunked(
    model, x: np.ndarray, chunk_rows: int = CHUNK_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """``model.predict(x)`` in chunks of ``chunk_rows`` rows (the chunks of
    :func:`hepemu.data.points.chunk_bounds`: none under 64 rows unless ``x`` is, so each row
    gets the numbers one whole call gives), bounding the memory of the model's forward pass."""
    parts = [model.predict(x[a:b]) for a, b in chunk_bounds(len(x), chunk_rows)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


# -- error maps ----------------------------------------------------------------------------
def binned_median(
    idx: np.ndarray, values: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """Median of ``values`` per bin index in ``[0, n_bins)`` (NaN where empty) and counts."""
    counts = np.bincount(idx, minlength=n_bins)
    order = np.lexsort((values, idx))
    v = values[order]
    starts = np.cumsum(counts) - counts
    lo = starts + np.maximum(counts - 1, 0) // 2
    hi = starts + counts // 2
    n = len(v)
    med = 0.5 * (v[np.minimum(lo, n - 1)] + v[np.minimum(hi, n - 1)])
    return np.where(counts > 0, med, np.nan), counts


def _bin_index(col: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = float(col.min()), float(col.max())
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    return np.clip(((col - lo) / (hi - lo) * bins).astype(int), 0, bins - 1), edges


def error_map(
    x: np.ndarray,
    delta: np.ndarray,
    columns: Sequence[str],
    out_png: str | Path,
    stat: str = "median",
    bins: int = 24,
    pairs: Sequence[tuple[int, int]] | None = None,
    max_pairs: int = 12,
    title: str = "",
) -> Path:
    """A PNG of the error over pairs of inputs (2-D bins): median |δ| (``stat="median"``,
    log colour scale) or R_1, the fraction with |δ| < 1 % (``stat="r1"``).

    One panel per pair (all pairs, at most ``max_pairs``, unless ``pairs`` is given); with a
    single input, |δ| against that input.
    """
    if stat not in ("median", "r1"):
        raise ValueError(f"stat must be 'median' or 'r1', got {stat!r}")
    out = Path(out_png)
    x = np.asarray(x, dtype=float).reshape(len(delta), -1)
    a = np.abs(np.asarray(delta, dtype=float))
    d = x.shape[1]
    if len(columns) != d:
        raise ValueError(f"{len(columns)} column names for {d} input columns")
    label = "median |δ|" if stat == "median" else "R₁: fraction with |δ| < 1 %"
    if d == 1:
        fig, ax = plt.subplots(figsize=(5.5, 4.0), layout="constrained")
        idx, edges = _bin_index(x[:, 0], bins)
        if stat == "median":
            val, _ = binned_median(idx, a, bins)
        else:
            val = np.bincount(idx, a < 1e-2, bins) / np.maximum(np.bincount(idx, None, bins), 1)
        ax.stairs(val, edges, baseline=None, lw=1.5)
        ax.set(xlabel=columns[0], ylabel=label, yscale="log" if stat == "median" else "linear")
        ax.set_title(title or f"{label} against {columns[0]}")
        return _save(fig, out)
    pairs = list(pairs) if pairs is not None else list(combinations(range(d), 2))[:max_pairs]
    ncol = min(3, len(pairs))
    nrow = -(-len(pairs) // ncol)
    fig, axes = plt.subplots(
        nrow,
        ncol,
        figsize=(max(4.6 * ncol, 6.0), 3.9 * nrow + 0.4),
        squeeze=False,
        layout="constrained",
    )
    panels = []
    for i, j in pairs:
        ii, ex = _bin_index(x[:, i], bins)
        jj, ey = _bin_index(x[:, j], bins)
        cell = ii * bins + jj
        if stat == "median":
            val, _ = binned_median(cell, np.maximum(a, FLOOR), bins * bins)
        else:
            n = np.bincount(cell, None, bins * bins)
            val = np.where(
                n > 0, np.bincount(cell, a < 1e-2, bins * bins) / np.maximum(n, 1), np.nan
            )
        panels.append((i, j, ex, ey, val.reshape(bins, bins).T))
    norm = Normalize(0.0, 1.0)
    if stat == "median":  # one log scale over all panels' bins
        vals = np.concatenate([v.ravel() for *_, v in panels])
        vals = vals[np.isfinite(vals) & (vals > 0)]
        vmin = float(vals.min()) if vals.size else FLOOR
        norm = LogNorm(vmin=vmin, vmax=max(float(vals.max()) if vals.size else 1.0, 10 * vmin))
    mesh = None
    for ax, (i, j, ex, ey, val) in zip(axes.flat, panels, strict=False):
        mesh = ax.pcolormesh(ex, ey, val, norm=norm, cmap="viridis")
        ax.set_xlabel(columns[i], fontsize=11)
        ax.set_ylabel(columns[j], fontsize=11)
    for ax in list(axes.flat)[len(pairs) :]:
        ax.set_visible(False)
    if mesh is not None:
        fig.colorbar(mesh, ax=axes.ravel().tolist(), label=label, shrink=0.9)
    fig.suptitle(title or f"{label}\n{len(a)} points, {bins} × {bins} bins per pair", fontsize=11)
    return _save(fig, out)


def _save(fig, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fmt = Path(out).suffix.lstrip(".").lower() or matplotlib.rcParams["savefig.format"]
    with atomic_path(out) as tmp:  # written whole or not at all
        fig.savefig(tmp, dpi=110, format=fmt)
    plt.close(fig)
    return out
