"""Hadron-collider kinematics (physics/hadronic.py) and the loop providers' option
``hadronic_sqrt_s``: lab momenta conserve momentum with beams x₁P₁, x₂P₂; the images of lab
events in the partonic frame at 1 TeV pass the partonic region that the lab cuts imply; the
one-loop |M|² at the image times the dimensional factor is |M|² at the lab event; a model
trained on images is judged against that region, a partonic model is not."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hepemu.physics.cuts import PhotonJetCut
from hepemu.physics.hadronic import (
    image_region,
    lab_from_unit,
    mhat_min_from_cut,
    rescaled,
    to_partonic_frame,
)
from hepemu.physics.providers import get_provider

SQRT_S = 13600.0
TAU0 = (90.0 / SQRT_S) ** 2
# unit numbers from a seed (equal u give all-collinear RAMBO momenta, a measure-zero set)
unit_rows = st.integers(0, 2**32 - 1).map(lambda k: np.random.default_rng(k).random((8, 14)))


@settings(max_examples=60, deadline=None)
@given(unit_rows)
def test_lab_momenta_conserve_momentum_with_beams_along_the_axis(u):
    p = lab_from_unit(u, SQRT_S, TAU0, 3)
    total_in, total_out = p[:, 0] + p[:, 1], p[:, 2:].sum(axis=1)
    np.testing.assert_allclose(total_out, total_in, atol=1e-9 * SQRT_S)
    np.testing.assert_allclose(p[:, :2, 1:3], 0.0, atol=1e-12)
    x1, x2 = 2 * p[:, 0, 0] / SQRT_S, 2 * p[:, 1, 0] / SQRT_S
    assert np.all((x1 <= 1 + 1e-12) & (x2 <= 1 + 1e-12))
    assert np.all(x1 * x2 >= TAU0 * (1 - 1e-9))
    np.testing.assert_allclose(p[:, 0, 3], p[:, 0, 0], rtol=1e-12)  # massless, along +z
    np.testing.assert_allclose(p[:, 1, 3], -p[:, 1, 0], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(unit_rows)
def test_partonic_frame_and_rescaling_put_the_event_at_rest_at_the_given_energy(u):
    p = lab_from_unit(u, SQRT_S, TAU0, 3)
    q, factor = rescaled(to_partonic_frame(p), 1000.0)
    q = q.reshape(p.shape)
    total = q[:, 0] + q[:, 1]
    np.testing.assert_allclose(total[:, 1:], 0.0, atol=1e-8)
    np.testing.assert_allclose(total[:, 0], 1000.0, rtol=1e-10)
    shat = (p[:, 0] + p[:, 1])[:, 0] ** 2 - (p[:, 0] + p[:, 1])[:, 3] ** 2
    np.testing.assert_allclose(factor, (1000.0**2 / shat) ** 1, rtol=1e-10)  # 2(n−4), n = 5


def test_image_points_lie_in_the_implied_region_and_the_loop_scales():
    """Every image passes image_region (the necessary condition); |M|² at the image × the
    dimensional factor is the closed-form |M|² at the lab event's partonic frame."""
    prov = get_provider("ggyyg-1l", {"hadronic_sqrt_s": SQRT_S})
    assert prov.unit_dim == 14
    u = np.random.default_rng(5).random((4000, 14))
    x, keep = prov.from_unit(u)
    assert 0.3 < keep.mean() < 0.9
    p = prov.momenta(x[keep])
    assert prov.region_cut(p[:, 2:]).all()
    partonic = get_provider("ggyyg-1l")
    outside = ~partonic.cut(p[:, 2:])
    assert outside.any()  # the partonic model's cuts do not hold every image
    # the lab events themselves, for the scaling check
    lab = lab_from_unit(u[keep][:200], SQRT_S, prov.tau0, 3)
    at_lab = partonic(to_partonic_frame(lab).reshape(200, -1))
    image, factor = rescaled(to_partonic_frame(lab), 1000.0)
    np.testing.assert_allclose(partonic(image) * factor, at_lab, rtol=1e-9)
    np.testing.assert_allclose(image, x[keep][:200], rtol=1e-12, atol=1e-9)


