"""One-loop g g → γ γ (massless quark loop): crossing, symmetries, the ten rational helicities."""

import numpy as np
import pytest

from hepemu.physics.kinematics import rambo_from_unit
from hepemu.physics.loop import gg_yy


def momenta(points: int = 200, seed: int = 0, sqrt_s: float = 1000.0) -> np.ndarray:
    p, _ = rambo_from_unit(np.random.default_rng(seed).uniform(1e-6, 1, (points, 8)), sqrt_s)
    e = sqrt_s / 2
    beams = np.array([[e, 0, 0, e], [e, 0, 0, -e]])
    return np.concatenate([np.broadcast_to(beams, (points, 2, 4)), p], axis=1)


def stu(p):
    k = p.copy()
    k[:, :2] *= -1
    s = gg_yy.invariants(k)
    return s[(0, 1)], s[(0, 3)], s[(0, 2)]


def test_crossing_gives_the_printed_physical_region_amplitudes():
    """F with ln(−x − i0), crossed s ↔ u, equals BDD (2001) eq. (2.6) as printed for s > 0."""
    p = momenta()
    s, t, u = stu(p)
    assert np.all(s > 0) and np.all(t < 0) and np.all(u < 0)
    amps = gg_yy.helicity_amplitudes(p)
    lg = np.log(-t / s)
    printed_mpmp = (
        -0.5 * (t**2 + s**2) / u**2 * lg**2
        - (t - s) / u * lg
        - 1
        - 1j * np.pi * ((t**2 + s**2) / u**2 * lg + (t - s) / u)
    )
    np.testing.assert_allclose(amps[(-1, 1, -1, 1)], printed_mpmp, rtol=1e-8, atol=1e-9)
    lu = np.log(-u / s)  # eq. (2.7): t ↔ u
    printed_pmmp = (
        -0.5 * (u**2 + s**2) / t**2 * lu**2
        - (u - s) / t * lu
        - 1
        - 1j * np.pi * ((u**2 + s**2) / t**2 * lu + (u - s) / t)
    )
    np.testing.assert_allclose(amps[(1, -1, -1, 1)], printed_pmmp, rtol=1e-8, atol=1e-9)
    lr = np.log(t / u)
    printed_mmpp = -0.5 * (t**2 + u**2) / s**2 * (lr**2 + np.pi**2) - (t - u) / s * lr - 1
    np.testing.assert_allclose(amps[(-1, -1, 1, 1)], printed_mmpp, rtol=1e-8, atol=1e-9)


def test_parity_of_every_helicity_amplitude():
    """|M(−h)| = |M(h)| (the ten rational ones, |M| = 1 by construction here, are checked
    against the numerical reduction in test_fermion_loop.py)."""
    amps = gg_yy.helicity_amplitudes(momenta(50))
    assert len(amps) == 16
    for h, m in amps.items():
        np.testing.assert_allclose(m, amps[tuple(-x for x in h)], rtol=1e-12)


@pytest.mark.parametrize("swap", [(0, 1), (2, 3)])
def test_bose_symmetry_of_msq(swap):
    p = momenta(100, seed=3)
    q = p.copy()
    q[:, list(swap)] = p[:, list(swap[::-1])]
    np.testing.assert_allclose(gg_yy.msq(q), gg_yy.msq(p), rtol=1e-8, atol=1e-9)


def test_msq_at_ninety_degrees():
    """t = u = −s/2: Σ_h |M^(1)|² = 10 + 2(|F(s;t,t)|² + 2|F(t;s,t)|²), F(s;t,t) = −π²/4 − 1."""
    sq = 1000.0
    e = sq / 2
    p = np.array([[[e, 0, 0, e], [e, 0, 0, -e], [e, e, 0, 0], [e, -e, 0, 0]]])
    s, t, u = stu(p)
    np.testing.assert_allclose([t[0], u[0]], [-s[0] / 2] * 2)
    f_s = -(np.pi**2) / 4 - 1
    f_t = gg_yy.box_function(t, s, u)[0]
    total = 10 + 2 * (f_s**2 + 2 * abs(f_t) ** 2)
    norm = 0.5 / 256 * 8 * (4 * gg_yy.ALPHA * gg_yy.ALPHA_S * gg_yy.SUM_Q2_FIVE_FLAVOURS) ** 2
    np.testing.assert_allclose(gg_yy.msq(p), norm * total, rtol=1e-8, atol=1e-9)
