"""kind = "chebyshev": spectral convergence, exactness, nested nodes, refusal outside its box,
round trip, calibrated σ, node designs through generation, fit, export and the shipped model."""

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch
from scipy.stats import binom

from hepemu.applications.export import export
from hepemu.cli.main import run_cli
from hepemu.data.dataset import Dataset
from hepemu.data.generate import GenerationPlan, generate
from hepemu.data.nodes import (
    affine_box,
    from_reference,
    grid_rows,
    grid_values,
    lobatto_nodes,
)
from hepemu.models.chebyshev import ChebyshevInterpolant, interpolate
from hepemu.models.loading import load_surrogate
from hepemu.physics.integrals.quadrature import integrate_gauss_legendre
from hepemu.physics.integrals.registry import get_integral
from hepemu.physics.providers import get_provider
from hepemu.registry import load_model, manifest
from hepemu.training.fit_chebyshev import fit_chebyshev
from hepemu.training.fit_config import FitCard

BOX = np.array([(-1.0, 2.0), (0.0, 1.0), (0.5, 3.0)])
POSITIVE = np.array([(0.5, 2.0), (0.0, 1.0), (0.5, 3.0)])  # one sign on the log axes


def smooth(x: np.ndarray) -> np.ndarray:
    """A positive analytic function on BOX (no polynomial: its coefficients never vanish)."""
    return np.exp(np.sin(x[:, 0]) * x[:, 1]) / (2.0 + x[:, 2])


def uniform(box: np.ndarray, n: int, seed: int) -> np.ndarray:
    return box[:, 0] + np.ptp(box, axis=1) * np.random.default_rng(seed).random((n, len(box)))


def test_convergence_is_spectral():
    x = uniform(BOX, 2000, 1)
    errors = {}
    for n in (6, 10, 14):
        mean, _ = interpolate(smooth, BOX, (n, n, n), transform="log").mean_and_spread(x)
        errors[n] = np.max(np.abs(mean / smooth(x) - 1))
    # measured 4.4e-4, 3.6e-8, 5.8e-12: four orders of magnitude per four nodes per axis
    assert errors[10] < 1e-3 * errors[6] and errors[14] < 1e-3 * errors[10]
    assert errors[14] < 1e-10


def test_exact_on_polynomials_of_degree_below_the_node_count():
    def poly(x):
        return x[:, 0] ** 3 * x[:, 1] ** 4 - 2 * x[:, 2] ** 5 + x[:, 0] * x[:, 2] + 1

    model = interpolate(poly, BOX, (4, 5, 6))
    x = uniform(BOX, 500, 2)
    mean, _ = model.mean_and_spread(x)
    np.testing.assert_allclose(mean, poly(x), rtol=0, atol=1e-12 * np.max(np.abs(poly(x))))
    # and one degree more is not exact: the nodes are not wasted on a trivial test
    cubic = interpolate(lambda x: x[:, 0] ** 4, BOX, (4, 2, 2))
    assert np.max(np.abs(cubic.mean_and_spread(x)[0] - x[:, 0] ** 4)) > 1e-3


def test_log_axis_map_is_exact_on_polynomials_in_log_x():
    box = np.array([(-30.0, -3.0), (1.0, 100.0)])
    model = interpolate(
        lambda x: np.log(-x[:, 0]) ** 2 + np.log(x[:, 1]) ** 3, box, (3, 4), maps=("log", "log")
    )
    x = uniform(box, 300, 3)
    truth = np.log(-x[:, 0]) ** 2 + np.log(x[:, 1]) ** 3
    np.testing.assert_allclose(model.mean_and_spread(x)[0], truth, rtol=1e-12, atol=1e-12)


def test_refinement_reuses_every_node():
    for n in (2, 5, 14):
        fine = lobatto_nodes(2 * n - 1)
        assert np.array_equal(fine[::2], lobatto_nodes(n))  # bit for bit, not approximately
    # so the design of 9³ nodes holds every point of the 5³ design, in the box's units
    maps = ("log", "linear", "log")
    coarse = {tuple(r) for r in from_reference(grid_rows((5, 5, 5)), POSITIVE, maps)}
    fine = {tuple(r) for r in from_reference(grid_rows((9, 9, 9)), POSITIVE, maps)}
    assert len(coarse) == 125 and coarse <= fine


def test_refuses_points_outside_its_box():
    model = interpolate(smooth, BOX, (6, 6, 6))
    inside = np.array([[2.0, 0.0, 0.5], [-1.0, 1.0, 3.0]])  # corners are inside
    model.predict(inside)
    with pytest.raises(ValueError, match=r"rows 2 .*does not extrapolate"):
        model.predict(np.array([[0.0, 0.5, 1.0], [2.0 + 1e-6, 0.5, 1.0]]))
    with torch.no_grad():
        mean, sigma = (
            v.numpy() for v in model.graph()(torch.tensor([[0.0, 0.5, 1.0], [0.0, 1.5, 1.0]]))
        )
    assert np.isfinite(mean[0]) and np.isnan(mean[1]) and np.isnan(sigma[1])


