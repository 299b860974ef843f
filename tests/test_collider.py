"""Hadron collisions: an LHAPDF6 grid written here (no set can be fetched) is read and
interpolated, keeps its momentum sum rule, and the folded cross section of a known partonic
σ̂ matches an independent quadrature; `hepemu events --collider pp` writes lab-frame events."""

from __future__ import annotations

import numpy as np
import pylhe
import pytest
from scipy import integrate, special

from hepemu.applications.collider import Collider, HadronicProcess, HadronicSurrogate
from hepemu.applications.unweighting import PB_PER_GEV2, PhaseSpace, compare_unweighting
from hepemu.cli.main import run_cli
from hepemu.physics.pdf import PartonDensity, find_set
from hepemu.registry import load_model

pytest.importorskip("parton")

A_EXP, B_EXP = -0.1, 5.0  # x g(x) = A x^a (1 - x)^b
NORM = 1.0 / special.beta(A_EXP + 1, B_EXP + 1)  # ∫₀¹ x g(x) dx = 1: the gluon carries it all
X_MIN = 1e-7


def xg(x):
    return NORM * x**A_EXP * (1 - x) ** B_EXP


def write_set(root, name="toygluon"):
    """A one-member LHAPDF6 set (lhagrid1): x g(x) above at every Q, d quark zero."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / f"{name}.info").write_text(
        "SetDesc: toy gluon-only set for tests\nFormat: lhagrid1\nDataVersion: 1\n"
        "NumMembers: 1\nParticle: 2212\nFlavors: [1, 21]\nOrderQCD: 0\n"
        f"XMin: {X_MIN}\nXMax: 1\nQMin: 1\nQMax: 100000\nAlphaS_MZ: 0.118\nSetIndex: 990000\n"
    )
    x = np.unique(np.concatenate([np.logspace(-7, -1, 70), np.linspace(0.1, 1, 46)]))
    q = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0])
    rows = [f"{0.0:.10e} {xg(xi) if xi < 1 else 0.0:.10e}" for xi in x for _ in q]
    (folder / f"{name}_0000.dat").write_text(
        "PdfType: central\nFormat: lhagrid1\n---\n"
        + " ".join(f"{v:.10e}" for v in x) + "\n"
        + " ".join(f"{v:.10e}" for v in q) + "\n1 21\n"
        + "\n".join(rows) + "\n---\n"
    )  # fmt: skip
    return folder


def test_interpolation_sum_rule_and_lookup(tmp_path, monkeypatch):
    folder = write_set(tmp_path)
    pdf = PartonDensity(find_set(str(folder)))
    x = np.logspace(-6.5, np.log10(0.9), 200)
    np.testing.assert_allclose(pdf.xf(21, x, 91.0), xg(x), rtol=1e-3)
    np.testing.assert_allclose(pdf.xf(0, x, 91.0), xg(x), rtol=1e-3)  # 0: the gluon too
    # Q outside the grid is frozen at its edges
    np.testing.assert_allclose(pdf.xf(21, x, 0.1), pdf.xf(21, x, 1.0))
    # the momentum sum rule of this grid: ∫ x g(x) dx = 1 (the part below X_MIN ~ 1e-7)
    total, _ = integrate.quad(
        lambda t: pdf.xf(21, np.exp(t), 10.0) * np.exp(t), np.log(X_MIN), 0, limit=200
    )
    assert total == pytest.approx(1.0, abs=2e-4)
    assert pdf.lhaid == 990000 and pdf.alpha_s(91.1876) == pytest.approx(0.118)
    # by name through LHAPDF_DATA_PATH
    monkeypatch.setenv("LHAPDF_DATA_PATH", f"/nonexistent:{tmp_path}")
    assert find_set("toygluon") == folder.resolve()
    with pytest.raises(ValueError, match="not found"):
        find_set("NNPDF40_nnlo_as_01180")


class _TiltedSurrogate:
    """A deliberately imperfect surrogate of the toy's constant |M|²: C (1 + 0.3 cos θ)."""

    input_columns, target, info = [], "msq", {}

    def predict(self, x):
        p = x.reshape(len(x), 4, 4)
        mean = 3.0 * (1 + 0.3 * p[:, 2, 3] / p[:, 2, 0])
        return mean, 0.1 * mean


