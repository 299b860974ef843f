"""One-loop g g → γ γ g in closed form (``ggyyg-1l``) against the numerical reduction
(``ggyyg-1l-numerical``), Bose symmetry, the soft-gluon limit, finiteness, input checks, and
the loop functions it is built from."""

import numpy as np
import pytest

from hepemu.physics.kinematics import dot, rambo_from_unit
from hepemu.physics.loop import gg_yy, gg_yyg, gg_yyg_closed
from hepemu.physics.loop.loop_functions import (
    LS1_SERIES_RADIUS,
    SERIES_RADIUS,
    l0,
    l1,
    l2,
    li2_one_minus,
    ls1,
    ratio,
)
from hepemu.physics.providers import get_provider

REFERENCE = "tests/data/ggyyg_1l_numerical_reference.npz"
E = 500.0
BEAMS = np.array([[E, 0, 0, E], [E, 0, 0, -E]])


def inside_cuts(points: int, seed: int) -> np.ndarray:
    """Physical momenta (N, 5, 4) of RAMBO points that pass the provider's cuts."""
    prov = get_provider("ggyyg-1l")
    x, keep = prov.from_unit(np.random.default_rng(seed).uniform(size=(2 * points + 50, 12)))
    return prov.momenta(x[keep])[:points]


def test_equal_to_the_numerical_reduction_on_the_stored_points():
    """40 points reduced numerically (relative error estimates ≤ 1e-5, stored with them):
    the closed form agrees within 10× each estimate (over 1513 points: rms 7.5e-7)."""
    ref = np.load(REFERENCE)
    value = gg_yyg_closed.msq(ref["momenta"])
    rel = np.abs(value / ref["msq"] - 1)
    assert len(rel) == 40
    assert np.all(rel <= np.maximum(10 * ref["error"], 1e-6)), rel.max()
    assert np.sqrt(np.mean(rel**2)) < 3e-6


def test_equal_to_the_numerical_reduction_helicity_by_helicity_live():
    """|𝒜_h|² of the reduction = 32 |S_h|² for all 32 helicities (all four classes, both
    parities), 𝒜 normalised as in gg_yyg (f^{abc} and (i/2)), S as (16π²)(−i)A^[1/2]."""
    p = inside_cuts(3, seed=5)
    k = gg_yyg_closed.outgoing(p)
    numerical = np.abs(gg_yyg.colour_stripped(k)[..., 2].reshape(len(k), -1)) ** 2
    closed = 32 * np.abs(gg_yyg_closed.helicity_amplitudes(k)) ** 2
    scale = numerical.max(axis=1, keepdims=True)
    np.testing.assert_allclose(closed / scale, numerical / scale, atol=1e-5)
    np.testing.assert_allclose(gg_yyg_closed.msq(p), gg_yyg.msq(p), rtol=2e-5)


def test_the_numerically_validated_regression_point():
    """RAMBO seed 0 of tests/test_gg_yyg.py: the value recorded for the reduction."""
    po, _ = rambo_from_unit(np.random.default_rng(0).uniform(1e-6, 1, (1, 12)), 2 * E)
    p = np.concatenate([BEAMS[None], po], axis=1)
    np.testing.assert_allclose(gg_yyg_closed.msq(p), 1.2868215561532428e-06, rtol=1e-6)


def test_bose_symmetry_in_the_gluons_and_the_photons():
    """Σ_h |S_h|² is symmetric under any exchange of the (all-outgoing) gluons 1, 2, 5 (crossing
    included) and of the photons 3, 4; each swap permutes the helicity amplitudes."""
    k = gg_yyg_closed.outgoing(inside_cuts(20, seed=3))
    amp = gg_yyg_closed.helicity_amplitudes(k)
    total = np.sum(np.abs(amp) ** 2, axis=1)
    for i, j in ((0, 1), (0, 4), (1, 4), (2, 3)):
        swapped = k.copy()
        swapped[:, [i, j]] = k[:, [j, i]]
        other = gg_yyg_closed.helicity_amplitudes(swapped)
        np.testing.assert_allclose(np.sum(np.abs(other) ** 2, axis=1), total, rtol=1e-10)
        # the amplitude with legs i, j swapped, helicity by helicity
        hel = np.arange(32)
        bi, bj = (hel >> (4 - i)) & 1, (hel >> (4 - j)) & 1
        moved = hel ^ ((bi ^ bj) << (4 - i)) ^ ((bi ^ bj) << (4 - j))
        np.testing.assert_allclose(np.abs(other[:, moved]), np.abs(amp), rtol=1e-9, atol=0)