def test_save_load_round_trip_is_bit_identical(tmp_path):
    model = interpolate(smooth, BOX, (7, 6, 5), maps=("linear", "linear", "log"), transform="log")
    model.calibrate(uniform(BOX, 300, 4), smooth(uniform(BOX, 300, 4)))
    model.save(tmp_path / "m.safetensors")
    back = load_surrogate(tmp_path / "m.safetensors")
    x = uniform(BOX, 400, 5)
    a, b = model.predict(x), back.predict(x)
    assert back.kind == "chebyshev" and back.nodes == (7, 6, 5)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_calibrated_sigma_covers_68_percent_of_fresh_points():
    model = interpolate(smooth, BOX, (9, 9, 9), transform="log")
    xc = uniform(BOX, 2000, 6)
    model.calibrate(xc, smooth(xc))
    x = uniform(BOX, 2000, 7)
    mean, sigma = model.predict(x)
    covered = int(np.sum(np.abs(mean - smooth(x)) <= sigma))
    lo, hi = binom.interval(0.999, 2000, 0.6827)
    assert lo - 0.02 * 2000 <= covered <= hi + 0.02 * 2000, covered / 2000
    # the uncalibrated tail is already of the right size: calibration only fine-tunes it
    assert 0.1 < model.sigma_scale < 10


def test_export_onnx_agrees_with_predict_in_float64(tmp_path):
    model = interpolate(smooth, BOX, (8, 7, 6), maps=("linear", "linear", "log"), transform="log")
    model.calibrate(uniform(BOX, 300, 8), smooth(uniform(BOX, 300, 8)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export(model, tmp_path / "m.onnx", "onnx", "float64")
    x = np.vstack([uniform(BOX, 300, 9), BOX[:, 0], BOX[:, 1]])
    mean, sigma = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"x": x})
    p_mean, p_sigma = model.predict(x)
    np.testing.assert_allclose(mean, p_mean, rtol=1e-10)
    np.testing.assert_allclose(sigma, p_sigma, rtol=1e-10)


# -- node designs and the build --------------------------------------------------------------
def test_node_design_through_generation_and_fit(tmp_path):
    plan = GenerationPlan(
        "gghh-box-1l/integral",
        5 * 6 * 4,
        37,
        0,
        (("nodes", 16),),
        sampler="chebyshev",
        nodes=(5, 6, 4),
        axis_maps=("log", "linear", "log"),
    )
    generate(plan, tmp_path / "n.h5")
    ds = Dataset.open(tmp_path / "n.h5")
    assert ds.meta["plan"]["nodes"] == [5, 6, 4]
    provider = get_provider("gghh-box-1l/integral", {"nodes": 16})
    box = affine_box(provider)
    values = grid_values(ds.read("inputs"), ds.read("targets"), (5, 6, 4), plan.axis_maps, box)
    direct = interpolate(provider, box, (5, 6, 4), maps=plan.axis_maps, transform="log")
    card = tmp_path / "c.toml"
    card.write_text(
        f'[data]\npath = "{tmp_path / "n.h5"}"\n[model]\nkind = "chebyshev"\n'
        "calibration_points = 50\n"
    )
    model = fit_chebyshev(FitCard.from_toml(card))
    assert model.provider == "gghh-box-1l/integral" and values.shape == (5, 6, 4)
    np.testing.assert_array_equal(model.coefficients, direct.coefficients)
    assert model.info["calibration"]["data"].startswith("50 fresh points")


def test_incomplete_or_foreign_node_datasets_are_refused(tmp_path):
    nodes, maps = (4, 4), ("linear", "linear")
    box = np.array([(0.0, 1.0), (0.0, 1.0)])
    x = from_reference(grid_rows(nodes), box, maps)
    y = np.sin(x).sum(axis=1)
    with pytest.raises(ValueError, match=r"incomplete: 2 of 16 nodes"):
        grid_values(x[2:], y[2:], nodes, maps, box)
    with pytest.raises(ValueError, match="no node"):
        grid_values(np.vstack([x, [[0.3, 0.3]]]), np.append(y, 0.0), nodes, maps, box)
    plan = GenerationPlan("providers_for_tests:smooth", 128, 128, 0, sampler="sobol")
    generate(plan, tmp_path / "u.h5")
    card = tmp_path / "c.toml"
    card.write_text(f'[data]\npath = "{tmp_path / "u.h5"}"\n[model]\nkind = "chebyshev"\n')
    with pytest.raises(Exception, match="not a Chebyshev node dataset"):
        fit_chebyshev(FitCard.from_toml(card))


