"""Metrics: P/R values, boundary layer, honesty of the error, summaries."""

import numpy as np
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
    t = np.array([1.0, 2.0, -3.0])
    e = t * (1 + np.array([1e-3, -1e-5, 1e-2]))
    np.testing.assert_allclose(p_values(e, t), [-3, -5, -2], atol=1e-9)
    np.testing.assert_allclose(r_values(e, t), np.log10(np.abs(e / t)))


def test_exact_estimate_is_floored_not_infinite():
    assert np.isfinite(p_values(np.array([2.0]), np.array([2.0]))).all()


def test_error_honesty_sign():
    t = np.ones(2)
    e = t + np.array([1e-4, 1e-2])
    h = error_honesty(e, np.array([1e-3, 1e-3]), t)
    assert h[0] > 0 > h[1]


@given(st.lists(st.floats(-1, 1), min_size=3, max_size=3))
def test_boundary_mask_matches_definition(coords):
    s = np.array([coords])
    inside = all(abs(c) <= 0.9 for c in coords)
    assert boundary_mask(s, 0.05)[0] == (not inside)


def test_summary_fields(rng):
    t = rng.uniform(1, 2, 500)
    e = t * (1 + 1e-4 * rng.standard_normal(500))
    s = rng.uniform(-1, 1, (500, 3))
    summ = summarise(e, t, s, sigma=np.full(500, 1e-4) * t)
    assert 3.5 < summ.mean_digits < 5
    assert summ.n_boundary == int(boundary_mask(s).sum())
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
