"""Plots of P, R, error honesty, precision against the parameters, training curves and
datasets (PNG, matplotlib Agg backend).

Notation: e = surrogate estimate, t = reference ("true") value, σ = the quoted error of e;
P = log10|e/t − 1| (−P = correct digits), R = log10|e/t| (thesis eqs. 5.1–5.2).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from hepemu.evaluation.metrics import (  # noqa: E402
    boundary_mask,
    error_honesty,
    p_values,
    r_values,
)
from hepemu.fileio import atomic_path  # noqa: E402

_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _save(fig, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fmt = Path(out).suffix.lstrip(".").lower() or matplotlib.rcParams["savefig.format"]
    with atomic_path(out) as tmp:  # written whole or not at all
        fig.savefig(tmp, dpi=110, format=fmt)
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
    """Write a PNG with P (all / boundary layer), R and log10(σ/|e−t|) histograms.

    e: surrogate estimate, t: reference value, σ: the surrogate's quoted error.
    """
    out = Path(out)
    p = p_values(est, true)
    r = r_values(est, true)
    bm = boundary_mask(s_scaled)
    ncol = 3 if sigma is not None and np.any(sigma > 0) else 2
    fig, axes = plt.subplots(1, ncol, figsize=(4.4 * ncol, 3.9))
    bins = np.linspace(np.floor(p.min()) - 0.25, max(np.ceil(p.max()), p.min() + 1.0), 50)
    axes[0].hist(p, bins=bins, histtype="step", lw=1.5, label=f"all ({-p.mean():.2f} digits)")
    if bm.any():
        axes[0].hist(
            p[bm],
            bins=bins,
            histtype="step",
            lw=1.5,
            ls="--",
            label=f"boundary 5 % ({-p[bm].mean():.2f})",
        )
    axes[0].set_xlabel("P = log10|e/t − 1|   (digits = −P)")
    axes[0].set_ylabel("points")
    axes[0].legend(fontsize=8)
    # R is tiny (|R| ~ 1e-4): plot it in units of 10⁻ⁿ so tick labels stay short
    lim = max(float(np.abs(r).max()), 1e-12)
    expo = int(np.floor(np.log10(lim)))
    scale = 10.0**expo
    axes[1].hist(
        r / scale, bins=np.linspace(-lim / scale, lim / scale, 50), histtype="step", lw=1.5
    )
    axes[1].set_xlabel(f"R = log10|e/t|   (× 10{str(expo).translate(_SUP)})")
    axes[1].axvline(0.0, color="k", lw=0.8)
    if ncol == 3:
        h = error_honesty(est, sigma, true)
        cov = float(np.mean(h >= 0))
        axes[2].hist(h, bins=50, histtype="step", lw=1.5)
        axes[2].axvline(0.0, color="k", lw=0.8)
        axes[2].set_xlabel("log10(σ / |e − t|)   (σ = quoted error)")
        axes[2].set_title(f"≥ 0: error covers truth ({cov:.3f}; honest 1σ: 0.683)", fontsize=8)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.tick_params(labelsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def precision_vs_parameters(
    s: np.ndarray,
    est: np.ndarray,
    true: np.ndarray,
    binned: list,
    out: str | Path,
    labels: list[str] | None = None,
    title: str = "",
) -> Path:
    """Digits −P against each parameter: a scatter and the binned median with a 16–84 % band.

    ``binned`` comes from :func:`hepemu.evaluation.inn_eval.digits_by_parameter`.
    """
    out = Path(out)
    s = np.asarray(s, dtype=float)
    d = -p_values(est, true)
    m = len(binned)
    fig, axes = plt.subplots(1, m, figsize=(4.0 * m, 3.6), sharey=True, squeeze=False)
    for j, (ax, b) in enumerate(zip(axes[0], binned, strict=True)):
        ax.scatter(s[:, j], d, s=4, alpha=0.35, color="tab:blue", lw=0, label="points")
        ok = b.count > 0
        ax.fill_between(
            b.centres[ok],
            b.q16[ok],
            b.q84[ok],
            color="tab:orange",
            alpha=0.25,
            label="16–84 % of bin",
        )
        ax.plot(b.centres[ok], b.median[ok], "o-", color="tab:red", ms=3, label="bin median")
        ax.axhline(float(d.mean()), color="k", lw=0.8, ls=":", label=f"mean {d.mean():.2f}")
        ax.set_xlabel(labels[j] if labels else b.name)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("digits = −P = −log10|e/t − 1|")
    axes[0][0].legend(fontsize=7, loc="lower left")
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def training_curve(history: list[dict], out: str | Path, title: str = "") -> Path:
    """Validation digits (left axis) and training loss (right axis) against training step."""
    out = Path(out)
    steps = [h["step"] for h in history]
    fig, ax = plt.subplots(figsize=(5.4, 3.6))
    (l1,) = ax.plot(
        steps,
        [h["digits"] for h in history],
        "o-",
        ms=3,
        color="tab:blue",
        label="validation digits (left)",
    )
    ax.set_xlabel("Adam step")
    ax.set_ylabel("mean digits  −⟨log10|e/t − 1|⟩", color="tab:blue")
    ax2 = ax.twinx()
    loss = np.maximum(np.array([h["loss"] for h in history], dtype=float), 1e-30)
    (l2,) = ax2.plot(steps, loss, "-", color="tab:red", lw=0.8, label="training loss, EMA (right)")
    if loss.size and loss.max() > 10 * loss.min():
        ax2.set_yscale("log")  # a log axis only when the loss spans a decade
    ax2.set_ylabel("training loss (EMA of MSE)", color="tab:red")
    # one legend for both axes, above the plot where it hides no data
    ax.legend(
        handles=[l1, l2],
        fontsize=8,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=2,
        frameon=False,
    )
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def _pretty_unit(unit: str) -> str:
    """``GeV^-2`` → ``GeV⁻²``; ``GeV^0`` → dimensionless."""
    base, _, power = unit.strip().partition("^")
    if not power:
        return base
    if power.strip() == "0":
        return ""
    return base + power.strip().translate(_SUP)


def units_from_meta(meta: dict | None) -> tuple[str | None, str | None]:
    """(target label, momentum unit) from a dataset's ``units`` metadata, if any.

    ``PhaseSpaceProvider.metadata`` writes e.g. ``"|M|^2 in GeV^-2, momenta in GeV"``.
    """
    units = (meta or {}).get("units")
    if not isinstance(units, str):
        return None, None
    target, momenta = None, None
    for part in units.split(","):
        what, sep, unit = part.partition(" in ")
        if not sep:
            continue
        what = what.strip()
        if what.startswith("|M|"):
            target = ("|M|²", _pretty_unit(unit))
        elif what.startswith("momenta"):
            momenta = _pretty_unit(unit)
    label = None
    if target is not None:
        label = f"({target[0]} / {target[1]})" if target[1] else f"{target[0]} (dimensionless)"
    return label, momenta


_MOMENTUM_PREFIXES = ("E_", "px_", "py_", "pz_")


def dataset_overview(
    inputs: np.ndarray,
    targets: np.ndarray,
    columns: list[str],
    out: str | Path,
    title: str = "",
    meta: dict | None = None,
) -> Path:
    """Write a PNG with a histogram per varying input column and of log10|target|.

    Constant columns (e.g. fixed beam momenta) are listed in the title instead of plotted.
    Units come from ``meta["units"]`` when the dataset has them (|M|² in GeV^n, momenta in
    GeV); otherwise the labels are generic.
    """
    out = Path(out)
    target_label, p_unit = units_from_meta(meta)
    y = np.asarray(targets, dtype=float).reshape(len(targets), -1)[:, 0]
    names = [columns[j] if j < len(columns) else f"x{j + 1}" for j in range(inputs.shape[1])]

    def label(name: str) -> str:
        if p_unit and name.startswith(_MOMENTUM_PREFIXES):
            return f"{name} [{p_unit}]"
        return name

    varying = [j for j in range(inputs.shape[1]) if np.ptp(inputs[:, j]) > 0]
    fixed = [
        f"{names[j]}={inputs[0, j]:.6g}"
        + (f" {p_unit}" if p_unit and names[j].startswith(_MOMENTUM_PREFIXES) else "")
        for j in range(inputs.shape[1])
        if j not in varying
    ]
    n_plots = len(varying) + 1
    ncols = min(4, n_plots)
    nrows = -(-n_plots // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 2.7 * nrows), squeeze=False)
    flat = axes.ravel()
    for ax, j in zip(flat, varying, strict=False):
        ax.hist(inputs[:, j], bins=60, color="tab:blue")
        ax.set_xlabel(label(names[j]), fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.tick_params(labelsize=7)
    for row in axes:
        row[0].set_ylabel("events", fontsize=9)
    nonzero = y != 0
    last = flat[len(varying)]
    last.hist(np.log10(np.abs(y[nonzero])), bins=60, color="tab:orange")
    zeros = np.count_nonzero(~nonzero)
    tl = f"log10 {target_label}" if target_label else "log10|target|  (no units in metadata)"
    last.set_xlabel(tl + (f"  ({zeros} zeros)" if zeros else ""), fontsize=9)
    last.tick_params(labelsize=7)
    for ax in flat[n_plots:]:
        ax.axis("off")
    head = title or f"{len(y)} points"
    if fixed:
        head += "\nconstant: " + ", ".join(fixed[:8]) + (" …" if len(fixed) > 8 else "")
    fig.suptitle(head, fontsize=9)
    return _save(fig, out)


def distributions_with_bands(
    observables: dict[str, np.ndarray],
    truth_weights: np.ndarray,
    draws: np.ndarray,
    out: str | Path,
    bins: int = 30,
    title: str = "",
) -> Path:
    """Histograms of observables weighted by the truth and by a surrogate, with its band.

    ``draws`` (K, N): the surrogate's weights per draw (Bayesian weight samples or ensemble
    members); the line is their mean histogram, the band ± their spread per bin (as the
    loop-BNN paper's sampled histograms). Lower panels: surrogate / truth.
    """
    names = list(observables)
    fig, axes = plt.subplots(
        2,
        len(names),
        figsize=(4 * len(names), 4.5),
        sharex="col",
        gridspec_kw={"height_ratios": [3, 1]},
        squeeze=False,
    )
    for j, name in enumerate(names):
        v = np.asarray(observables[name], dtype=float)
        edges = np.histogram_bin_edges(v, bins=bins)
        truth, _ = np.histogram(v, edges, weights=truth_weights)
        per_draw = np.array([np.histogram(v, edges, weights=w)[0] for w in draws])
        mean, spread = per_draw.mean(axis=0), per_draw.std(axis=0)
        centres = 0.5 * (edges[1:] + edges[:-1])
        top, bottom = axes[0, j], axes[1, j]
        top.stairs(truth, edges, color="k", label="truth")
        top.stairs(mean, edges, color="C0", label="surrogate")
        top.fill_between(centres, mean - spread, mean + spread, step="mid", color="C0", alpha=0.3)
        top.set_yscale("log")
        top.set_title(name)
        ratio = np.divide(mean, truth, out=np.full_like(mean, np.nan), where=truth > 0)
        band = np.divide(spread, truth, out=np.full_like(mean, np.nan), where=truth > 0)
        bottom.stairs(ratio, edges, color="C0")
        bottom.fill_between(centres, ratio - band, ratio + band, step="mid", color="C0", alpha=0.3)
        bottom.axhline(1.0, color="k", lw=0.8)
        bottom.set_ylabel("surrogate / truth")
        bottom.set_xlabel(name)
    axes[0, 0].legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, Path(out))


def pull_histograms(pulls: dict[str, np.ndarray], out: str | Path, title: str = "") -> Path:
    """Histograms of pulls t = (prediction − truth)/σ with the unit Gaussian, linear and log.

    ``pulls``: label → t per point (e.g. σ_tot, σ_model, σ_pred, one weight draw's
    σ_model(ω)); a calibrated error gives the Gaussian of width 1.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    edges = np.linspace(-5, 5, 61)
    grid = np.linspace(-5, 5, 400)
    gauss = np.exp(-0.5 * grid**2) / np.sqrt(2 * np.pi)
    for ax, log in zip(axes, (False, True), strict=True):
        for label, t in pulls.items():
            t = np.asarray(t, dtype=float)
            t = t[np.isfinite(t)]
            lo, hi = np.quantile(t, [0.16, 0.84]) if len(t) else (np.nan, np.nan)
            ax.hist(
                np.clip(t, -5, 5),
                edges,
                density=True,
                histtype="step",
                label=f"{label} (width {(hi - lo) / 2:.2f})",
            )
        ax.plot(grid, gauss, "k--", lw=0.8, label="N(0, 1)")
        ax.set_xlabel("pull (prediction − truth)/σ")
        if log:
            ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, Path(out))


