"""e⁺e⁻ → qq̄(g) matrix elements against the textbook cross sections and the soft limit."""

import math

import numpy as np
import pytest

from hepemu.physics.kinematics import dot, rambo_from_unit
from hepemu.physics.tree.ee_jets import C_F, EECouplings, ZBoson, beams, ee_qq, ee_qqg, sigma0

SQRT_S = 91.188
# ±x, ±y, ±z: a spherical 3-design, exact for averages of quadratics in the beam direction
OCTAHEDRON = np.vstack([np.eye(3), -np.eye(3)])


def _with_beam(p_out: np.ndarray, n: np.ndarray) -> np.ndarray:
    half = 0.5 * SQRT_S
    pa = np.concatenate([[half], half * n])
    pb = np.concatenate([[half], -half * n])
    b = np.broadcast_to(np.stack([pa, pb]), (len(p_out), 2, 4))
    return np.concatenate([b, p_out], axis=1)


def test_ee_qq_integrates_to_born_cross_section():
    # σ = (1/2s) ∫ |M|² dΦ₂ with dΦ₂ = dΩ/(32π²); average over beam directions is exact
    p_out, _ = rambo_from_unit(np.random.default_rng(0).random((5, 8)), SQRT_S)
    m2 = np.mean([ee_qq(_with_beam(p_out, n)) for n in OCTAHEDRON], axis=0)
    sigma = m2 / (2 * SQRT_S**2) * 4 * math.pi / (32 * math.pi**2)
    np.testing.assert_allclose(sigma, sigma0(SQRT_S), rtol=1e-12)


def test_ee_qqg_orientation_average_is_textbook_dalitz_density():
    # dσ/dx₁dx₂ = σ₀ C_F α_s/(2π) (x₁²+x₂²)/((1−x₁)(1−x₂)), dΦ₃ = s/(128π³) dx₁dx₂ dΩ dγ/(8π²)
    c = EECouplings()
    p_out, _ = rambo_from_unit(np.random.default_rng(1).random((50, 12)), SQRT_S)
    m2 = np.mean([ee_qqg(_with_beam(p_out, n), c) for n in OCTAHEDRON], axis=0)
    s = SQRT_S**2
    x1, x2 = 2 * p_out[:, 0, 0] / SQRT_S, 2 * p_out[:, 1, 0] / SQRT_S
    dsigma = m2 / (2 * s) * s / (128 * math.pi**3)
    expect = sigma0(SQRT_S, c) * C_F * c.alpha_s / (2 * math.pi)
    expect *= (x1**2 + x2**2) / ((1 - x1) * (1 - x2))
    np.testing.assert_allclose(dsigma, expect, rtol=1e-10)


@pytest.mark.parametrize("lam", [1e-3, 1e-5])
def test_ee_qqg_soft_limit_is_eikonal_times_born(lam):
    # |M₃|² → 4 C_F g² s₁₂/(s₁₃ s₂₃) |M₂|² as the gluon energy → 0 (soft-gluon eikonal factor)
    c = EECouplings()
    rng = np.random.default_rng(2)
    p2, _ = rambo_from_unit(rng.random((20, 8)), SQRT_S)
    k = rng.normal(size=(20, 3))
    k = lam * SQRT_S * k / np.linalg.norm(k, axis=1, keepdims=True)
    g = np.concatenate([np.linalg.norm(k, axis=1, keepdims=True), k], axis=1)
    # quarks give up the gluon momentum equally (on-shell again): conservation holds to O(λ)
    q = p2 - 0.5 * g[:, None, :]
    q[..., 0] = np.linalg.norm(q[..., 1:], axis=-1)
    p3 = np.concatenate([beams(20, SQRT_S), q, g[:, None]], axis=1)
    born = ee_qq(np.concatenate([beams(20, SQRT_S), p2], axis=1), c)
    s13, s23 = 2 * dot(q[:, 0], g), 2 * dot(q[:, 1], g)
    eik = 4 * C_F * 4 * math.pi * c.alpha_s * SQRT_S**2 / (s13 * s23)
    np.testing.assert_allclose(ee_qqg(p3, c) / (eik * born), 1.0, rtol=50 * lam)


PYAMPLICOL_EW = EECouplings(alpha=1 / 132.507, charge=-1 / 3)  # a d quark, pyamplicol's α