def _sigma_quadrature(sqrt_s: float, mhat_min: float, msq: float) -> float:
    """∫dτ dy g(x₁) g(x₂) σ̂(τS) with σ̂ = |M|² Φ₂/(2ŝ), Φ₂ = 1/(8π): scipy, analytic g."""
    s = sqrt_s**2

    def f(y, log_tau):
        tau = np.exp(log_tau)
        x1, x2 = np.sqrt(tau) * np.exp(y), np.sqrt(tau) * np.exp(-y)
        return tau * xg(x1) / x1 * xg(x2) / x2 * msq / (8 * np.pi) / (2 * tau * s)

    lo = np.log(mhat_min**2 / s)
    val, _ = integrate.dblquad(f, lo, 0.0, lambda lt: 0.5 * lt, lambda lt: -0.5 * lt, epsrel=1e-8)
    return val * PB_PER_GEV2


def test_folded_cross_section_matches_quadrature(tmp_path):
    import providers_collider as pft

    folder = write_set(tmp_path)
    collider = Collider(13600.0, str(folder), scale="fixed:100", mhat_min=200.0)
    process = HadronicProcess(pft.toy_gluon_fusion, collider)
    reference = _sigma_quadrature(13600.0, 200.0, pft.toy_gluon_fusion.msq)

    # plain Monte Carlo over the unit cube: the folded truth is dσ/du in pb
    space = PhaseSpace(process)
    x, factor, kept = space.sample(400_000, np.random.default_rng(3))
    w = process(x) * factor
    assert kept.all() and np.mean(w) == pytest.approx(reference, rel=4 * np.std(w) / 632)

    # one- and two-stage unweighting (vegas map, imperfect surrogate): unbiased
    sur = HadronicSurrogate(_TiltedSurrogate(), process)
    one, two, _, _ = compare_unweighting(process, sur, 200_000, 20_000, 5_000, seed=2)
    for batch in (one, two):
        sigma, err = batch.stats.cross_section
        assert abs(sigma - reference) < 4 * err + 2e-3 * reference, (sigma, err, reference)
    # beams: x1 P and x2 P along ±z, and the partonic √ŝ above mhat_min
    p = two.inputs.reshape(len(two.inputs), 4, 4)
    assert np.all(p[:, 0, 3] > 0) and np.all(p[:, 1, 3] < 0)
    np.testing.assert_allclose(p[:, :2, 0], np.abs(p[:, :2, 3]))
    np.testing.assert_allclose(p[:, :2].sum(axis=1), p[:, 2:].sum(axis=1), atol=1e-8)
    assert np.all(np.prod(process.x1_x2(p), axis=0) * 13600.0**2 >= 200.0**2 * (1 - 1e-12))


class _Boxed(_TiltedSurrogate):
    """Its "trained region": partonic points (at its √s) whose first final leg has p_z < 100."""

    def outside_region(self, x):
        return x.reshape(len(x), 4, 4)[:, 2, 3] >= 100.0


def test_hadronic_surrogate_region_is_the_rescaled_partonic_point(tmp_path):
    """--guard at a hadron collider: the region check sees the point the surrogate is asked."""
    import providers_collider as pft

    collider = Collider(13600.0, str(write_set(tmp_path)), scale="fixed:100", mhat_min=200.0)
    process = HadronicProcess(pft.toy_gluon_fusion, collider)
    x, _, _ = PhaseSpace(process).sample(2000, np.random.default_rng(4))
    away = HadronicSurrogate(_Boxed(), process).outside_region(x)
    p = x.reshape(len(x), 4, 4)
    beams = p[:, 0] + p[:, 1]
    shat = beams[:, 0] ** 2 - np.sum(beams[:, 1:] ** 2, axis=1)
    # p_z of the first final leg boosted to the partons' rest frame, scaled to the toy's √s
    pz = (beams[:, 0] * p[:, 2, 3] - beams[:, 3] * p[:, 2, 0]) / shat
    pz = pz * pft.toy_gluon_fusion.sqrt_s
    near = np.abs(pz - 100.0) < 1e-6  # rounding decides there
    np.testing.assert_array_equal(away[~near], pz[~near] >= 100.0)
    assert 0 < away.mean() < 1
    plain = HadronicSurrogate(_TiltedSurrogate(), process).outside_region(x)
    assert not plain.any()


