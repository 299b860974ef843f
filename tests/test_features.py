"""Input features and the Q² antenna reference on RAMBO phase space (hypothesis + exact values)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hepemu.models.preprocessing import Preprocessing
from hepemu.physics.features import get_feature, invariants
from hepemu.physics.kinematics import rambo_from_unit
from hepemu.physics.references import antenna, antenna_q2, get_reference
from hepemu.physics.symmetries import CANONICALISERS, beam_azimuth

SQRT_S = 1000.0


def events(n_final: int, n: int, seed: int) -> np.ndarray:
    """e⁺ e⁻ along ±z, then RAMBO final states, flattened (N, 4·(2 + n_final))."""
    u = np.random.default_rng(seed).uniform(0.02, 0.98, (n, 4 * n_final))
    p, _ = rambo_from_unit(u, SQRT_S)
    e = SQRT_S / 2
    beams = np.broadcast_to(np.array([[e, 0, 0, e], [e, 0, 0, -e]]), (n, 2, 4))
    return np.concatenate([beams, p], axis=1).reshape(n, -1)


def rotate(x: np.ndarray, angle: float, axis: tuple[int, int]) -> np.ndarray:
    p = x.reshape(len(x), -1, 4).copy()
    a, b = axis
    c, s = np.cos(angle), np.sin(angle)
    pa, pb = p[..., a].copy(), p[..., b].copy()
    p[..., a], p[..., b] = c * pa - s * pb, s * pa + c * pb
    return p.reshape(len(x), -1)


def test_invariants_are_the_pair_masses_in_order():
    x = events(3, 5, 0)
    f = invariants(x)
    p = x.reshape(5, 5, 4)
    assert f.shape == (5, 3 + 6)  # 3 final pairs, 2 beams × 3 final legs
    q = p[:, 2] + p[:, 4]  # final pair (0, 2) is the second column
    m2 = q[:, 0] ** 2 - np.sum(q[:, 1:] ** 2, axis=1)
    np.testing.assert_allclose(f[:, 1], np.log(m2 / SQRT_S**2), rtol=1e-12)
    e_plus_dot_first = p[:, 0, 0] * p[:, 2, 0] - np.sum(p[:, 0, 1:] * p[:, 2, 1:], axis=1)
    np.testing.assert_allclose(f[:, 3], 2 * e_plus_dot_first / SQRT_S**2, rtol=1e-9)
    # momentum conservation: Σ_i s_{e⁺ i} = 2 p_{e⁺}·(p_{e⁺} + p_{e⁻}) = Q²
    np.testing.assert_allclose(f[:, 3:6].sum(axis=1), 1.0, rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.floats(-np.pi, np.pi), st.integers(0, 10_000))
def test_invariants_do_not_see_rotations_about_the_beam(angle, seed):
    x = events(4, 8, seed)
    np.testing.assert_allclose(
        invariants(rotate(x, angle, (1, 2))), invariants(x), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(invariants(beam_azimuth(x)), invariants(x), rtol=1e-9, atol=1e-12)


def test_invariants_refuse_unphysical_or_misshapen_momenta():
    x = events(3, 4, 1)
    bad = x.copy()
    bad[2, 8] = -bad[2, 8]  # a final leg of negative energy: s_ij < 0
    with pytest.raises(ValueError, match="row 2"):
        invariants(bad)
    with pytest.raises(ValueError, match="flattened momenta"):
        invariants(x[:, :10])
    with pytest.raises(ValueError, match="unknown input features"):
        get_feature("angles")


def test_q2_antenna_replaces_s_qqbar_by_q2():
    x = events(3, 6, 2)
    p = x.reshape(6, 5, 4)
    q = p[:, 2] + p[:, 3]
    s_qqb = q[:, 0] ** 2 - np.sum(q[:, 1:] ** 2, axis=1)
    np.testing.assert_allclose(antenna_q2(x) * s_qqb, antenna(x) * SQRT_S**2, rtol=1e-10)
    assert get_reference("antenna-q2", "ee3j") is antenna_q2


def test_preprocessing_with_features_sizes_the_network_input():
    x = events(4, 200, 3)
    y = antenna_q2(x) * np.random.default_rng(0).uniform(0.5, 2.0, 200)
    pre = Preprocessing(features="invariants", reference="antenna-q2", canonicalise=["gluon-order"])
    pre.fit(x, y)
    assert pre.n_features == 6 + 8
    enc = pre.encode_x(x)
    assert enc.shape == (200, 14)
    np.testing.assert_allclose(enc.mean(axis=0), 0, atol=1e-12)
    back = Preprocessing.from_dict(pre.to_dict())
    np.testing.assert_array_equal(back.encode_x(x), enc)
    with pytest.raises(ValueError, match="unknown input features"):
        Preprocessing(features="momenta")


def test_log_invariants_take_the_log_of_the_beam_invariants_only():
    from hepemu.physics.features import log_invariants

    x = events(3, 6, 2)
    lin, log = invariants(x), log_invariants(x)
    np.testing.assert_array_equal(log[:, :3], lin[:, :3])  # final pairs: logs already
    np.testing.assert_allclose(log[:, 3:], np.log(lin[:, 3:]), rtol=1e-12)
    assert get_feature("log-invariants") is log_invariants


@settings(max_examples=15, deadline=None)
@given(n_final=st.integers(3, 5), seed=st.integers(0, 10_000))
def test_features_and_references_in_torch_equal_numpy(n_final, seed):
    """Export graphs compute features and references with the same functions on tensors."""
    import torch

    from hepemu.physics.tree.dipoles import azimuths, double_angles, gluon_pairs

    x = events(n_final, 50, seed)
    xt = torch.tensor(x)
    names = ["invariants", "log-invariants", "ee-dipoles", "ee-dipoles+invariants"]
    for name in names:
        want = get_feature(name)(x)
        got = get_feature(name)(xt)
        assert isinstance(got, torch.Tensor) and got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    for ref in (antenna, antenna_q2):
        np.testing.assert_allclose(ref(xt).numpy(), ref(x), rtol=1e-13)
    for name, fn in CANONICALISERS.items():  # symmetry maps in graphs: the same map
        np.testing.assert_allclose(fn(xt).numpy(), fn(x), rtol=1e-14, atol=1e-12, err_msg=name)
    pairs = gluon_pairs(["q", "qbar"] + ["g"] * (n_final - 2))
    if pairs:
        phi = azimuths(x.reshape(50, -1, 4), pairs)
        sin2, cos2 = double_angles(x.reshape(50, -1, 4), pairs)
        np.testing.assert_allclose(sin2, np.sin(2 * phi), atol=1e-12)
        np.testing.assert_allclose(cos2, np.cos(2 * phi), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_photon_order_and_beam_flip_is_a_symmetry_of_the_loop_amplitude(seed):
    """g g → γ γ g: the canonical event has ordered photons and p_z(g₃) ≥ 0, is a fixed point,
    and the closed-form one-loop |M|² is the same there (Bose symmetry, parity)."""
    from hepemu.physics.loop.gg_yyg_closed import msq
    from hepemu.physics.symmetries import get_canonicaliser

    canon = get_canonicaliser("photon-order+beam-flip")
    x = events(3, 40, seed)
    c = canon(x)
    p = c.reshape(len(c), -1, 4)
    assert np.all(p[:, 2, 0] >= p[:, 3, 0]) and np.all(p[:, 4, 3] >= 0)
    np.testing.assert_array_equal(canon(c), c)
    np.testing.assert_allclose(p.sum(axis=1)[:, 1:], 0.0, atol=1e-9)  # still conserved
    np.testing.assert_allclose(msq(p), msq(x.reshape(p.shape)), rtol=1e-10)
    moved = np.any(c != x, axis=1)
    assert moved.any() and (~moved).any()  # both kinds of event in 40 draws