def _orientation_average(fn, p_out, sqrt_s):
    half = 0.5 * sqrt_s
    moms = []
    for n in OCTAHEDRON:
        b = np.stack([np.concatenate([[half], half * n]), np.concatenate([[half], -half * n])])
        moms.append(np.concatenate([np.broadcast_to(b, (len(p_out), 2, 4)), p_out], axis=1))
    return np.mean([fn(p) for p in moms], axis=0)


@pytest.mark.parametrize("charge", [-1 / 3, 2 / 3])
@pytest.mark.parametrize("sqrt_s", [30.0, 91.188, 1000.0])
def test_ee_qq_with_z_integrates_to_vector_axial_cross_section(charge, sqrt_s):
    # two derivations: chiral amplitudes (ee_qq) against the V/A textbook σ₀ (sigma0)
    c, z = EECouplings(alpha=1 / 132.507, charge=charge), ZBoson()
    p_out, _ = rambo_from_unit(np.random.default_rng(4).random((5, 8)), sqrt_s)
    m2 = _orientation_average(lambda p: ee_qq(p, c, z), p_out, sqrt_s)
    sigma = m2 / (2 * sqrt_s**2) / (8 * math.pi)  # ∫dΦ₂ = 1/(8π)
    np.testing.assert_allclose(sigma, sigma0(sqrt_s, c, z), rtol=1e-12)
    assert sigma0(sqrt_s, c, z) != pytest.approx(sigma0(sqrt_s, c), rel=1e-4)  # Z matters


@pytest.mark.parametrize("sqrt_s", [91.188, 1000.0])
def test_ee_qqg_with_z_orientation_average_is_dalitz_density(sqrt_s):
    c, z = PYAMPLICOL_EW, ZBoson()
    p_out, _ = rambo_from_unit(np.random.default_rng(5).random((50, 12)), sqrt_s)
    m2 = _orientation_average(lambda p: ee_qqg(p, c, z), p_out, sqrt_s)
    x1, x2 = 2 * p_out[:, 0, 0] / sqrt_s, 2 * p_out[:, 1, 0] / sqrt_s
    dsigma = m2 / (2 * sqrt_s**2) * sqrt_s**2 / (128 * math.pi**3)
    expect = sigma0(sqrt_s, c, z) * C_F * c.alpha_s / (2 * math.pi)
    expect *= (x1**2 + x2**2) / ((1 - x1) * (1 - x2))
    np.testing.assert_allclose(dsigma, expect, rtol=1e-10)


def test_heavy_z_decouples_and_soft_limit_with_z():
    rng = np.random.default_rng(6)
    p_out, _ = rambo_from_unit(rng.random((20, 12)), SQRT_S)
    p = np.concatenate([beams(20, SQRT_S), p_out], axis=1)
    heavy = ZBoson(mass=1e9, width=1.0)
    np.testing.assert_allclose(ee_qqg(p, PYAMPLICOL_EW, heavy), ee_qqg(p, PYAMPLICOL_EW), 1e-12)
    np.testing.assert_allclose(
        ee_qq(p[:, :4], PYAMPLICOL_EW, heavy), ee_qq(p[:, :4], PYAMPLICOL_EW)
    )
    # soft gluon: |M₃|² → 4 C_F g² s₁₂/(s₁₃ s₂₃) |M₂|² with the Z as well
    lam = 1e-6
    k = rng.normal(size=(20, 3))
    k = lam * SQRT_S * k / np.linalg.norm(k, axis=1, keepdims=True)
    g = np.concatenate([np.linalg.norm(k, axis=1, keepdims=True), k], axis=1)
    p2, _ = rambo_from_unit(rng.random((20, 8)), SQRT_S)
    q = p2 - 0.5 * g[:, None, :]
    q[..., 0] = np.linalg.norm(q[..., 1:], axis=-1)
    p3 = np.concatenate([beams(20, SQRT_S), q, g[:, None]], axis=1)
    z = ZBoson()
    born = ee_qq(np.concatenate([beams(20, SQRT_S), p2], axis=1), PYAMPLICOL_EW, z)
    eik = 4 * C_F * PYAMPLICOL_EW.gs2 * SQRT_S**2 / (4 * dot(q[:, 0], g) * dot(q[:, 1], g))
    np.testing.assert_allclose(ee_qqg(p3, PYAMPLICOL_EW, z) / (eik * born), 1.0, rtol=50 * lam)