def weighted_histograms_with_ratio(
    samples: dict[str, tuple[np.ndarray, np.ndarray, float]],
    edges: np.ndarray,
    out: str | Path,
    xlabel: str,
    ylabel: str = "dσ/dx [pb]",
    title: str = "",
) -> Path:
    """Differential distributions of weighted event samples {label: (values, weights, σ)},
    each normalised to its σ, with statistical errors, and their ratio to the first."""
    fig, (ax, rx) = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True, height_ratios=(3, 1))
    centres, width = 0.5 * (edges[1:] + edges[:-1]), np.diff(edges)
    hists = []
    for label, (values, weights, sigma) in samples.items():
        h, _ = np.histogram(values, edges, weights=weights)
        h2, _ = np.histogram(values, edges, weights=weights**2)
        norm = sigma / max(weights.sum(), 1e-300) / width
        hists.append((h * norm, np.sqrt(h2) * norm))
        ax.errorbar(centres, *hists[-1], fmt="o", ms=3, capsize=2, label=label)
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    (b, eb) = hists[0]
    for a, ea in hists[1:]:
        ok = (b > 0) & (a > 0)  # bins with events in both
        ratio = a[ok] / b[ok]
        rx.errorbar(centres[ok], ratio, np.hypot(ea[ok], ratio * eb[ok]) / b[ok], fmt="o", ms=3)
    rx.axhline(1.0, color="k", lw=0.8)
    rx.set_ylabel(f"ratio to {list(samples)[0].split(' ')[0]}", fontsize=8)
    rx.set_xlabel(xlabel)
    return _save(fig, Path(out))
