"""Histogram plots of P, R and error-honesty values (PNG, matplotlib Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from hepemu.evaluation.metrics import (  # noqa: E402
    boundary_mask,
    error_honesty,
    p_values,
    r_values,
)


def _save(fig, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def precision_histograms(
    est: np.ndarray,
    true: np.ndarray,
    s_scaled: np.ndarray,
    out: str | Path,
    sigma: np.ndarray | None = None,
    title: str = "",
) -> Path:
    """Write a PNG with P (all / boundary layer), R and log10(σ/|e−t|) histograms."""
    out = Path(out)
    p = p_values(est, true)
    r = r_values(est, true)
    bm = boundary_mask(s_scaled)
    ncol = 3 if sigma is not None and np.any(sigma > 0) else 2
    fig, axes = plt.subplots(1, ncol, figsize=(4.2 * ncol, 3.6))
    bins = np.linspace(np.floor(p.min()) - 0.25, max(np.ceil(p.max()), p.min() + 1.0), 50)
    axes[0].hist(p, bins=bins, histtype="step", lw=1.5, label=f"all ({-p.mean():.2f} digits)")
    if bm.any():
        axes[0].hist(
            p[bm],
            bins=bins,
            histtype="step",
            lw=1.5,
            ls="--",
            label=f"boundary ({-p[bm].mean():.2f})",
        )
    axes[0].set_xlabel("P = log10|e/t − 1|")
    axes[0].set_ylabel("points")
    axes[0].legend(fontsize=8)
    lim = max(np.abs(r).max(), 1e-8)
    axes[1].hist(r, bins=np.linspace(-lim, lim, 50), histtype="step", lw=1.5)
    axes[1].set_xlabel("R = log10|e/t|")
    if ncol == 3:
        h = error_honesty(est, sigma, true)
        axes[2].hist(h, bins=50, histtype="step", lw=1.5)
        axes[2].axvline(0.0, color="k", lw=0.8)
        axes[2].set_xlabel("log10(σ / |e − t|)")
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def training_curve(history: list[dict], out: str | Path, title: str = "") -> Path:
    """Validation digits and loss against training step."""
    out = Path(out)
    steps = [h["step"] for h in history]
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.plot(steps, [h["digits"] for h in history], "o-", ms=3, label="validation digits")
    ax.set_xlabel("step")
    ax.set_ylabel("mean digits")
    ax2 = ax.twinx()
    ax2.semilogy(steps, [max(h["loss"], 1e-30) for h in history], "r-", lw=0.8, label="loss")
    ax2.set_ylabel("training loss (EMA)")
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, out)


def dataset_overview(
    inputs: np.ndarray, targets: np.ndarray, columns: list[str], out: str | Path, title: str = ""
) -> Path:
    """Write a PNG with a histogram per varying input column and of log10|target|.

    Constant columns (e.g. fixed beam momenta) are listed in the title instead of plotted.
    """
    out = Path(out)
    y = np.asarray(targets, dtype=float).reshape(len(targets), -1)[:, 0]
    names = [columns[j] if j < len(columns) else f"x{j + 1}" for j in range(inputs.shape[1])]
    varying = [j for j in range(inputs.shape[1]) if np.ptp(inputs[:, j]) > 0]
    fixed = [f"{names[j]}={inputs[0, j]:.6g}" for j in range(inputs.shape[1]) if j not in varying]
    n_plots = len(varying) + 1
    ncols = min(4, n_plots)
    nrows = -(-n_plots // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
    flat = axes.ravel()
    for ax, j in zip(flat, varying, strict=False):
        ax.hist(inputs[:, j], bins=60, color="tab:blue")
        ax.set_xlabel(names[j])
    nonzero = y != 0
    last = flat[len(varying)]
    last.hist(np.log10(np.abs(y[nonzero])), bins=60, color="tab:orange")
    last.set_xlabel(f"log10|target| ({np.count_nonzero(~nonzero)} zeros)")
    for ax in flat[n_plots:]:
        ax.axis("off")
    head = title or f"{len(y)} points"
    if fixed:
        head += "\nconstant: " + ", ".join(fixed[:8]) + (" …" if len(fixed) > 8 else "")
    fig.suptitle(head, fontsize=9)
    return _save(fig, out)
