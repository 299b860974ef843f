"""kind = "sparse-grid": exactness on polynomials in 3–6 D, convergence with the level in 5 D,
nested node designs, surplus-driven refinement, refusal outside the box, round trip, export,
and node designs through generation and fit."""

import warnings

import numpy as np
import onnxruntime as ort
import pytest
from providers_for_tests import _smooth5

from hepemu.applications.export import export
from hepemu.cli.main import run_cli
from hepemu.data.dataset import Dataset
from hepemu.data.generate import GenerationPlan, generate
from hepemu.data.sparse_nodes import (
    design_size,
    fine_to_reference,
    level_indices,
    new_nodes,
    reference_to_fine,
    sparse_rows,
    tensor_nodes,
)
from hepemu.models.calibration import ONE_SIGMA_TARGET
from hepemu.models.loading import load_surrogate
from hepemu.models.sparse_grid import SparseGridInterpolant, sparse_interpolate
from hepemu.training.fit_config import FitCard
from hepemu.training.fit_sparse_grid import fit_sparse_grid

UNIT5 = np.array([(0.0, 1.0)] * 5)


def uniform(box: np.ndarray, n: int, seed: int) -> np.ndarray:
    return box[:, 0] + np.ptp(box, axis=1) * np.random.default_rng(seed).random((n, len(box)))


def box_of(d: int) -> np.ndarray:
    return np.array([(-1.0 - a, 2.0 + 0.5 * a) for a in range(d)])


# -- node designs ----------------------------------------------------------------------------
def test_designs_are_nested_and_every_node_is_new_once():
    assert [design_size(5, level) for level in range(5)] == [1, 11, 61, 241, 801]
    for d, level in ((3, 5), (5, 3), (8, 2)):
        coarse, fine = sparse_rows(d, level), sparse_rows(d, level + 1)
        np.testing.assert_array_equal(coarse, fine[: len(coarse)])  # refinement reuses labels
        assert len(np.unique(fine, axis=0)) == len(fine)
    # the union of the tensor grids of |k| <= level is exactly the design
    idx = level_indices(3, 4)
    union = np.unique(np.concatenate([tensor_nodes(k) for k in idx]), axis=0)
    design = np.unique(np.concatenate([new_nodes(k) for k in idx]), axis=0)
    np.testing.assert_array_equal(union, design)
    t = sparse_rows(4, 3)
    np.testing.assert_array_equal(fine_to_reference(reference_to_fine(t)), t)
    assert np.all(reference_to_fine(np.array([[0.3, 0.0]])) == -1)


# -- accuracy --------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [3, 4, 5, 6])
def test_exact_on_polynomials_in_the_level_space(d):
    # level needed per degree p: 0 → 0, 1–2 → 1, 3–4 → 2, 5–8 → 3; x0⁴x1⁴ needs 2 + 2 = 4
    def poly(x):
        return (
            1.5
            + x[:, 0] ** 4 * x[:, 1] ** 4
            - 2 * x[:, 2] ** 3 * x[:, d - 1]
            + x[:, d - 1] ** 8
            + x[:, 0] * x[:, 1] * x[:, 2] * x[:, d - 1]
        )

    box = box_of(d)
    model = sparse_interpolate(poly, box, 4)
    x = uniform(box, 400, d)
    scale = np.max(np.abs(poly(x)))
    assert np.max(np.abs(model.predict(x)[0] - poly(x))) < 1e-11 * scale
    lower = sparse_interpolate(poly, box, 3)  # lacks x0⁴x1⁴: not exact
    assert np.max(np.abs(lower.predict(x)[0] - poly(x))) > 1e-5 * scale


def test_converges_on_a_smooth_five_dimensional_function_as_the_level_grows():
    x = uniform(UNIT5, 2000, 1)
    q68 = {}
    for level in (3, 4, 5, 6):
        model = sparse_interpolate(_smooth5, UNIT5, level)
        q68[level] = np.quantile(np.abs(model.predict(x)[0] / _smooth5(x) - 1), 0.68)
    # measured 3.6e-4, 6.5e-5, 7.9e-6, 1.7e-7 from 241, 801, 2433, 6993 nodes
    assert q68[4] < q68[3] / 4 and q68[5] < q68[4] / 4 and q68[6] < q68[5] / 20
    assert q68[6] < 1e-6