def _boost(p: np.ndarray, b: np.ndarray) -> np.ndarray:
    b2 = b @ b
    g = 1 / np.sqrt(1 - b2)
    bp = p[1:] @ b
    return np.concatenate([[g * (p[0] + bp)], p[1:] + ((g - 1) * bp / b2 + g * p[0]) * b])


def soft_points(lams) -> tuple[np.ndarray, np.ndarray]:
    """g g → γ γ at fixed angles plus a gluon of energy λ√s/2, the photons rebalanced."""
    n3 = np.array([np.sin(1.1) * np.cos(0.4), np.sin(1.1) * np.sin(0.4), np.cos(1.1)])
    nk = np.array([0.3, -0.5, 0.81]) / np.linalg.norm([0.3, -0.5, 0.81])
    five, four = [], []
    for lam in lams:
        k = lam * E * np.concatenate([[1.0], nk])
        q = BEAMS.sum(axis=0) - k
        m = np.sqrt(dot(q, q))
        p3, p4 = (_boost(m / 2 * np.concatenate([[1.0], sg * n3]), q[1:] / q[0]) for sg in (1, -1))
        five.append(np.stack([*BEAMS, p3, p4, k]))
        four.append(np.stack([*BEAMS, p3, p4]))
    return np.array(five), np.array(four)


def test_soft_gluon_limit_is_eikonal_times_gg_to_yy():
    """|M₅|² → 4πα_s 2C_A (p₁·p₂)/((p₁·k)(p₂·k)) |M(gg → γγ)|² (BDD 2001), deviation O(λ);
    the closed form stays exact down to λ = 1e-6 (the reduction declines below ~1e-3)."""
    lams = [1e-2, 1e-3, 1e-4, 1e-6]
    p5, p4 = soft_points(lams)
    k5 = p5[:, 4]
    eikonal = dot(p5[:, 0], p5[:, 1]) / (dot(p5[:, 0], k5) * dot(p5[:, 1], k5))
    ratio_ = gg_yyg_closed.msq(p5) / (4 * np.pi * gg_yy.ALPHA_S * 6 * eikonal * gg_yy.msq(p4))
    deviation = np.abs(ratio_ - 1)
    assert np.all(np.diff(deviation) < 0), deviation
    assert deviation[1] < 5e-3 and deviation[-1] < 1e-5, deviation
    assert deviation[2] / deviation[1] < 0.2  # linear in λ


def _photons(q: np.ndarray, n3: np.ndarray) -> list[np.ndarray]:
    """Two photons back to back along ±n3 in the rest frame of q."""
    m = np.sqrt(dot(q, q))
    return [_boost(m / 2 * np.concatenate([[1.0], sg * n3]), q[1:] / q[0]) for sg in (1, -1)]


def test_initial_state_collinear_limit_is_splitting_times_gg_to_yy():
    """Gluon 5 at angle θ → 0 to gluon 1, energy fraction 1 − x: averaged over azimuths φ and
    φ + π/2 (which cancels the cos 2φ spin correlation), |M₅|² → 8πα_s P̂_gg(x)/(x 2p₁·k₅)
    |M(x p₁, p₂ → γγ)|² with P̂_gg = 2C_A[x/(1−x) + (1−x)/x + x(1−x)] (the loop splitting
    part multiplies the vanishing tree g g → γ γ); deviation O(θ)."""
    n3 = np.array([np.sin(1.1) * np.cos(0.4), np.sin(1.1) * np.sin(0.4), np.cos(1.1)])
    x, p1, p2 = 0.6, BEAMS[0], BEAMS[1]
    four = np.array([[x * p1, p2, *_photons(x * p1 + p2, n3)]])
    split = 2 * 3 * (x / (1 - x) + (1 - x) / x + x * (1 - x))
    deviation = []
    for theta in (1e-2, 1e-3, 1e-4):
        ratios = []
        for phi in (0.3, 0.3 + np.pi / 2):
            direction = [np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)]
            k5 = (1 - x) * E * np.concatenate([[1.0], direction])
            five = np.array([[p1, p2, *_photons(p1 + p2 - k5, n3), k5]])
            limit = 8 * np.pi * gg_yy.ALPHA_S * split / (x * 2 * dot(p1, k5)) * gg_yy.msq(four)
            ratios.append(gg_yyg_closed.msq(five)[0] / limit[0])
        assert abs(ratios[0] - ratios[1]) > 0.05  # the spin correlation is there
        deviation.append(abs(np.mean(ratios) - 1))
    assert deviation[1] < 3e-4 and deviation[2] < 0.3 * deviation[1], deviation