def test_design_of_a_non_box_provider_is_refused():
    with pytest.raises(ValueError, match="box of parameters|one input per coordinate"):
        GenerationPlan("ee-qq", 2**16, 100, 0, sampler="chebyshev", nodes=(2,) * 16).make_provider()
    with pytest.raises(ValueError, match="has 8 points, not n=9"):
        GenerationPlan("gghh-box-1l/integral", 9, 9, 0, sampler="chebyshev", nodes=(2, 2, 2))


def test_generate_and_fit_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc = run_cli(
        [
            "data",
            "generate",
            "--provider",
            "providers_for_tests:smooth",
            "--sampler",
            "chebyshev",
            "--nodes",
            "9,7",
            "--out",
            "n.h5",
        ]
    )
    assert rc == 0 and Dataset.open("n.h5").n == 63
    (tmp_path / "c.toml").write_text(
        '[data]\npath = "n.h5"\n[model]\nkind = "chebyshev"\ncalibration_points = 200\n'
        '[preprocessing]\ntarget_transform = "none"\n'
    )
    assert run_cli(["fit", "c.toml", "--out", "run"]) == 0
    model = load_surrogate("run/model.safetensors")
    x = np.random.default_rng(3).random((100, 2))
    np.testing.assert_allclose(model.predict(x)[0], np.sin(x).sum(axis=1), rtol=1e-6)


# -- the shipped model -----------------------------------------------------------------------
def test_shipped_chebyshev_box_has_eight_digits_on_fresh_points():
    assert "gghh-box-1l-chebyshev" in manifest()
    model = load_model("gghh-box-1l-chebyshev")  # checksum and digest verified
    integ = get_integral("gghh-box-1l")
    s = integ.sample_params(200, np.random.default_rng(31337))  # no seed of its build
    ref = integrate_gauss_legendre(integ, s, 3, 40)
    mean, sigma = model.predict(s)
    digits = -np.log10(np.abs(mean / ref - 1))
    # measured 11.9 mean digits on 1000 points (hepemu evaluate); the issue asks for 8
    assert digits.mean() > 8 and digits.min() > 7.5
    cover = np.mean(np.abs(mean - ref) <= sigma)
    assert 0.5 < cover < 0.85, cover
    assert isinstance(model, ChebyshevInterpolant)


def test_adaptive_refinement_labels_only_new_nodes_and_meets_the_tolerance(tmp_path):
    from hepemu.models.chebyshev import axis_tails
    from hepemu.training.fit_chebyshev import refine_to_tolerance

    seen = []

    def truth(x):
        seen.extend(map(tuple, x))
        return smooth(x)

    maps = ("linear",) * 3
    start = interpolate(smooth, BOX, (5, 5, 5), transform="log")
    values0 = smooth(from_reference(grid_rows((5, 5, 5)), BOX, maps)).reshape(5, 5, 5)
    values, rounds = refine_to_tolerance(truth, values0, BOX, maps, "log", 1e-9, cache=tmp_path)
    final = interpolate(smooth, BOX, values.shape, transform="log")
    assert rounds[-1]["tail"] <= 1e-9 and values.shape[0] > 5 and start.tail > 1e-9
    assert len(seen) == len(set(seen)) == values.size - 125  # each new node once, no old one
    np.testing.assert_array_equal(
        values, smooth(from_reference(grid_rows(values.shape), BOX, maps)).reshape(values.shape)
    )
    assert np.sum(axis_tails(final.coefficients)) <= 1e-9
    x = uniform(BOX, 500, 11)
    assert np.max(np.abs(final.mean_and_spread(x)[0] / smooth(x) - 1)) < 1e-8
    # a rerun finds the new labels in the cache and calls the truth no more
    seen.clear()
    again, _ = refine_to_tolerance(truth, values0, BOX, maps, "log", 1e-9, cache=tmp_path)
    assert not seen and np.array_equal(again, values)


def test_shipped_model_exports_to_onnx(tmp_path):
    model = load_model("gghh-box-1l-chebyshev")
    rc = run_cli(
        [
            "export",
            "--model",
            "gghh-box-1l-chebyshev",
            "--format",
            "onnx",
            "--out",
            str(tmp_path / "c.onnx"),
        ]
    )
    assert rc == 0
    s = get_integral("gghh-box-1l").sample_params(300, np.random.default_rng(12))
    mean, sigma = ort.InferenceSession(str(tmp_path / "c.onnx")).run(None, {"x": s})
    p_mean, p_sigma = model.predict(s)
    np.testing.assert_allclose(mean, p_mean, rtol=1e-10)
    np.testing.assert_allclose(sigma, p_sigma, rtol=1e-10)