def test_adaptive_refinement_labels_only_new_nodes_and_meets_the_tolerance():
    seen = []

    def truth(x):
        seen.extend(map(tuple, x))
        return _smooth5(x)

    model = sparse_interpolate(truth, UNIT5, 2, tolerance=1e-6)
    assert len(seen) == len(set(seen)) == model.info["nodes"]  # every node labelled once
    assert model.tail <= 1e-6 < model.info["refinement"][0]["estimate"]
    x = uniform(UNIT5, 1000, 2)
    err = np.abs(model.predict(x)[0] / _smooth5(x) - 1)
    # measured: 1761 labels, max 5.6e-6 (the isotropic level 6 needs 6993 for 4.0e-6)
    assert np.max(err) < 3e-5 and model.info["nodes"] < 3000

    def additive(x):  # low effective dimension: the refinement finds it
        return np.exp(0.3 * np.sin(x[:, 0]) * x[:, 1] + 0.2 * x[:, 2] * x[:, 3]) / (2 + x[:, 4])

    model = sparse_interpolate(additive, UNIT5, 2, transform="log", tolerance=1e-9)
    err = np.abs(model.predict(x)[0] / additive(x) - 1)
    assert np.max(err) < 1e-8 and model.info["nodes"] < 1000


def test_calibrated_sigma_covers_68_percent_of_fresh_points():
    model = sparse_interpolate(_smooth5, UNIT5, 4, transform="log")
    xc = uniform(UNIT5, 400, 3)
    model.calibrate(xc, _smooth5(xc), ONE_SIGMA_TARGET)  # as hepemu fit does
    x = uniform(UNIT5, 2000, 4)
    mean, sigma = model.predict(x)
    cover = np.mean(np.abs(mean - _smooth5(x)) <= sigma)
    assert 0.63 < cover < 0.73, cover
    # the surplus estimate is conservative: the scale takes it to the errors' decade
    assert model.sigma_scale < 0.1


# -- the contract ----------------------------------------------------------------------------
def test_refuses_points_outside_its_box_and_the_export_answers_nan(tmp_path):
    box = box_of(3)
    model = sparse_interpolate(lambda x: np.cos(x).prod(axis=1), box, 5)
    inside = uniform(box, 5, 0)
    with pytest.raises(ValueError, match=r"1 point\(s\) outside .*rows 3 .*does not extrapolate"):
        model.predict(np.vstack([inside[:2], box[:, 1] + 0.1, inside[2:]]))
    model.predict(np.vstack([box[:, 0], box[:, 1]]))  # the corners are inside
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export(model, tmp_path / "m.onnx", "onnx", "float64")
    x = np.vstack([inside, box[:, 1] + 1.0])
    mean, sigma = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"x": x})
    np.testing.assert_allclose(mean[:5], model.predict(inside)[0], rtol=1e-12)
    assert np.isnan(mean[5]) and np.isnan(sigma[5])


def test_save_load_round_trip(tmp_path):
    box = np.array([(0.5, 4.0), (-1.0, 1.0), (-3.0, -0.1), (0.0, 2.0)])
    fn = lambda x: np.exp(x[:, 1]) * x[:, 0] ** 0.5 / (1 + x[:, 2] ** 2) + x[:, 3]  # noqa: E731
    model = sparse_interpolate(
        fn, box, 4, ("log", "linear", "log", "linear"), "log",
        input_columns=["a", "b", "c", "d"], target="f",
    )  # fmt: skip
    model.calibrate(uniform(box, 200, 5), fn(uniform(box, 200, 5)))
    model.save(tmp_path / "m.safetensors")
    back = load_surrogate(tmp_path / "m.safetensors")
    assert isinstance(back, SparseGridInterpolant) and back.kind == "sparse-grid"
    assert back.maps == model.maps and back.input_columns == ["a", "b", "c", "d"]
    x = uniform(box, 300, 6)
    for a, b in zip(model.predict(x), back.predict(x), strict=True):
        np.testing.assert_array_equal(a, b)
    assert back.sigma_scale == model.sigma_scale and "sparse-grid interpolant" in back.describe()


