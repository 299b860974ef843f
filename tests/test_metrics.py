"""Metrics: P/R values, boundary layer, honesty of the error, summaries."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from plot_data import step_edges, step_heights

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
    """e = t(1 + 10⁻⁴ z), z ~ N(0, 1), σ = 10⁻⁴ t, s uniform in [−1, 1]³; 500 points.

    Expected values, with 4 standard errors of the 500-point means as tolerance:
    digits −log10|10⁻⁴ z| average 4 − E[log10|z|] = 4 + (γ + ln 2)/(2 ln 10) = 4.276
    (sd of log10|z|: π/(√8 ln 10) = 0.482); |e − t| ≤ σ iff |z| ≤ 1: 0.6827 (binomial);
    the boundary layer (any |s| > 0.9) holds 1 − 0.9³ = 27.1 %; R ≈ 10⁻⁴ z / ln 10.
    """
    n = 500
    t = rng.uniform(1, 2, n)
    e = t * (1 + 1e-4 * rng.standard_normal(n))
    s = rng.uniform(-1, 1, (n, 3))
    summ = summarise(e, t, s, sigma=np.full(n, 1e-4) * t)
    sd_digits = np.pi / (np.sqrt(8) * np.log(10)) / np.sqrt(n)
    assert summ.mean_digits == pytest.approx(
        4 + (np.euler_gamma + np.log(2)) / (2 * np.log(10)), abs=4 * sd_digits
    )
    p_boundary = 1 - 0.9**3
    assert summ.n_boundary == pytest.approx(
        n * p_boundary, abs=4 * np.sqrt(n * p_boundary * (1 - p_boundary))
    )
    sd_r = 1e-4 / np.log(10)
    assert summ.mean_r == pytest.approx(0.0, abs=4 * sd_r / np.sqrt(n))
    assert summ.std_r == pytest.approx(sd_r, rel=4 / np.sqrt(2 * n))
    p1 = 0.6827  # 1σ Gaussian coverage
    assert summ.frac_error_covered == pytest.approx(p1, abs=4 * np.sqrt(p1 * (1 - p1) / n))


def test_plots_draw_the_precision_and_the_training_curve(tmp_path, rng, saved_figures):
    from hepemu.evaluation.plots import precision_histograms, training_curve

    t = rng.uniform(1, 2, 100)
    e = t * (1 + 1e-4 * rng.standard_normal(100))
    s = rng.uniform(-1, 1, (100, 3))
    sigma = np.full(100, 1e-4)
    png = precision_histograms(e, t, s, tmp_path / "a" / "p.png", sigma=sigma)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (fig,) = saved_figures
    p_ax, r_ax, h_ax = fig.axes  # three panels when σ is given
    p = p_values(e, t)
    bm = boundary_mask(s)
    assert 0 < bm.sum() < 100
    outline_all, outline_boundary = p_ax.patches
    for outline, values in ((outline_all, p), (outline_boundary, p[bm])):
        expect, _ = np.histogram(values, step_edges(outline))
        np.testing.assert_array_equal(step_heights(outline), expect)
    assert expect.sum() == bm.sum()  # every boundary point inside the drawn range
    labels = [x.get_text() for x in p_ax.get_legend().get_texts()]
    assert labels == [f"all ({-p.mean():.2f} digits)", f"boundary 5 % ({-p[bm].mean():.2f})"]
    (r_outline,) = r_ax.patches  # R in units of 10^expo
    r = r_values(e, t)
    scale = 10.0 ** np.floor(np.log10(np.abs(r).max()))
    expect, _ = np.histogram(r / scale, step_edges(r_outline))
    np.testing.assert_array_equal(step_heights(r_outline), expect)
    assert expect.sum() == 100
    (h_outline,) = h_ax.patches
    h = error_honesty(e, sigma, t)
    np.testing.assert_array_equal(
        step_heights(h_outline), np.histogram(h, step_edges(h_outline))[0]
    )
    assert f"({np.mean(h >= 0):.3f}; honest 1σ: 0.683)" in h_ax.get_title()

    hist = [{"step": 100 * i, "digits": 1 + i / 10, "loss": 10.0**-i} for i in range(5)]
    curve = training_curve(hist, tmp_path / "b" / "c.png")
    assert curve.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    digits_ax, loss_ax = saved_figures[1].axes  # the loss on a twin axis
    (digits_line,) = digits_ax.lines
    (loss_line,) = loss_ax.lines
    np.testing.assert_array_equal(digits_line.get_xdata(), [0, 100, 200, 300, 400])
    np.testing.assert_array_equal(digits_line.get_ydata(), [1.0, 1.1, 1.2, 1.3, 1.4])
    np.testing.assert_array_equal(loss_line.get_ydata(), [1.0, 0.1, 0.01, 1e-3, 1e-4])
    assert loss_ax.get_yscale() == "log"  # four decades of loss