def test_image_region_widens_the_cuts_by_the_largest_boost_and_energy():
    cut = PhotonJetCut()
    region = image_region(cut, 1000.0, SQRT_S, TAU0)
    assert mhat_min_from_cut(cut, 1) == 90.0
    np.testing.assert_allclose(region.photon_pt, (40 * 1000 / SQRT_S, 30 * 1000 / SQRT_S))
    np.testing.assert_allclose(region.photon_eta, 2.37 + np.log(SQRT_S / 90.0))
    assert region.delta_r == cut.delta_r


def test_trained_region_of_an_image_model_uses_the_implied_region():
    from hepemu.models.momentum_region import trained_region

    prov = get_provider("ggyyg-1l", {"hadronic_sqrt_s": SQRT_S})
    x, keep = prov.from_unit(np.random.default_rng(6).random((3000, 14)))
    p = prov.momenta(x[keep])
    image = {"provider": "ggyyg-1l", "provider_options": {"hadronic_sqrt_s": SQRT_S}}
    for what, outside in trained_region(image):
        assert not outside(p).any(), what
    partonic = dict(trained_region({"provider": "ggyyg-1l", "provider_options": {}}))
    cut_check = next(f for what, f in partonic.items() if "cuts" in what)
    assert cut_check(p).any()


def test_the_option_is_checked():
    with pytest.raises(ValueError, match="hadronic_sqrt_s must exceed"):
        get_provider("ggyyg-1l", {"hadronic_sqrt_s": 80})
    with pytest.raises(ValueError, match="positive"):
        get_provider("ggyyg-1l", {"hadronic_sqrt_s": -1})
    with pytest.raises(ValueError, match="p_T thresholds"):
        from hepemu.physics.providers.loops import LoopProvider

        LoopProvider("ggyyg-1l", cut=None, hadronic_sqrt_s=SQRT_S)


def test_a_collider_run_takes_the_partonic_truth_and_a_partonic_run_refuses_images(tmp_path):
    pytest.importorskip("parton")
    from test_collider import write_set

    from hepemu.applications.collider import Collider, HadronicProcess
    from hepemu.applications.event_run import EventRunSetup, prepare

    base = get_provider("ggyyg-1l", {"hadronic_sqrt_s": SQRT_S})
    process = HadronicProcess(base, Collider(SQRT_S, str(write_set(tmp_path))))
    assert process.base.hadronic_sqrt_s is None and process.unit_dim == 14
    setup = EventRunSetup("ggyyg-1l", {"hadronic_sqrt_s": SQRT_S}, "ggyyg-1l-pp-ensemble")
    with pytest.raises(ValueError, match="add --collider pp"):
        prepare(tmp_path / "run", setup)


def test_rounding_in_a_constant_column_is_not_outside_the_input_box():
    """Image points' beams are 500 GeV up to rounding (boost, rescaling): the partonic
    model's input box, whose beam columns are constant, must not flag them; its cuts do
    flag the few images outside them."""
    from hepemu.registry import load_model

    prov = get_provider("ggyyg-1l", {"hadronic_sqrt_s": SQRT_S})
    x, keep = prov.from_unit(np.random.default_rng(7).random((3000, 14)))
    x = x[keep]
    assert np.ptp(x[:, 0]) > 0  # the beam energy does carry rounding
    model = load_model("ggyyg-1l-ensemble")
    problems = model.region_problems(x)
    box = next(bad for what, bad in problems if "input ranges" in what)
    cuts = next(bad for what, bad in problems if "cuts" in what)
    exact = x.copy()
    exact[:, :8] = [500.0, 0, 0, 500.0, 500.0, 0, 0, -500.0]  # the beams without rounding
    np.testing.assert_array_equal(box, model.outside_region(exact) & box)
    assert box.mean() < 0.01  # (the photon energies of a few images lie below the data's)
    assert 0 < cuts.mean() < 0.1