# -- node designs through generation and the build -------------------------------------------
def test_generate_and_fit_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["data", "generate", "--provider", "providers_for_tests:smooth5"]
    assert run_cli([*args, "--sampler", "sparse-grid", "--level", "4", "--out", "n.h5"]) == 0
    ds = Dataset.open("n.h5")
    assert ds.n == 801 and ds.meta["plan"]["level"] == 4
    (tmp_path / "c.toml").write_text(
        '[data]\npath = "n.h5"\n[model]\nkind = "sparse-grid"\ncalibration_points = 300\n'
        '[preprocessing]\ntarget_transform = "none"\n'
    )
    assert run_cli(["fit", "c.toml", "--out", "run"]) == 0
    model = load_surrogate("run/model.safetensors")
    direct = sparse_interpolate(_smooth5, UNIT5, 4)
    x = uniform(UNIT5, 200, 7)
    np.testing.assert_allclose(model.predict(x)[0], direct.predict(x)[0], rtol=1e-13)
    cover = model.info["calibration"]["coverage_1sigma"]
    assert 0.55 < cover < 0.8, cover
    # adaptive build from the same dataset: labels only new nodes, kept in the run directory
    assert run_cli(["fit", "c.toml", "--out", "run2", "--tolerance", "1e-5"]) == 0
    refined = load_surrogate("run2/model.safetensors")
    assert refined.info["nodes"] > 801 and refined.tail <= 1e-5
    with np.load("run2/refine-labels.npz") as z:
        assert len(z["y"]) == refined.info["nodes"] - 801


def test_incomplete_or_foreign_node_datasets_are_refused(tmp_path):
    plan = GenerationPlan(
        "providers_for_tests:smooth5", 241, 100, 0, sampler="sparse-grid", level=3
    )
    generate(plan, tmp_path / "n.h5")
    with pytest.raises(ValueError, match="has 241 nodes, not n=240"):
        GenerationPlan(
            "providers_for_tests:smooth5", 240, 100, 0, sampler="sparse-grid", level=3
        ).make_provider()
    with pytest.raises(ValueError, match="takes a level"):
        GenerationPlan("providers_for_tests:smooth5", 241, 100, 0, sampler="sparse-grid")
    card = tmp_path / "c.toml"
    card.write_text(f'[data]\npath = "{tmp_path / "n.h5"}"\n[model]\nkind = "chebyshev"\n')
    from hepemu.training.fit_chebyshev import fit_chebyshev

    with pytest.raises(Exception, match="not a Chebyshev node dataset"):
        fit_chebyshev(FitCard.from_toml(card))
    generate(GenerationPlan("providers_for_tests:smooth5", 64, 64, 0), tmp_path / "u.h5")
    card.write_text(f'[data]\npath = "{tmp_path / "u.h5"}"\n[model]\nkind = "sparse-grid"\n')
    with pytest.raises(Exception, match="not a sparse-grid node dataset"):
        fit_sparse_grid(FitCard.from_toml(card))
    from hepemu.training.fit_sparse_grid import design_labels

    x = sparse_rows(5, 3) * 0.5 + 0.5
    y = _smooth5(x)
    with pytest.raises(ValueError, match="incomplete: 2 of 241 nodes"):
        design_labels(x[2:], y[2:], 3, ("linear",) * 5, UNIT5)
    with pytest.raises(ValueError, match="no node"):
        design_labels(np.vstack([x, [[0.3] * 5]]), np.append(y, 0.0), 3, ("linear",) * 5, UNIT5)


def test_card_takes_only_the_interpolant_settings(tmp_path):
    card = tmp_path / "c.toml"
    card.write_text(
        '[data]\npath = "n.h5"\n[model]\nkind = "sparse-grid"\n'
        '[preprocessing]\ntarget_transform = "arcsinh"\n'
    )
    with pytest.raises(ValueError, match="'sparse-grid' takes .*target_transform = 'none' or"):
        FitCard.from_toml(card)
    card.write_text('[data]\npath = "n.h5"\n[model]\nkind = "sparse-grid"\nmax_labels = 500\n')
    assert FitCard.from_toml(card).model.max_labels == 500
