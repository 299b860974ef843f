"""Metrics: P/R values, boundary layer, honesty of the error, summaries."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hepemu.evaluation.metrics import (
    boundary_mask,
    error_honesty,
    p_values,
    r_values,
    summarise,
)


def test_p_value_counts_digits():
    # hand-computed: |e/t − 1| = 1e-2, 1e-4, 1e-1, 1e-5 (sign of t and of the deviation free)
    t = np.array([1.0, 2.0, -3.0, 4.0])
    e = np.array([1.01, 2.0002, -2.7, 4.00004])
    np.testing.assert_allclose(p_values(e, t), [-2, -4, -1, -5], atol=1e-9)
    assert p_values(np.array([1.001]), np.array([1.0]))[0] == pytest.approx(-3, abs=1e-12)


def test_r_value_is_log10_of_the_ratio():
    # hand-computed: e/t = 10, −0.1, −1, 1e-3, 2 → R = 1, −1, 0, −3, log10 2
    e = np.array([10.0, -0.1, 2.0, 1.0, 5.0])
    t = np.array([1.0, 1.0, -2.0, 1000.0, 2.5])
    np.testing.assert_allclose(r_values(e, t), [1, -1, 0, -3, 0.30102999566398120], atol=1e-12)


def test_exact_estimate_is_floored_not_infinite():
    assert p_values(np.array([2.0]), np.array([2.0]))[0] == -17.0  # log10 of FLOOR = 1e-17


def test_error_honesty_values():
    t = np.ones(3)
    e = np.array([1.01, 0.99, 1.0 + 1e-2])
    sigma = np.array([0.1, 1e-3, 1e-2])
    # σ/|e − t| = 10, 0.1, 1 → 1, −1, 0
    np.testing.assert_allclose(error_honesty(e, sigma, t), [1, -1, 0], atol=1e-9)


def test_boundary_mask_on_explicit_points():
    # width 0.05: the layer is |coordinate| > 0.9 in any coordinate of [−1, 1]^m
    s = np.array(
        [
            [0.0, 0.0, 0.0],  # centre
            [0.89, -0.89, 0.5],  # close to the layer, still inside
            [0.91, 0.0, 0.0],  # just in the layer
            [0.0, -0.95, 0.0],  # in the layer, negative side
            [0.3, 0.2, 1.0],  # on the face of the box
            [-1.0, -1.0, -1.0],  # a corner
            [0.85, 0.0, -0.85],  # in the layer only for width 0.1 (|c| > 0.8)
            [0.5, -0.75, 0.0],  # outside both layers
        ]
    )
    expect_005 = [False, False, True, True, True, True, False, False]
    expect_010 = [False, True, True, True, True, True, True, False]
    np.testing.assert_array_equal(boundary_mask(s, 0.05), expect_005)
    np.testing.assert_array_equal(boundary_mask(s), expect_005)  # 0.05 is the default
    np.testing.assert_array_equal(boundary_mask(s, 0.1), expect_010)
    # width 0.5: |c| > 0, every point but the centre
    np.testing.assert_array_equal(boundary_mask(s, 0.5), [False] + [True] * 7)


@given(st.lists(st.floats(-1, 1), min_size=3, max_size=3), st.floats(0.0, 0.5))
def test_boundary_layer_grows_with_its_width(coords, width):
    s = np.array([coords])
    if boundary_mask(s, width)[0]:
        assert boundary_mask(s, min(width + 0.01, 0.5))[0]


def test_summary_on_a_hand_made_example():
    t = np.ones(4)
    e = np.array([1.01, 1.0001, 0.9, 1.00001])  # P = −2, −4, −1, −5
    s = np.array([[0.0, 0.0], [0.95, 0.0], [0.0, -0.99], [0.5, 0.5]])  # rows 1, 2 in layer
    sigma = np.array([0.02, 1e-5, 0.2, 1e-6])  # covers |e − t| = 0.01 and 0.1, not the others
    summ = summarise(e, t, s, sigma=sigma)
    assert summ.n_points == 4
    assert summ.mean_digits == pytest.approx(3.0)
    assert summ.median_digits == pytest.approx(3.0)
    assert summ.worst_digits == pytest.approx(1.0)
    assert summ.frac_above_3_digits == 0.5
    assert summ.n_boundary == 2
    assert summ.mean_digits_boundary == pytest.approx(2.5)  # (4 + 1)/2
    assert summ.frac_error_covered == 0.5
    # R = 1, −1, 0: mean 0, population standard deviation √(2/3)
    summ = summarise(np.array([10.0, 0.1, 1.0]), np.ones(3), np.zeros((3, 2)))
    assert summ.mean_r == pytest.approx(0.0, abs=1e-15)
    assert summ.std_r == pytest.approx(np.sqrt(2 / 3))
    assert summ.n_boundary == 0 and np.isnan(summ.mean_digits_boundary)
    assert summ.frac_error_covered is None


def test_summary_fields(rng):
    t = rng.uniform(1, 2, 500)
    e = t * (1 + 1e-4 * rng.standard_normal(500))
    s = rng.uniform(-1, 1, (500, 3))
    summ = summarise(e, t, s, sigma=np.full(500, 1e-4) * t)
    assert 3.5 < summ.mean_digits < 5
    assert 0 < summ.n_boundary < 500
    assert abs(summ.mean_r) < 1e-5
    assert 0.6 < summ.frac_error_covered < 0.76  # 1σ Gaussian coverage ≈ 68%


def test_plots_write_png_files(tmp_path, rng):
    from hepemu.evaluation.plots import precision_histograms, training_curve

    t = rng.uniform(1, 2, 100)
    e = t * (1 + 1e-4 * rng.standard_normal(100))
    s = rng.uniform(-1, 1, (100, 3))
    png = precision_histograms(e, t, s, tmp_path / "a" / "p.png", sigma=np.full(100, 1e-4))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    hist = [{"step": i, "digits": 1 + i / 10, "loss": 1.0 / (i + 1)} for i in range(5)]
    curve = training_curve(hist, tmp_path / "b" / "c.png")
    assert curve.read_bytes()[:4] == b"\x89PNG"
