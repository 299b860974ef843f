"""The standard distributions of event files (diphoton mass, photon and jet p_T, ΔR) as
``hist`` histograms of dσ/dX, compared between runs (e.g. two-stage with a surrogate against
one-stage on the truth) and drawn with ``mplhep`` styling.

Photons are final-state PDG 22, jets final-state quarks and gluons (partons, no clustering);
"leading" is the highest p_T. Histograms are weighted by XWGTUP, so a file's histograms
integrate to its Σ XWGTUP / N_events (the cross section in pb of ``hepemu events``' files).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hepemu.applications.lhe_stream import open_binary, parse_event

OBSERVABLES: dict[str, str] = {
    "m_yy": r"$m_{\gamma\gamma}$ [GeV]",
    "pt_y1": r"$p_T^{\gamma_1}$ [GeV]",
    "pt_j1": r"$p_T^{j_1}$ [GeV]",
    "dr_y1j1": r"$\Delta R(\gamma_1, j_1)$",
    "pt_j2": r"$p_T^{j_2}$ [GeV]",
    "dr_j1j2": r"$\Delta R(j_1, j_2)$",
}


def _pt_eta_phi(p: np.ndarray):
    pt = np.hypot(p[:, 1], p[:, 2])
    return pt, np.arcsinh(p[:, 3] / np.maximum(pt, 1e-300)), np.arctan2(p[:, 2], p[:, 1])


def _delta_r(a, b) -> float:
    dphi = np.angle(np.exp(1j * (a[2] - b[2])))
    return float(np.hypot(a[1] - b[1], dphi))


def event_observables(ids: np.ndarray, status: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The observables of one event (NaN where it lacks the particles)."""
    final = status == 1
    photons = np.flatnonzero(final & (ids == 22))
    jets = np.flatnonzero(final & ((np.abs(ids) <= 5) | (ids == 21)))
    pt, eta, phi = _pt_eta_phi(p)
    photons = photons[np.argsort(-pt[photons])]
    jets = jets[np.argsort(-pt[jets])]
    kin = lambda i: (pt[i], eta[i], phi[i])  # noqa: E731
    out = dict.fromkeys(OBSERVABLES, np.nan)
    if len(photons) >= 2:
        q = p[photons[0]] + p[photons[1]]
        out["m_yy"] = float(np.sqrt(max(q[0] ** 2 - q[1] ** 2 - q[2] ** 2 - q[3] ** 2, 0.0)))
    if len(photons):
        out["pt_y1"] = float(pt[photons[0]])
    if len(jets):
        out["pt_j1"] = float(pt[jets[0]])
    if len(photons) and len(jets):
        out["dr_y1j1"] = _delta_r(kin(photons[0]), kin(jets[0]))
    if len(jets) >= 2:
        out["pt_j2"] = float(pt[jets[1]])
        out["dr_j1j2"] = _delta_r(kin(jets[0]), kin(jets[1]))
    return out


def read_observables(path: str | Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every event's observables and weight (XWGTUP) of a Les Houches file, streamed."""
    values: dict[str, list[float]] = {k: [] for k in OBSERVABLES}
    weights: list[float] = []
    with open_binary(path) as fh:
        block: list[bytes] = []
        for line in fh:
            if block or line.lstrip().startswith(b"<event"):
                block.append(line)
                if b"</event>" in line:
                    rec = parse_event(b"".join(block))
                    block = []
                    for k, v in event_observables(rec.ids, rec.status, rec.momenta).items():
                        values[k].append(v)
                    weights.append(rec.weight)
    return {k: np.array(v) for k, v in values.items()}, np.array(weights)


def histograms(samples: list[tuple[dict, np.ndarray]], bins: int = 30) -> dict[str, list]:
    """For each observable present in every sample: one ``hist.Hist`` of dσ/dX per sample
    on common bins (0.1 % – 99.9 % quantiles of all samples), weights XWGTUP / N."""
    import hist

    out: dict[str, list] = {}
    for name in OBSERVABLES:
        cols = [(obs[name], w) for obs, w in samples]
        if any(np.all(np.isnan(v)) for v, _ in cols):
            continue
        every = np.concatenate([v[np.isfinite(v)] for v, _ in cols])
        lo, hi = np.quantile(every, [0.001, 0.999])
        if not hi > lo:
            continue
        hists = []
        for v, w in cols:
            h = hist.Hist(hist.axis.Regular(bins, lo, hi, name=name), storage=hist.storage.Weight())
            ok = np.isfinite(v)
            h.fill(v[ok], weight=w[ok] / len(w) / h.axes[0].widths[0])
            hists.append(h)
        out[name] = hists
    return out


def chi2_per_bin(a, b) -> float:
    """Σ (a − b)² / (σ_a² + σ_b²) over bins with entries, divided by their number."""
    va, vb = a.values(), b.values()
    var = a.variances() + b.variances()
    ok = var > 0
    return float(np.sum((va[ok] - vb[ok]) ** 2 / var[ok]) / max(ok.sum(), 1))


def plot(hists: dict[str, list], labels: list[str], out: str | Path) -> Path:
    """dσ/dX of every sample (steps with errors) and the ratio to the first; PNG/PDF."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplhep

    with plt.style.context(mplhep.style.ROOT):  # this figure only: no global style
        n = len(hists)
        fig, axes = plt.subplots(
            2, n, figsize=(6 * n, 7), gridspec_kw={"height_ratios": [3, 1]}, squeeze=False
        )
        for j, (name, hs) in enumerate(hists.items()):
            top, bottom = axes[0, j], axes[1, j]
            for h, label in zip(hs, labels, strict=True):
                mplhep.histplot(h, ax=top, label=label, yerr=np.sqrt(h.variances()))
            ref = hs[0]
            centres = ref.axes[0].centers
            ok = ref.values() > 0
            for k, h in enumerate(hs[1:], start=1):  # colours as the steps above (cycle Ck)
                ratio = h.values()[ok] / ref.values()[ok]
                err = np.sqrt(h.variances()[ok]) / ref.values()[ok]
                bottom.errorbar(centres[ok], ratio, yerr=err, fmt="o", ms=3, color=f"C{k}")
            bottom.axhline(1.0, color="k", lw=0.8)
            bottom.set_ylim(0.5, 1.5)
            bottom.set_xlabel(OBSERVABLES[name])
            bottom.set_ylabel(f"/ {labels[0]}")
            top.set_ylabel(r"$d\sigma/dX$ [pb / unit]")
            top.set_yscale("log")
            top.legend(fontsize="small")
            top.set_xlabel("")
        fig.tight_layout()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=90)
        plt.close(fig)
        return out


def summary(hists: dict[str, list], labels: list[str]) -> dict:
    """Bin edges, contents and errors of every histogram, and χ²/bin of each sample against
    the first."""
    return {
        name: {
            "edges": hs[0].axes[0].edges.tolist(),
            "samples": {
                label: {"values": h.values().tolist(), "errors": np.sqrt(h.variances()).tolist()}
                for h, label in zip(hs, labels, strict=True)
            },
            "chi2_per_bin_vs_first": {
                label: chi2_per_bin(h, hs[0]) for h, label in zip(hs[1:], labels[1:], strict=True)
            },
        }
        for name, hs in hists.items()
    }
