"""Spinor products and polarisation vectors: the identities they must satisfy (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hepemu.physics.kinematics import dot, rambo_from_unit
from hepemu.physics.loop.spinors import Spinors, polarisations


def outgoing(n_out: int, seed: int, sqrt_s: float, points: int = 3) -> np.ndarray:
    """All-outgoing momenta (N, 2 + n_out, 4): beams along ±z negated, then RAMBO."""
    p, _ = rambo_from_unit(
        np.random.default_rng(seed).uniform(1e-6, 1, (points, 4 * n_out)), sqrt_s
    )
    e = sqrt_s / 2
    beams = np.array([[-e, 0, 0, -e], [-e, 0, 0, e]])  # incoming along +z and −z, negated
    return np.concatenate([np.broadcast_to(beams, (points, 2, 4)), p], axis=1)


def minkowski(a, b):
    return a[..., 0] * b[..., 0] - np.sum(a[..., 1:] * b[..., 1:], axis=-1)


cases = dict(n_out=st.integers(2, 4), seed=st.integers(0, 2**32 - 1), sqrt_s=st.floats(1.0, 1e4))


@settings(max_examples=50, deadline=None)
@given(**cases)
def test_products_reproduce_invariants_and_are_antisymmetric(n_out, seed, sqrt_s):
    k = outgoing(n_out, seed, sqrt_s)
    sp = Spinors.of(k)
    scale = sqrt_s**2
    s = 2 * dot(k[:, :, None], k[:, None, :])
    np.testing.assert_allclose(sp.s, s, atol=1e-11 * scale)
    np.testing.assert_allclose(np.abs(sp.a) ** 2, np.abs(s), atol=1e-11 * scale)
    np.testing.assert_allclose(np.abs(sp.b) ** 2, np.abs(s), atol=1e-11 * scale)
    np.testing.assert_allclose(sp.a, -np.swapaxes(sp.a, 1, 2), atol=1e-12 * sqrt_s)
    np.testing.assert_allclose(sp.b, -np.swapaxes(sp.b, 1, 2), atol=1e-12 * sqrt_s)


@settings(max_examples=50, deadline=None)
@given(**cases)
def test_momentum_conservation_schouten_and_levi_civita(n_out, seed, sqrt_s):
    k = outgoing(n_out, seed, sqrt_s)
    sp = Spinors.of(k)
    a = sp.a
    # Σ_k ⟨ik⟩[kj] = 0 for conserved momenta
    np.testing.assert_allclose(np.einsum("nik,nkj->nij", a, sp.b), 0, atol=1e-10 * sqrt_s**2)
    # Schouten: ⟨ij⟩⟨kl⟩ = ⟨ik⟩⟨jl⟩ + ⟨il⟩⟨kj⟩
    i, j, m, n = 0, 1, 2, 3
    lhs = a[:, i, j] * a[:, m, n]
    rhs = a[:, i, m] * a[:, j, n] + a[:, i, n] * a[:, m, j]
    np.testing.assert_allclose(lhs, rhs, atol=1e-10 * sqrt_s**2)
    # ε(i,j,m,n) = 4i ε_μνρσ k_i k_j k_m k_n
    det = np.linalg.det(np.stack([k[:, 0], k[:, 1], k[:, 2], k[:, 3]], axis=-1))
    np.testing.assert_allclose(sp.eps(0, 1, 2, 3), 4j * det, atol=1e-9 * sqrt_s**4)


@settings(max_examples=50, deadline=None)
@given(**cases)
def test_polarisations_transverse_normalised_complete(n_out, seed, sqrt_s):
    k = outgoing(n_out, seed, sqrt_s)[:, 2:]
    kk, q = k[:, 0], k[:, 1]  # a final-state boson and its reference momentum
    ep, em = polarisations(kk, q)
    np.testing.assert_allclose(minkowski(ep, em), -1, atol=1e-10)
    for e in (ep, em):
        np.testing.assert_allclose(minkowski(e, e), 0, atol=1e-10)
        np.testing.assert_allclose(minkowski(e, kk), 0, atol=1e-10 * sqrt_s)
        np.testing.assert_allclose(minkowski(e, q), 0, atol=1e-10 * sqrt_s)
    g = np.diag([1.0, -1, -1, -1])
    completeness = np.einsum("nm,nv->nmv", ep, ep.conj()) + np.einsum("nm,nv->nmv", em, em.conj())
    kq = minkowski(kk, q)[:, None, None]
    expected = -g + (kk[:, :, None] * q[:, None, :] + q[:, :, None] * kk[:, None, :]) / kq
    np.testing.assert_allclose(completeness, expected, atol=1e-9)