def test_finite_everywhere_inside_the_cuts():
    """10⁵ RAMBO points passing the cuts: every |M|² finite and positive (10⁶ in the
    benchmark benchmarks/ggyyg_closed_form.py)."""
    p = inside_cuts(100_000, seed=2027)
    assert len(p) == 100_000
    value = gg_yyg_closed.msq(p)
    assert np.all(np.isfinite(value)) and np.all(value > 0)


def test_error_estimate_is_small_inside_the_cuts_and_grows_near_a_collinear_pair():
    """msq_and_error: the value of msq and a relative error estimate; inside the cuts ≤ 1e-8
    (digits lost: at most ~8 of 16); a photon at 1e-4 rad to the gluon (far outside the
    cuts) loses more digits, and the estimate says so."""
    ref = np.load(REFERENCE)
    value, error = gg_yyg_closed.msq_and_error(ref["momenta"])
    np.testing.assert_array_equal(value, gg_yyg_closed.msq(ref["momenta"]))
    assert np.all(error < 1e-8) and np.all(error > 0)
    p = ref["momenta"][:1].copy()
    photon, gluon = p[0, 2], p[0, 4]
    direction = gluon[1:] / gluon[0] + 1e-4 * np.array([0.0, 1.0, 0.0])
    tilted = photon[0] * np.concatenate([[1.0], direction / np.linalg.norm(direction)])
    q = np.stack([*p[0, :2], tilted, p[0, 3], p[0, 4]])
    rest = q[0] + q[1] - q[2]  # rebalance: photon 2 and gluon share what is left
    q[3], q[4] = _split(rest, q[4][1:] / q[4][0])
    _, near = gg_yyg_closed.msq_and_error(q[None])
    assert near[0] > 1e3 * np.median(error)


