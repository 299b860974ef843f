"""One-loop g g → γ γ g: gauge invariance, finiteness, soft limit against g g → γ γ, symmetries."""

import numpy as np
import pytest

from hepemu.physics.cuts import PhotonJetCut, pt_eta_phi
from hepemu.physics.kinematics import dot, rambo_from_unit
from hepemu.physics.loop import fermion_loop, gg_yy, gg_yyg, gg_yyg_closed
from hepemu.physics.providers import get_provider

E = 500.0
BEAMS = np.array([[E, 0, 0, E], [E, 0, 0, -E]])


def physical(points: int, seed: int) -> np.ndarray:
    po, _ = rambo_from_unit(np.random.default_rng(seed).uniform(1e-6, 1, (points, 12)), 2 * E)
    return np.concatenate([np.broadcast_to(BEAMS, (points, 2, 4)), po], axis=1)


def outgoing(p: np.ndarray) -> np.ndarray:
    k = p.copy()
    k[:, :2] *= -1
    return k


@pytest.fixture(scope="module")
def amp():
    k = outgoing(physical(2, seed=11))
    return k, gg_yyg.colour_stripped(k)


def test_finite_and_gauge_invariant(amp):
    k, a = amp
    assert np.abs(a[..., :2]).max() < 1e-8 * np.abs(a[..., 2]).max()  # 1/ε², 1/ε cancel
    other = gg_yyg.colour_stripped(k, ref=np.roll(k, 2, axis=1))  # every reference changed
    scale = np.abs(a[..., 2]).max()  # reduction errors are relative to the largest helicity
    np.testing.assert_allclose(np.abs(other[..., 2]), np.abs(a[..., 2]), atol=1e-8 * scale)


def test_bose_symmetry_of_the_gluons(amp):
    """Σ_h |𝒜|² is symmetric in the three (all-outgoing) gluons: crossing g₁ ↔ g₅ included,
    within ten times the reduction's own error estimate (here 6e-11 and 3e-9) or 1e-10."""
    k, a = amp
    total = np.sum(np.abs(a[..., 2].reshape(len(k), -1)) ** 2, axis=1)
    _, error = gg_yyg.colour_summed(k)
    assert np.all(error < 1e-8)  # well-conditioned points: the check below is tight
    for i, j in ((0, 4), (1, 4)):
        swapped = k.copy()
        swapped[:, [i, j]] = k[:, [j, i]]
        b = gg_yyg.colour_stripped(swapped)
        other = np.sum(np.abs(b[..., 2].reshape(len(k), -1)) ** 2, axis=1)
        assert np.all(np.abs(other / total - 1) <= np.maximum(10 * error, 1e-10))


def test_photon_swap_and_incoming_gluon_swap_leave_msq_unchanged():
    p = physical(2, seed=4)
    base = gg_yyg.msq(p)
    for i, j in ((2, 3), (0, 1)):
        q = p.copy()
        q[:, [i, j]] = p[:, [j, i]]
        np.testing.assert_allclose(gg_yyg.msq(q), base, rtol=1e-8)


def test_reflection_identity_of_a_pentagon():
    """Reversing the fermion loop's orientation flips the sign (Furry, (−1)⁵)."""
    k = outgoing(physical(2, seed=2))
    ep, em = fermion_loop.polarisations(k, np.roll(k, 1, axis=1))
    legs = list(fermion_loop.slash(np.stack([ep, em], axis=2)).transpose(1, 0, 2, 3, 4))
    order = (0, 2, 1, 4, 3)
    reverse = (0, *order[:0:-1])
    a = fermion_loop.diagram(k, legs, order)
    b = fermion_loop.diagram(k, legs, reverse)
    np.testing.assert_allclose(b[..., 2], -a[..., 2], rtol=1e-8, atol=1e-12)


def _boost(p, b):
    b2 = b @ b
    g = 1 / np.sqrt(1 - b2)
    bp = p[..., 1:] @ b
    v = p[..., 1:] + ((g - 1) * bp / b2)[..., None] * b + (g * p[..., 0])[..., None] * b
    return np.concatenate([(g * (p[..., 0] + bp))[..., None], v], axis=-1)


def test_mu_independence_as_scaling():
    """μ is fixed (1 GeV): rescaling every momentum by λ must scale 𝒜 by exactly 1/λ (its mass
    dimension), which holds only if no ln μ² survives (the poles cancel)."""
    k = outgoing(physical(1, seed=8))
    a = gg_yyg.colour_stripped(k)[..., 2]
    b = gg_yyg.colour_stripped(3.7 * k)[..., 2]
    scale = np.abs(a).max()  # a surviving ln μ² would change 𝒜 at O(1); the engine: ~1e-6
    np.testing.assert_allclose(np.abs(b) * 3.7, np.abs(a), atol=1e-5 * scale)


