"""RAMBO: conservation, on-shell conditions and phase-space volumes (hypothesis + MC)."""

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import integrate

from hepemu.physics.kinematics import (
    invariant_mass2,
    massless_volume,
    rambo_from_unit,
    s_ij,
)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 6), seed=st.integers(0, 2**32 - 1), sqrt_s=st.floats(1.0, 1e4))
def test_massless_momentum_conservation_and_on_shell(n, seed, sqrt_s):
    u = np.random.default_rng(seed).uniform(1e-9, 1, (3, 4 * n))
    p, w = rambo_from_unit(u, sqrt_s)
    total = p.sum(axis=1)
    np.testing.assert_allclose(total[:, 0], sqrt_s, rtol=1e-10)
    np.testing.assert_allclose(total[:, 1:], 0, atol=1e-9 * sqrt_s)
    np.testing.assert_allclose(invariant_mass2(p), 0, atol=1e-8 * sqrt_s**2)
    assert np.all(p[..., 0] > 0) and np.all(w > 0)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), masses=st.lists(st.floats(0.0, 20.0), min_size=3, max_size=4)
)
def test_massive_on_shell_and_conserved(seed, masses):
    sqrt_s = 100.0
    n = len(masses)
    u = np.random.default_rng(seed).uniform(1e-9, 1, (2, 4 * n))
    p, w = rambo_from_unit(u, sqrt_s, masses)
    np.testing.assert_allclose(
        invariant_mass2(p), np.square(masses)[None, :].repeat(2, 0), atol=1e-7 * sqrt_s**2
    )
    np.testing.assert_allclose(p.sum(axis=1)[:, 0], sqrt_s, rtol=1e-10)
    np.testing.assert_allclose(p.sum(axis=1)[:, 1:], 0, atol=1e-8 * sqrt_s)
    assert np.all(w > 0)


def test_two_body_volume_is_one_over_8pi():
    assert massless_volume(2, 91.2) == pytest.approx(1 / (8 * math.pi), rel=1e-14)


def test_massive_two_body_weight_is_beta_over_8pi(rng):
    m1, m2, sqrt_s = 3.0, 5.0, 20.0
    _, w = rambo_from_unit(rng.uniform(1e-9, 1, (50, 8)), sqrt_s, [m1, m2])
    s = sqrt_s**2
    beta = math.sqrt((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)) / s
    np.testing.assert_allclose(w, beta / (8 * math.pi), rtol=1e-10)


def test_three_body_massless_dalitz_is_flat(rng):
    # flat phase space: s12/s is uniform on the Dalitz triangle → its mean is 1/3
    p, _ = rambo_from_unit(rng.uniform(1e-12, 1, (200_000, 12)), 10.0)
    y12 = s_ij(p, 0, 1) / 100.0
    assert abs(y12.mean() - 1 / 3) < 3e-3
    assert abs(np.mean(y12 < 0.5) - 0.75) < 5e-3  # area fraction of y12 < 1/2 is 3/4


@given(v=st.floats(1e-6, 1 - 1e-6))
def test_degenerate_collinear_input_is_reported(v):
    with pytest.raises(ValueError, match="collinear"):
        rambo_from_unit(np.full((2, 12), v), 10.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="need 4n uniform numbers"):
        rambo_from_unit(np.full((1, 7), 0.5), 10.0)
    with pytest.raises(ValueError, match="exceed"):
        rambo_from_unit(np.linspace(0.1, 0.8, 8)[None, :], 10.0, [6.0, 6.0])


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 5), seed=st.integers(0, 2**32 - 1))
@example(n=2, seed=3867)  # a soft momentum near a collinear one: γ ~ 10³ in the boost
def test_straight_lines_map_to_smooth_physical_trajectories(n, seed):
    from hepemu.data.samplers import straight_lines

    rng = np.random.default_rng(seed)
    lines = straight_lines(3, 8 * 399 + 1, 4 * n, rng)
    assert lines.min() >= 1e-3 and lines.max() <= 1 - 1e-3
    np.testing.assert_allclose(np.diff(lines, 2, axis=1), 0, atol=1e-12)  # straight
    p, _ = rambo_from_unit(lines.reshape(-1, 4 * n), 10.0)
    p = p.reshape(3, -1, n, 4)
    np.testing.assert_allclose(p.sum(axis=2)[..., 1:], 0, atol=1e-9)
    np.testing.assert_allclose(p.sum(axis=2)[..., 0], 10.0, rtol=1e-10)
    np.testing.assert_allclose(invariant_mass2(p), 0, atol=1e-8)
    # continuity: an 8× finer step shrinks the largest jump between neighbours. The map is
    # only Hölder-1/2 where cos θ → ±1 (sin θ = √(1 − cos²θ)): jumps then fall like √step,
    # so a 2× refinement (1/√2 ≈ 0.71 at best) cannot show it; 8× gives ≤ 0.57 in 1200 cases
    coarse = np.abs(np.diff(p[:, ::8], axis=1)).max()
    fine = np.abs(np.diff(p, axis=1)).max()
    assert fine < 0.75 * coarse


