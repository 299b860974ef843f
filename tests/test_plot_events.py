"""`hepemu plot-events`: dσ/dX histograms of event files (hist), compared, drawn (mplhep)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hepemu.applications.event_histograms import histograms, read_observables
from hepemu.applications.lhe import write_lhe
from hepemu.cli.main import run_cli
from hepemu.physics.providers import get_provider

pytest.importorskip("hist")
pytest.importorskip("mplhep")


def _events(path, n, seed):
    """Partonic g g → γ γ g events at 1000 GeV (RAMBO with the photon and jet cuts)."""
    provider = get_provider("ggyyg-1l")
    x, kept = provider.from_unit(np.random.default_rng(seed).random((4 * n, 12)))
    p = x[kept][:n].reshape(n, 5, 4)
    w = np.random.default_rng(seed + 1).uniform(1.0, 2.0, n)
    write_lhe(path, p, w, [21, 21, 22, 22, 21], 1000.0, (2.5, 0.1))
    return p, 2.5 * w / w.mean()


def test_observables_and_histograms_match_numpy(tmp_path):
    p, xw = _events(tmp_path / "a.lhe", 300, 1)
    obs, w = read_observables(tmp_path / "a.lhe")
    np.testing.assert_allclose(w, xw, rtol=1e-6)
    q = p[:, 2] + p[:, 3]
    mgg = np.sqrt(q[:, 0] ** 2 - np.sum(q[:, 1:] ** 2, axis=1))
    np.testing.assert_allclose(obs["m_yy"], mgg, rtol=1e-6)
    pt = np.hypot(p[..., 1], p[..., 2])
    np.testing.assert_allclose(obs["pt_y1"], pt[:, 2:4].max(axis=1), rtol=1e-6)
    np.testing.assert_allclose(obs["pt_j1"], pt[:, 4], rtol=1e-6)
    assert np.all(obs["dr_y1j1"] > 0.4)  # the cut's separation
    assert np.all(np.isnan(obs["pt_j2"]))  # one jet
    h = histograms([(obs, w)], bins=20)
    assert set(h) == {"m_yy", "pt_y1", "pt_j1", "dr_y1j1"}
    edges = h["m_yy"][0].axes[0].edges
    want, _ = np.histogram(mgg, edges, weights=w / len(w))
    np.testing.assert_allclose(h["m_yy"][0].values() * np.diff(edges), want, rtol=1e-9)


def test_cli_compares_two_runs(tmp_path):
    _events(tmp_path / "a.lhe", 400, 1)
    _events(tmp_path / "b.lhe", 400, 7)
    out = tmp_path / "dist.png"
    args = [
        "plot-events",
        str(tmp_path / "a.lhe"),
        str(tmp_path / "a.lhe"),
        str(tmp_path / "b.lhe"),
    ]
    args += ["--label", "truth", "--label", "same", "--label", "other", "-o", str(out)]
    assert run_cli(args) == 0
    assert out.stat().st_size > 10_000
    s = json.loads((tmp_path / "dist.png.json").read_text())
    assert s["m_yy"]["chi2_per_bin_vs_first"]["same"] == 0.0
    # independent samples of one distribution: χ²/bin of order 1
    assert 0.2 < s["m_yy"]["chi2_per_bin_vs_first"]["other"] < 3
    assert run_cli(args) == 2  # outputs exist: --force needed