def soft_points(lams):
    """g g → γ γ (fixed angles) plus a gluon of energy λ√s/2, momenta rebalanced."""
    th, ph = 1.1, 0.4
    n3 = np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
    nk = np.array([0.3, -0.5, 0.81]) / np.linalg.norm([0.3, -0.5, 0.81])
    five, four = [], []
    for lam in lams:
        k = lam * E * np.concatenate([[1.0], nk])
        q = BEAMS.sum(axis=0) - k
        m = np.sqrt(dot(q, q))
        p3 = _boost(m / 2 * np.concatenate([[1.0], n3]), q[1:] / q[0])
        p4 = _boost(m / 2 * np.concatenate([[1.0], -n3]), q[1:] / q[0])
        five.append(np.stack([*BEAMS, p3, p4, k]))
        four.append(np.stack([*BEAMS, p3, p4]))
    return np.array(five), np.array(four)


def eikonal(p5):
    k5 = p5[:, 4]
    return dot(p5[:, 0], p5[:, 1]) / (dot(p5[:, 0], k5) * dot(p5[:, 1], k5))


def test_soft_limit_helicity_by_helicity():
    """Σ_h₅ |𝒜(h, h₅)|² → 128 (p₁·p₂)/((p₁·k)(p₂·k)) |M⁽¹⁾(h)|² for each of the 16 hard
    helicities, M⁽¹⁾ the analytic g g → γ γ amplitudes of BDD (2001) (the colour and coupling
    factors: 24π α²α_s³ on the left, 4πα_s·2C_A·128 α²α_s² on the right). The approach is
    O(λ) with helicity-dependent slopes (up to ~20 λ for the smallest amplitudes)."""
    p5, p4 = soft_points([1e-2, 1e-3])
    amp = gg_yyg.colour_stripped(outgoing(p5))[..., 2]  # (2, 2, 2, 2, 2, 2)
    summed = np.sum(np.abs(amp) ** 2, axis=-1)  # over the soft gluon's helicity
    analytic = gg_yy.helicity_amplitudes(p4)
    off = []
    for hel, m1 in analytic.items():
        idx = tuple(0 if h > 0 else 1 for h in hel)
        ratio = summed[(slice(None), *idx)] / (128 * eikonal(p5) * np.abs(m1) ** 2)
        off.append(np.abs(ratio - 1))
    off = np.array(off)  # (16 helicities, 2 values of λ)
    assert off[:, 1].max() < 0.03
    assert off[:, 1].mean() < 0.3 * off[:, 0].mean()


def test_soft_gluon_limit_is_eikonal_times_gg_to_yy():
    """|M₅|² → 4πα_s 2C_A (p₁·p₂)/((p₁·k)(p₂·k)) |M(gg → γγ)|², deviation O(λ)."""
    p5, p4 = soft_points([1e-2, 1e-3])
    ratio = gg_yyg.msq(p5) / (4 * np.pi * gg_yy.ALPHA_S * 2 * 3 * eikonal(p5) * gg_yy.msq(p4))
    deviation = np.abs(ratio - 1)
    assert deviation[1] < 5e-3
    assert deviation[1] < 0.3 * deviation[0]  # shrinks with λ (here ~λ)


REGRESSION = 1.2868215561532428e-06  # GeV⁻², this code on 2026-11-27 (soft-limit validated)


def test_regression_value():
    """A fixed point (RAMBO seed 0), recorded when the reduction was validated."""
    p = physical(1, seed=0)
    np.testing.assert_allclose(gg_yyg.msq(p), REGRESSION, rtol=1e-7)


@pytest.mark.parametrize("name", ["ggyyg-1l", "ggyyg-1l-numerical"])
def test_provider_applies_the_photon_and_jet_cuts(name):
    prov = get_provider(name)
    assert prov.columns()[:4] == ["E_g1", "px_g1", "py_g1", "pz_g1"] and len(prov.columns()) == 20
    x, keep = prov.from_unit(np.random.default_rng(1).uniform(size=(400, 12)))
    p = prov.momenta(x)[:, 2:]
    pt, eta, _ = pt_eta_phi(p)
    assert 0.5 < keep.mean() < 1.0
    kept = keep
    assert np.all(np.max(pt[kept, :2], axis=1) > 40) and np.all(np.min(pt[kept, :2], axis=1) > 30)
    assert np.all(np.abs(eta[kept, :2]) < 2.37) and np.all(pt[kept, 2] > 20)
    assert not np.any(PhotonJetCut()(p[~kept]))
    y = prov(x[keep][:2])
    assert y.shape == (2,) and np.all(y > 0)