def _split(total: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two massless momenta summing to ``total``, the second along the unit vector n."""
    m2 = dot(total, total)
    e = m2 / (2 * (total[0] - total[1:] @ n))
    second = e * np.concatenate([[1.0], n])
    return total - second, second


def test_wrong_number_of_legs_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(N, 5, 4\)"):
        gg_yyg_closed.msq(np.ones((3, 4, 4)))
    with pytest.raises(ValueError, match=r"\(N, 5, 4\)"):
        gg_yyg_closed.helicity_amplitudes(np.ones((3, 6, 4)))


def test_providers_closed_form_and_numerical():
    closed, numerical = get_provider("ggyyg-1l"), get_provider("ggyyg-1l-numerical")
    assert closed.columns() == numerical.columns()
    assert "analytic" in closed.metadata()["truth"]
    assert "numerically" in numerical.metadata()["truth"]
    assert "rescued by the closed form" in numerical.metadata()["numerical_stability"]
    declining = get_provider("ggyyg-1l-numerical", {"rescue": "none"})
    assert "NaN" in declining.metadata()["numerical_stability"]
    x, keep = closed.from_unit(np.random.default_rng(8).uniform(size=(30, 12)))
    x = x[keep][:3]
    np.testing.assert_allclose(closed(x), gg_yyg_closed.msq(closed.momenta(x)), rtol=1e-14)
    reduced, value = declining(x), closed(x)
    answered = np.isfinite(reduced)  # the reduction declines ~5 % of points (NaN): here 1 of 3
    assert answered.sum() >= 2 and np.all(np.isfinite(value))
    np.testing.assert_allclose(reduced[answered], value[answered], rtol=2e-5)


def test_dilogarithm_convention_and_continuation():
    """scipy's spence(z) = Li₂(1 − z); for r < 0 (s, t of opposite signs, −i0 each),
    Li₂(1 − r) is the value above the cut: Li₂(2 + i0) = π²/4 + iπ ln 2."""
    r, lnr = ratio(np.array([1.0, 2.0, 1.0]), np.array([2.0, 1.0, -1.0]))
    np.testing.assert_allclose(
        li2_one_minus(r, lnr),
        [
            np.pi**2 / 12 - np.log(2) ** 2 / 2,
            -(np.pi**2) / 12,
            np.pi**2 / 4 + 1j * np.pi * np.log(2),
        ],
        rtol=1e-14,
    )


@pytest.mark.parametrize("fn", [l0, l1, l2])
def test_series_and_closed_forms_meet_at_the_switch(fn):
    """L₀, L₁, L₂ from their series (|1 − r| < SERIES_RADIUS) and from their closed forms
    agree across the switch and are smooth through r = 1 (L₀(1) = −1, L₁(1) = −½, L₂(1) = ⅙)."""
    x = np.array([SERIES_RADIUS * (1 - 1e-9), SERIES_RADIUS * (1 + 1e-9)])
    for sign in (1, -1):
        r = 1 - sign * x
        out = fn(r, np.log(r) + 0j)
        np.testing.assert_allclose(out[0], out[1], rtol=1e-8)
    at_one = fn(np.array([1.0]), np.zeros(1, dtype=complex))
    np.testing.assert_allclose(at_one, {l0: -1.0, l1: -0.5, l2: 1 / 6}[fn], rtol=1e-15)


@pytest.mark.parametrize("s1, t", [(0.3, 1.0), (-0.4, 1.0), (2.5, 1.0), (-1.7, -1.0), (0.8, -1.0)])
def test_ls1_series_meets_the_closed_form_and_stays_smooth(s1, t):
    """Ls₁(r₁, r₂) near r₁ + r₂ = 1 comes from its series in u = 1 − r₁ − r₂ (the closed
    form cancels to O(u²)): the two agree across the switch, and the series is smooth down
    to u = 1e-12 (a quadratic in u through the last three points to 1e-12)."""
    r1 = s1 / t
    edge = LS1_SERIES_RADIUS * min(abs(r1), abs(1 - r1))
    u = np.array([edge * (1 - 1e-9), edge * (1 + 1e-9), 1e-6, 1e-9, 1e-12, -1e-9])
    s2 = (1 - r1 - u) * t
    out = ls1(*ratio(np.full(6, s1), np.full(6, t)), *ratio(s2, np.full(6, t)))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-9)
    slope = (out[3] - out[5]) / 2e-9
    np.testing.assert_allclose(out[3], out[4] + slope * 1e-9, rtol=1e-12)
    np.testing.assert_allclose(out[2], out[4] + slope * 1e-6, rtol=1e-6)


def _ls1_mpmath(s1: float, t1: float, s2: float, t2: float) -> complex:
    """Ls₁ from its definition at 50 digits (mpmath), logs of invariants with −i0."""
    import mpmath as mp

    mp.mp.dps = 50

    def log_ratio(s, t):
        return mp.log(abs(s)) - 1j * mp.pi * (s > 0) - mp.log(abs(t)) + 1j * mp.pi * (t > 0)

    def li2_one_minus(r, lnr):
        return (
            mp.polylog(2, 1 - r) if r > 0 else mp.pi**2 / 6 - mp.polylog(2, r) - lnr * mp.log(1 - r)
        )

    l1, l2 = log_ratio(s1, t1), log_ratio(s2, t2)
    r1, r2 = mp.mpf(s1) / t1, mp.mpf(s2) / t2
    lsm = li2_one_minus(r1, l1) + li2_one_minus(r2, l2) + l1 * l2 - mp.pi**2 / 6
    u = 1 - r1 - r2
    return complex((lsm / u + l1 / (1 - r1) + l2 / (1 - r2)) / u)


@pytest.mark.parametrize("s1, t", [(0.3, 1.0), (-0.4, 1.0), (2.5, 1.0), (-1.7, -1.0), (0.8, -1.0)])
def test_ls1_against_its_definition_at_high_precision(s1, t):
    """Ls₁ (closed form or series, continued through negative ratios) equals its definition
    evaluated at 50 digits, from u = 0.1 down to u = 1e-8 (where float64 would lose all)."""
    import mpmath as mp

    r1 = s1 / t
    for u in (1e-1, 3e-2, 1e-3, 1e-5, 1e-8, -1e-4):
        s2 = (1 - r1 - u) * t
        value = ls1(*ratio(np.array([s1]), np.array([t])), *ratio(np.array([s2]), np.array([t])))
        exact = _ls1_mpmath(mp.mpf(s1), mp.mpf(t), mp.mpf(s2), mp.mpf(t))
        np.testing.assert_allclose(value[0], exact, rtol=2e-12)
