"""Numerical one-loop reduction of massless fermion loops, checked against analytic gg → γγ.

The engine (Feynman rules, D-dimensional integrand reduction) and BDD's analytic amplitudes
(:mod:`hepemu.physics.loop.gg_yy`) are independent: agreement checks both, the rational
all-plus/one-minus amplitudes and the normalisation M^(1) = −(i/8) Σ_σ R_σ included.
"""

import numpy as np
import pytest

from hepemu.physics.kinematics import rambo_from_unit
from hepemu.physics.loop import fermion_loop, gg_yy, scalar_integrals


def gg_yy_momenta(points: int, seed: int):
    po, _ = rambo_from_unit(np.random.default_rng(seed).uniform(1e-6, 1, (points, 8)), 1000.0)
    beams = np.array([[500.0, 0, 0, 500], [500, 0, 0, -500]])
    p = np.concatenate([np.broadcast_to(beams, (points, 2, 4)), po], axis=1)
    k = p.copy()
    k[:, :2] *= -1
    return p, k


@pytest.fixture(scope="module")
def engine():
    p, k = gg_yy_momenta(4, seed=5)
    return p, k, fermion_loop.amplitude(k, np.roll(k, 1, axis=1))


def test_poles_cancel_in_the_sum_of_diagrams(engine):
    _, _, amp = engine
    assert np.abs(amp[..., :2]).max() < 1e-8 * np.abs(amp[..., 2]).max()


def test_every_helicity_matches_the_analytic_amplitude(engine):
    p, _, amp = engine
    analytic = gg_yy.helicity_amplitudes(p)
    for hel, m1 in analytic.items():
        idx = tuple(0 if h > 0 else 1 for h in hel)
        numeric = np.abs(amp[(slice(None), *idx, 2)]) / 8
        np.testing.assert_allclose(numeric, np.abs(m1), rtol=1e-7, err_msg=str(hel))


def test_gauge_invariance_under_a_change_of_reference_momenta(engine):
    _, k, amp = engine
    other = fermion_loop.amplitude(k, np.roll(k, 2, axis=1))
    # |amplitude| per helicity is reference independent (the phase is not)
    np.testing.assert_allclose(np.abs(other[..., 2]), np.abs(amp[..., 2]), rtol=1e-8)


def test_one_mass_box_dilogarithm_continuation_is_analytic():
    """Li₂(1 − r), r = (−x − i0)/(−y − i0), is its principal value at x + iδ|x|, y + iδ|y|."""
    from scipy.special import spence

    x = np.array([3.0, -2.0, 5.0, -4.0])
    y = np.array([-1.0, 7.0, 2.0, -3.0])
    delta = 1e-9
    xc, yc = x + 1j * delta * np.abs(x), y + 1j * delta * np.abs(y)
    # off the real axis the principal branch is the analytic function along the small rotation
    r = (-xc) / (-yc)
    direct = spence(r)
    np.testing.assert_allclose(scalar_integrals.li2_one_minus_ratio(x, y), direct, atol=1e-6)
