"""Reference integrators: Gauss–Legendre vs lattice QMC vs published pySecDec values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hepemu.physics.integrals.gghh import GGHH_BOX_FULL, GGHH_BOX_SECTOR
from hepemu.physics.integrals.quadrature import (
    cbc_generating_vector,
    integrate_gauss_legendre,
    integrate_qmc,
)
from hepemu.physics.integrals.transforms import korobov

POINT = np.array([[-10.0, -5.0, -4.0]])


def test_gl_reproduces_pysecdec_values():
    # pySecDec values quoted in the issue (sector x4 = 1, and the whole box)
    sector = integrate_gauss_legendre(GGHH_BOX_SECTOR, POINT, 3, 24)[0]
    full = integrate_gauss_legendre(GGHH_BOX_FULL, POINT, 3, 24)[0]
    assert sector == pytest.approx(1.4475915715935e-2, rel=1e-12)
    assert full == pytest.approx(4.1647332855491e-2, rel=1e-12)


def test_qmc_agrees_with_gl_to_ten_digits(rng):
    s = GGHH_BOX_SECTOR.sample_params(6, rng)
    gl = integrate_gauss_legendre(GGHH_BOX_SECTOR, s, 3, 40)
    q = integrate_qmc(GGHH_BOX_SECTOR, s, 3, n=100003, n_shifts=8, seed=3)
    np.testing.assert_allclose(q.value, gl, rtol=1e-10)
    assert np.all(q.error < 1e-10 * np.abs(gl))
    # the error estimate is an honest bound on the true deviation, within a few sigma
    assert np.all(np.abs(q.value - gl) < 6 * q.error + 1e-15 * np.abs(gl))


def test_qmc_error_shrinks_with_lattice_size():
    small = integrate_qmc(GGHH_BOX_SECTOR, POINT, 3, n=1009, n_shifts=8, seed=1)
    large = integrate_qmc(GGHH_BOX_SECTOR, POINT, 3, n=20011, n_shifts=8, seed=1)
    assert large.error[0] < small.error[0] / 10


def test_gl_exact_for_polynomials():
    f = lambda s, x: s[:, 0] * x[:, 0] ** 5 * x[:, 1] ** 2  # noqa: E731
    val = integrate_gauss_legendre(f, np.array([[3.0], [6.0]]), 2, 3)
    np.testing.assert_allclose(val, [3.0 / 18, 6.0 / 18], rtol=1e-14)


def _p2(zv, n):
    x = (np.arange(n)[:, None] * np.asarray(zv)[None, :] % n) / n
    om = 2 * np.pi**2 * (x * x - x + 1 / 6)
    return np.mean(np.prod(1 + om, axis=1)) - 1


@pytest.mark.parametrize("n,k", [(101, 4), (211, 3), (53, 5)])
def test_fast_cbc_equals_brute_force_cbc(n, k):
    # brute-force CBC: for each new component, try every z in 1..n−1 (Nuyens & Cools 2006)
    z = [1]
    for _ in range(1, k):
        scores = [_p2(z + [c], n) for c in range(1, n)]
        z.append(1 + int(np.argmin(scores)))
    fast = cbc_generating_vector(n, k)
    assert _p2(fast, n) == pytest.approx(_p2(z, n), rel=1e-10)


def test_cbc_vector_beats_bad_vector():
    n, k = 1009, 3
    z = cbc_generating_vector(n, k)
    assert z[0] == 1 and np.all((z > 0) & (z < n))

    def p2(zv):
        x = (np.arange(n)[:, None] * zv[None, :] % n) / n
        om = 2 * np.pi**2 * (x * x - x + 1 / 6)
        return np.mean(np.prod(1 + om, axis=1)) - 1

    assert p2(z) < p2(np.array([1, 2, 3])) / 10


@settings(max_examples=50, deadline=None)
@given(
    order=st.integers(min_value=0, max_value=5),
    t=st.lists(st.floats(0, 1), min_size=1, max_size=20),
)
def test_korobov_is_monotone_map_of_unit_interval(order, t):
    t = np.sort(np.array(t))
    x, w = korobov(t, order)
    assert np.all((x >= -1e-12) & (x <= 1 + 1e-12))
    assert np.all(np.diff(x) >= -1e-12)
    assert np.all(w >= -1e-12)
    xe, _ = korobov(np.array([0.0, 0.5, 1.0]), order)
    np.testing.assert_allclose(xe, [0.0, 0.5, 1.0], atol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_korobov_weight_is_derivative(order):
    t = np.linspace(0.05, 0.95, 19)
    h = 1e-6
    xp, _ = korobov(t + h, order)
    xm, _ = korobov(t - h, order)
    _, w = korobov(t, order)
    np.testing.assert_allclose((xp - xm) / (2 * h), w, rtol=1e-7)
    if order == 1:
        np.testing.assert_allclose(korobov(t, 1)[0], t * t * (3 - 2 * t), rtol=1e-14)


def _smooth_2d(s, x):
    """A cheap smooth non-periodic integrand on [0,1]^2 (one parameter)."""
    return 1.0 / (1.0 + s[:, 0] * x[:, 0] + x[:, 1] ** 2 + 0.5 * x[:, 0] * x[:, 1])


def test_qmc_error_is_calibrated_over_independent_shifts():
    # integrate_qmc quotes the standard error of the mean of n_shifts shift estimates, so
    # (value − truth)/error follows Student's t with n_shifts − 1 degrees of freedom: with 10
    # shifts it lies within ±1 in 65.7% of runs (68.3% for a normal) and within ±2 in 92.3%.
    # Over 1000 independent seeds both fractions must match within 4 binomial standard
    # deviations (+0.01 for the non-Gaussian shape of few-shift lattice estimates). An error
    # √8 too large would cover ≈98% / ≈100%, one √8 too small ≈27% / ≈52%.
    s = np.array([[0.7]])
    ref = integrate_gauss_legendre(_smooth_2d, s, 2, 40)[0]  # converged to ~1e-16
    assert ref == pytest.approx(integrate_gauss_legendre(_smooth_2d, s, 2, 60)[0], rel=1e-14)
    n_shifts, trials = 10, 1000
    dev, err = np.empty(trials), np.empty(trials)
    for seed in range(trials):
        r = integrate_qmc(_smooth_2d, s, 2, n=53, n_shifts=n_shifts, korobov_order=1, seed=seed)
        dev[seed], err[seed] = abs(r.value[0] - ref), r.error[0]
    assert np.median(err) > 1e-8  # far above rounding and the reference's own error
    for k in (1, 2):
        expected = 2 * stats.t.cdf(k, n_shifts - 1) - 1
        tol = 4 * np.sqrt(expected * (1 - expected) / trials) + 0.01
        covered = np.mean(dev <= k * err)
        assert abs(covered - expected) < tol, (k, covered, expected)