# --- massive phase-space volumes from an independent route: the Dalitz plot ----------------
# Convention of kinematics.py, dΦ_n = Π d³p/((2π)³ 2E) (2π)⁴ δ⁴(P − Σp), i.e. (2π)⁴ × the PDG
# dΦ_n; then PDG "Kinematics" review, three-body Dalitz plot (dΓ = |M|² dm12² dm23²/(32 (2π)³
# M³)) gives Φ3 = 1/(2π)⁵ · π²/(4s) ∫∫ ds12 ds23 = (Dalitz area)/(16 s (2π)³).


def _kallen(a, b, c):
    return a * a + b * b + c * c - 2 * a * b - 2 * a * c - 2 * b * c


def _phi2(s, m1, m2):
    """Two-body volume λ^½(s, m1², m2²)/(8π s)."""
    return math.sqrt(_kallen(s, m1**2, m2**2)) / (8 * math.pi * s)


def _phi3_dalitz(s, m1, m2, m3):
    """Φ3 by numerical integration of the Dalitz region: ds23 between the PDG limits
    (E2* + E3*)² − (p2* ± p3*)² in the (12) rest frame, then ds12 by adaptive quadrature."""

    def s23_range(s12):
        m12 = math.sqrt(s12)
        e2 = (s12 - m1**2 + m2**2) / (2 * m12)
        e3 = (s - s12 - m3**2) / (2 * m12)
        p2 = math.sqrt(max(e2**2 - m2**2, 0.0))
        p3 = math.sqrt(max(e3**2 - m3**2, 0.0))
        return (e2 + e3) ** 2 - (p2 + p3) ** 2, (e2 + e3) ** 2 - (p2 - p3) ** 2

    def width(s12):
        lo, hi = s23_range(s12)
        return hi - lo

    lo, hi = (m1 + m2) ** 2, (math.sqrt(s) - m3) ** 2
    area, _ = integrate.quad(width, lo, hi, epsabs=0, epsrel=1e-12, limit=200)
    return area / (2 * math.pi) ** 5 * math.pi**2 / (4 * s)


def _phi4_recursive(s, m1, m2, m3, m4):
    """Φ4 = ∫ dM²/(2π) Φ2(M²; m1, m2) Φ3(s; M, m3, m4) (phase-space factorisation)."""

    def f(mm):
        return _phi2(mm, m1, m2) * _phi3_dalitz(s, math.sqrt(mm), m3, m4) / (2 * math.pi)

    lo, hi = (m1 + m2) ** 2, (math.sqrt(s) - m3 - m4) ** 2
    return integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-10, limit=200)[0]


def test_reference_volumes_reduce_to_massless_formula():
    # the reference integrals above, checked against the closed massless form
    assert _phi3_dalitz(100.0, 0, 0, 0) == pytest.approx(100.0 / (32 * (2 * math.pi) ** 3))
    assert _phi3_dalitz(100.0, 0, 0, 0) == pytest.approx(massless_volume(3, 10.0), rel=1e-10)
    assert _phi4_recursive(100.0, 0, 0, 0, 0) == pytest.approx(massless_volume(4, 10.0), rel=1e-8)


@pytest.mark.parametrize(
    "masses", [(1.0, 2.0, 3.0), (0.0, 0.0, 4.0), (4.5, 0.5, 0.2), (0.5, 1.5, 2.5, 3.0)]
)
def test_mean_massive_rambo_weight_is_the_phase_space_volume(masses):
    # E_u[w(u)] over uniform u is the massive phase-space volume: compare with the Dalitz-plot
    # integral (n = 3) and its recursion (n = 4) within 4 Monte Carlo standard errors.
    sqrt_s, n = 10.0, len(masses)
    u = np.random.default_rng(17 + n).uniform(1e-12, 1, (100_000, 4 * n))
    _, w = rambo_from_unit(u, sqrt_s, list(masses))
    ref = _phi3_dalitz(sqrt_s**2, *masses) if n == 3 else _phi4_recursive(sqrt_s**2, *masses)
    se = w.std(ddof=1) / math.sqrt(len(w))
    assert se < 0.005 * ref  # precise enough to see any wrong power of the mass factor
    assert ref < 0.9 * massless_volume(n, sqrt_s)  # the masses matter
    assert abs(w.mean() - ref) < 4 * se, (w.mean() / ref, se / ref)


def test_thrust_of_three_partons():
    from hepemu.physics.kinematics import thrust_three_partons

    # Mercedes star: T = 2/3; back-to-back pair with a soft third parton: T → 1
    c, s = np.cos(2 * np.pi / 3), np.sin(2 * np.pi / 3)
    star = np.array([[[1, 1, 0, 0], [1, c, s, 0], [1, c, -s, 0]]], dtype=float)
    assert thrust_three_partons(star, 3.0)[0] == pytest.approx(2 / 3)
    soft = np.array([[[1.5 - 1e-3, 0, 0, 1.5 - 1e-3], [1.5, 0, 0, -1.5], [1e-3, 0, 0, 1e-3]]])
    assert thrust_three_partons(soft, 3.0)[0] == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ValueError, match=r"needs \(N, 3, 4\) momenta"):
        thrust_three_partons(np.zeros((1, 4, 4)), 3.0)