def test_events_cli_at_a_hadron_collider(tmp_path, capsys):
    folder = write_set(tmp_path)
    out = tmp_path / "pp.lhe"
    args = [
        "events",
        "--surrogate",
        "ggyyg-1l-bnn",
        "--process",
        "providers_collider:bnn_gluon_fusion",
    ]
    args += ["--n", "30", "--out", str(out), "--chunk-trials", "5000"]
    args += ["--collider", "pp", "--sqrt-s", "13600", "--pdf", str(folder), "--scale", "mgg"]
    assert run_cli(args) == 0, capsys.readouterr().err
    lhe = pylhe.LHEFile.fromfile(str(out))
    events = list(lhe.events)
    init = lhe.init.initInfo
    assert (init.beamA, init.beamB, init.energyA, init.PDFsetA) == (2212, 2212, 6800.0, 990000)
    assert len(events) == 30
    for e in events:
        ids = [p.id for p in e.particles]
        assert ids == [21, 21, 22, 22, 21]
        pz = [p.pz for p in e.particles]
        assert pz[0] > 0 > pz[1] and e.particles[0].e <= 6800.0
        a1, a2 = e.particles[2], e.particles[3]
        mgg = np.sqrt(
            (a1.e + a2.e) ** 2
            - sum((getattr(a1, c) + getattr(a2, c)) ** 2 for c in ("px", "py", "pz"))
        )
        assert e.eventinfo.scale == pytest.approx(mgg, rel=1e-6)
        assert min(np.hypot(a1.px, a1.py), np.hypot(a2.px, a2.py)) > 30.0  # the lab-frame cuts
    assert run_cli(args[:-8] + ["--pdf", str(folder), "--out", str(tmp_path / "x.lhe")]) == 2
    assert "--collider pp, --sqrt-s and --pdf together" in capsys.readouterr().err


def test_reweight_reads_hadron_collider_events(tmp_path):
    """`hepemu reweight` on lab-frame g g → γ γ g events (written by `hepemu events`): the
    weight is the scale-free surrogate at the partonic momenta rescaled to its √s."""
    folder = write_set(tmp_path)
    src, out = tmp_path / "pp.lhe", tmp_path / "rw.lhe"
    from providers_collider import pp_events_args

    assert run_cli(pp_events_args(folder, 20, scale="mgg") + ["--out", str(src)]) == 0
    assert run_cli(["reweight", str(src), "--model", "ggyyg-1l-bnn", "-o", str(out)]) == 0

    events = list(pylhe.LHEFile.fromfile(str(out)).events)
    p = np.array([[[q.e, q.px, q.py, q.pz] for q in e.particles] for e in events])
    x1, x2 = p[:, 0, 0] / 6800.0, p[:, 1, 0] / 6800.0
    y = 0.5 * np.log(x1 / x2)  # boost back by -y along z
    ch, sh = np.cosh(y)[:, None], np.sinh(y)[:, None]
    cm = p.copy()
    cm[..., 0], cm[..., 3] = ch * p[..., 0] - sh * p[..., 3], ch * p[..., 3] - sh * p[..., 0]
    lam = 1000.0 / (13600.0 * np.sqrt(x1 * x2))
    want = load_model("ggyyg-1l-bnn").predict((cm * lam[:, None, None]).reshape(len(p), -1))[0]
    got = np.array([e.weights["ggyyg-1l-bnn"] for e in events])
    np.testing.assert_allclose(got, want * lam**2, rtol=1e-5)

    pyhepmc = pytest.importorskip("pyhepmc")  # the same as HepMC3: protons, partons, x1 x2
    hep = tmp_path / "rw.hepmc3"
    assert run_cli(["reweight", str(src), "--model", "ggyyg-1l-bnn", "-o", str(hep)]) == 0
    with pyhepmc.open(str(hep)) as f:
        converted = list(f)
    np.testing.assert_allclose([e.weights[1] for e in converted], got, rtol=1e-9)
    assert all([q.pid for q in e.particles if q.status == 4] == [2212, 2212] for e in converted)
    np.testing.assert_allclose([e.pdf_info.x1 for e in converted], x1, rtol=1e-8)