def planar(delta: float) -> np.ndarray:
    """A final state whose plane contains the beam axis, tilted out of it by ``delta``."""
    th, en = (0.7, 2.5), (400.0, 350.0)
    a = np.array([en[0] * np.sin(th[0]), 0, en[0] * np.cos(th[0])])
    b = np.array([en[1] * np.sin(th[1]), 0, en[1] * np.cos(th[1])])
    c, s = np.cos(delta), np.sin(delta)
    rot = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    fs = np.array([np.concatenate([[np.linalg.norm(v)], rot @ v]) for v in (a, b, -(a + b))])
    fs *= 2 * E / fs[:, 0].sum()
    return np.concatenate([BEAMS, fs])[None]


def test_unstable_points_are_nan_not_wrong():
    """Near-planar events make the pentagon reduction lose digits (its cut momentum grows like
    1/δ): with a tolerance they are NaN, elsewhere the value stands."""
    p = np.concatenate([planar(0.3), planar(1e-3), planar(0.0)])
    value = gg_yyg.msq(p, tolerance=1e-5)
    assert np.isfinite(value[0]) and np.isnan(value[1]) and np.isnan(value[2])
    np.testing.assert_allclose(value[0], gg_yyg.msq(p[:1]), rtol=1e-8)
    _, error = gg_yyg.colour_summed(outgoing(p[:2]))
    assert error[0] < 1e-7 < 1e-3 < error[1]


def test_me_eval_names_the_unstable_rows(tmp_path, capsys):
    from hepemu.cli.main import run_cli

    p = np.concatenate([planar(0.3), planar(1e-3)]).reshape(2, -1)
    header = ",".join(f"{c}{i}" for i in range(1, 6) for c in ("E", "px", "py", "pz"))
    np.savetxt(tmp_path / "in.csv", p, delimiter=",", header=header, comments="")
    rc = run_cli(
        [
            "me",
            "eval",
            "--process",
            "ggyyg-1l-numerical",
            "--option",
            "rescue=none",
            "-i",
            str(tmp_path / "in.csv"),
            "-o",
            str(tmp_path / "out.csv"),
        ]
    )
    assert rc == 0
    assert "numerically unstable: rows 2" in " ".join(capsys.readouterr().err.split())
    out = np.genfromtxt(tmp_path / "out.csv", delimiter=",", names=True)
    assert np.isfinite(out["msq"][0]) and np.isnan(out["msq"][1])


def test_the_provider_rescues_unstable_points_by_the_closed_form():
    """By default the numerical truth answers everywhere: where its reduction is unstable the
    closed form answers, elsewhere the reduction itself (rescue=none: NaN there)."""
    p = np.concatenate([planar(0.3), planar(1e-3)])
    x = p.reshape(2, -1)
    rescued = get_provider("ggyyg-1l-numerical")(x)
    declined = get_provider("ggyyg-1l-numerical", {"rescue": "none"})(x)
    closed = gg_yyg_closed.msq(p)
    assert np.isfinite(declined[0]) and np.isnan(declined[1])
    assert rescued[0] == declined[0]
    np.testing.assert_allclose(rescued[1], closed[1], rtol=1e-13)  # batch-size rounding only
    np.testing.assert_allclose(rescued[0], closed[0], rtol=2e-5)  # an independent check
    with pytest.raises(ValueError, match="rescue must be one of"):
        get_provider("ggyyg-1l-numerical", {"rescue": "quad"})
    with pytest.raises(ValueError, match="for ggyyg-1l-numerical only"):
        get_provider("ggyyg-1l", {"rescue": "none"})


def test_the_error_estimate_bounds_an_independent_evaluation():
    """On RAMBO points passing the cuts: where colour_summed claims a relative error ε, a
    third evaluation (other references and μ² samples) agrees within max(10ε, 1e-6)."""
    prov = get_provider("ggyyg-1l-numerical")
    x, keep = prov.from_unit(np.random.default_rng(21).uniform(size=(40, 12)))
    k = outgoing(prov.momenta(x[keep])[:24])
    value, error = gg_yyg.colour_summed(k)
    third = np.sum(
        np.abs(gg_yyg.colour_stripped(k, ref=np.roll(k, 3, axis=1), variant=1)[..., 2]).reshape(
            len(k), -1
        )
        ** 2,
        axis=1,
    )
    assert np.all(np.abs(third / value - 1) <= np.maximum(10 * error, 1e-6))
