"""Boosted decision trees (XGBoost) as a surrogate, and the regression metrics."""

from __future__ import annotations

import csv
import math
import time

import numpy as np
import pytest
import torch

from hepemu.cli.main import run_cli
from hepemu.data.dataset import Dataset, write_dataset
from hepemu.evaluation.regression import (
    binned_median,
    coverage,
    error_map,
    evaluate_surrogate,
    model_size_bytes,
    regression_metrics,
    time_per_point_us,
)
from hepemu.models.envelope import ModelFileError, bytes_tensor, save_envelope
from hepemu.models.loading import load_surrogate
from hepemu.models.networks import DNN
from hepemu.models.preprocessing import Preprocessing
from hepemu.models.regressor import NetworkRegressor
from hepemu.models.trees import TreeRegressor
from hepemu.training.fit_config import FitCard
from hepemu.training.fit_trees import fit_trees
from hepemu.training.runtime import read_meta


def truth(x: np.ndarray) -> np.ndarray:
    """A smooth positive function of two inputs spanning a factor 40 on [0,1]²."""
    return np.exp(3.0 * x[:, 0]) * (1.0 + x[:, 1] ** 2)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("trees") / "D.h5"
    x = np.random.default_rng(3).random((6000, 2))
    write_dataset(path, x, truth(x), {"columns": ["a", "b"], "target_columns": ["f"]})
    return path


def bdt_card(path, model=None, **training) -> FitCard:
    m = {
        "kind": "bdt",
        "max_depth": 6,
        "learning_rate": 0.1,
        "n_estimators": 2000,
        "early_stopping_rounds": 25,
        **(model or {}),
    }
    return FitCard.model_validate(
        {"data": {"path": str(path)}, "model": m, "training": {"threads": 1, **training}}
    )


@pytest.fixture(scope="module")
def fitted(dataset, tmp_path_factory):
    return fit_trees(bdt_card(dataset), tmp_path_factory.mktemp("run") / "bdt")


def test_trees_fit_a_smooth_function_to_sub_percent_precision(dataset, fitted):
    ds = Dataset.open(dataset)
    rows = ds.split("test")
    x, y = ds.read("inputs", rows), ds.read("targets", rows)
    mean, sigma = fitted.predict(x)
    rel = np.abs(mean / y - 1)
    flat = np.abs(np.exp(np.log(y).mean()) / y - 1)  # the best constant on the log scale
    assert np.median(rel) < 1e-2 and np.median(rel) < np.median(flat) / 30
    assert np.all(np.isnan(sigma))  # one BDT: no error bar
    (member,) = fitted.info["members"]
    assert member["finished"] and member["stop"].startswith("early stop")
    assert member["rounds"] == member["best_iteration"] + 1 + 25  # 25 stale rounds
    assert fitted.n_trees == member["best_iteration"] + 1  # cut at the best round
    assert fitted.input_columns == ["a", "b"] and fitted.target == "f"
    lo, hi = np.array(fitted.info["input_ranges"]).T
    assert np.all(lo >= 0) and np.all(lo < 0.01) and np.all(hi > 0.99) and np.all(hi <= 1)


def test_trees_round_trip_through_their_file_and_refuse_damage(fitted, tmp_path):
    path = tmp_path / "t.safetensors"
    fitted.save(path)
    x = np.random.default_rng(0).random((500, 2))
    for again in (TreeRegressor.load(path), load_surrogate(path)):
        assert isinstance(again, TreeRegressor)
        np.testing.assert_array_equal(again.predict(x)[0], fitted.predict(x)[0])
        assert again.size_bytes == fitted.size_bytes and again.params == fitted.params
        assert again.info["members"] == fitted.info["members"]
    blob = bytearray(path.read_bytes())
    blob[-100] ^= 0xFF  # a byte of the stored XGBoost model
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(bytes(blob))
    with pytest.raises(ModelFileError, match="corrupted"):
        load_surrogate(bad)


def test_a_foreign_blob_in_a_bdt_file_is_refused(tmp_path):
    path = tmp_path / "f.safetensors"
    header = {
        "kind": "bdt",
        "input_columns": ["a"],
        "target": "f",
        "model": {},
        "preprocessing": Preprocessing().to_dict(),
    }
    save_envelope(path, {"xgboost.ubj": bytes_tensor(b"not a model" * 10)}, header)
    with pytest.raises(ModelFileError, match="unreadable XGBoost model"):
        load_surrogate(path)


def test_interrupted_or_time_limited_runs_resume_to_the_same_trees(dataset, fitted, tmp_path):
    x = np.random.default_rng(1).random((300, 2))
    out = tmp_path / "r"

    def stop_at_40(state):
        if state.rounds == 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_trees(bdt_card(dataset), out, progress=stop_at_40)
    assert read_meta(out)["state"]["rounds"] == 40
    part = fit_trees(bdt_card(dataset, max_minutes=1e-5), out)  # a few rounds more
    (m,) = part.info["members"]
    assert not m["finished"] and m["stop"].startswith("time limit") and m["rounds"] > 40
    whole = fit_trees(bdt_card(dataset, max_minutes=60), out)
    assert whole.info["members"][0]["rounds"] == fitted.info["members"][0]["rounds"]
    np.testing.assert_array_equal(whole.predict(x)[0], fitted.predict(x)[0])
    again = fit_trees(bdt_card(dataset), out)  # finished: reloaded, no training
    np.testing.assert_array_equal(again.predict(x)[0], fitted.predict(x)[0])
    with pytest.raises(RuntimeError, match="different card"):
        fit_trees(bdt_card(dataset, model={"max_depth": 5}), out)


def test_bdt_fit_and_predict_from_the_command_line(dataset, tmp_path, capsys):
    card = tmp_path / "card.toml"
    card.write_text(
        f'[data]\npath = "{dataset}"\n[model]\nkind = "bdt"\nmax_depth = 4\n'
        "learning_rate = 0.3\nn_estimators = 300\n[training]\nthreads = 1\n"
    )
    out = tmp_path / "run"
    capsys.readouterr()
    assert run_cli(["fit", str(card), "--out", str(out)]) == 0
    assert "best validation RMSE" in capsys.readouterr().err  # progress over boosting rounds
    model = out / "model.safetensors"
    assert isinstance(load_surrogate(model), TreeRegressor)
    before = model.read_bytes()
    assert run_cli(["fit", str(card), "--out", str(out)]) == 0  # finished: a no-op
    assert model.read_bytes() == before
    inp = tmp_path / "in.csv"
    inp.write_text("id,a,b\n7,0.5,0.5\n8,0.1,0.9\n")
    res = tmp_path / "out.csv"
    capsys.readouterr()
    assert run_cli(["predict", "--model", str(model), "-i", str(inp), "-o", str(res)]) == 0
    assert "no error estimate" in capsys.readouterr().err
    rows = list(csv.DictReader(open(res)))
    assert [r["id"] for r in rows] == ["7", "8"] and math.isnan(float(rows[0]["f_err"]))
    pred = np.array([float(r["f"]) for r in rows])
    np.testing.assert_allclose(pred, truth(np.array([[0.5, 0.5], [0.1, 0.9]])), rtol=0.05)


def test_a_bdt_card_with_several_members_is_refused(dataset, tmp_path):
    with pytest.raises(ValueError, match="members"):
        fit_trees(bdt_card(dataset, members=2), tmp_path / "m")


# -- metrics: hand-computed expectations -----------------------------------------------------
def test_delta_statistics_on_four_points():
    true = np.array([2.0, 4.0, 5.0, 10.0])
    pred = np.array([2.04, 3.98, 5.0025, 10.0])  # δ = 2 %, −0.5 %, 0.05 %, 0
    m = regression_metrics(pred, true)
    assert m.n_points == 4
    assert m.r_1 == 0.75  # all but the 2 % point
    assert m.r_0_1 == 0.5  # 0.05 % and the exact point
    assert m.mu_delta == pytest.approx(0.0155 / 4, rel=1e-9)
    # <δ²> − μ² = (4e-4 + 2.5e-5 + 2.5e-7)/4 − 0.003875² = 1.063125e-4 − 1.5015625e-5
    assert m.sigma_delta == pytest.approx(math.sqrt(9.1296875e-5), rel=1e-9)
    # digits 1.699, 2.301, 3.301 and 17 (the exact point, floored): log10(.02·.005·.0005)
    assert m.mean_digits == pytest.approx((17 - math.log10(5e-8)) / 4, rel=1e-9)
    assert m.median_digits == pytest.approx(-math.log10(2.5e-6) / 2, rel=1e-9)
    assert m.worst_digits == pytest.approx(-math.log10(0.02), rel=1e-9)
    assert m.coverage_1sigma is None and m.coverage_2sigma is None
    assert math.isnan(m.mean_digits_boundary) and m.n_boundary == 0


def test_coverage_counts_errors_below_one_and_two_sigma():
    pred, true = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 2.0, 3.9, 4.3])
    sigma = np.array([1.0, 0.1, 0.5, 0.2])  # errors 0.5, 0, 0.9, 0.3
    m = regression_metrics(pred, true, sigma)
    assert m.coverage_1sigma == 0.5 and m.coverage_2sigma == 1.0
    assert coverage(pred, np.full(4, np.nan), true) is None
    assert coverage(pred, None, true) is None


def test_boundary_layer_digits_use_the_box():
    x = np.array([[0.5, 0.5], [0.01, 0.5], [0.5, 0.99], [0.3, 0.7]])
    true = np.ones(4)
    pred = 1 + np.array([1e-3, 1e-2, 1e-4, 1e-3])
    m = regression_metrics(pred, true, x=x, box=np.array([[0.0, 1.0], [0.0, 1.0]]))
    assert m.n_boundary == 2  # x = 0.01 and 0.99 lie within 5 % of a face
    assert m.mean_digits_boundary == pytest.approx(3.0, rel=1e-6)  # (2 + 4) / 2
    wide = regression_metrics(pred, true, x=10 * x, box=np.array([[0.0, 10.0], [0.0, 10.0]]))
    assert wide.n_boundary == 2  # the box sets the scale


def test_timing_is_the_median_per_point(monkeypatch):
    """Timed on a virtual clock that ``fn`` advances (no wall-clock dependence): 10 ms per
    call, one 300 ms outlier among the five timed calls."""
    clock = {"t": 0.0, "n": 0}
    monkeypatch.setattr(time, "perf_counter", lambda: clock["t"])

    def fn(x):
        clock["n"] += 1
        clock["t"] += 0.3 if clock["n"] == 2 else 0.01  # the first timed call is slow

    us = time_per_point_us(fn, np.zeros((100, 2)), repeats=5)
    assert clock["n"] == 6  # a warm-up call, then five timed
    assert us == pytest.approx(100.0)  # median 10 ms / 100 points (the mean would be 680 µs)


def test_model_size_counts_network_parameters_and_tree_bytes(fitted):
    net = NetworkRegressor(
        [DNN(2, [4])], {"kind": "dnn", "hidden": [4]}, Preprocessing(), ["a", "b"], "f"
    )
    assert model_size_bytes(net) == (2 * 4 + 4 + 4 * 1 + 1) * 4  # float32 weights, biases
    assert model_size_bytes(fitted) == len(fitted.raw()) > 1000


def test_evaluate_surrogate_reports_metrics_timing_and_size(dataset, fitted):
    ds = Dataset.open(dataset)
    rows = ds.split("test")
    x, y = ds.read("inputs", rows), ds.read("targets", rows)
    m, delta = evaluate_surrogate(fitted, x, y, box=np.array([[0, 1], [0, 1]]), repeats=2)
    assert m.r_1 > 0.5 and m.mean_digits > 2 and m.coverage_1sigma is None
    assert 0 < m.n_boundary < len(x) and m.us_per_point > 0
    assert m.size_bytes == fitted.size_bytes
    np.testing.assert_allclose(delta, fitted.predict(x)[0] / y - 1)


def test_binned_median_by_hand():
    med, counts = binned_median(np.array([0, 0, 0, 1, 1, 3]), np.array([3.0, 1, 2, 10, 20, 7]), 4)
    np.testing.assert_array_equal(counts, [3, 2, 0, 1])
    np.testing.assert_array_equal(med[[0, 1, 3]], [2.0, 15.0, 7.0])
    assert np.isnan(med[2])


def _cell_stat(a: np.ndarray, cols: list[np.ndarray], stat: str, bins: int = 24) -> np.ndarray:
    """Median |δ| or R_1 per cell of ``bins`` equal bins over each column's range, by loop."""
    idx = [
        np.clip(np.floor((c - c.min()) / np.ptp(c) * bins).astype(int), 0, bins - 1) for c in cols
    ]
    out = np.full((bins,) * len(cols), np.nan)
    for cell in np.ndindex(out.shape):
        sel = np.all([i == k for i, k in zip(idx, cell, strict=True)], axis=0)
        if sel.any():
            out[cell] = np.median(a[sel]) if stat == "median" else np.mean(a[sel] < 1e-2)
    return out


@pytest.mark.parametrize(("d", "stat"), [(3, "median"), (2, "r1"), (1, "median")])
def test_error_map_draws_the_binned_error(tmp_path, d, stat, saved_figures):
    from hepemu.evaluation.metrics import FLOOR

    rng = np.random.default_rng(0)
    x = rng.random((2000, d))
    delta = 1e-3 * (1 + 10 * x[:, 0]) * rng.standard_normal(2000)  # grows with x1
    names = [f"x{i + 1}" for i in range(d)]
    out = error_map(x, delta, names, tmp_path / "m" / "e.png", stat)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (fig,) = saved_figures
    a = np.abs(delta)
    if d == 1:
        (line,) = fig.axes[0].patches
        drawn = line.get_data().values
        expect = _cell_stat(a, [x[:, 0]], stat)
    else:  # one panel per pair of inputs; cells are (y bin, x bin) of the first pair
        panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_xlabel() in names]
        pairs = [(ax.get_xlabel(), ax.get_ylabel()) for ax in panels]
        assert pairs == [(names[i], names[j]) for i in range(d) for j in range(i + 1, d)]
        drawn = np.ma.filled(panels[0].collections[0].get_array().astype(float), np.nan)
        floor = np.maximum(a, FLOOR) if stat == "median" else a
        expect = _cell_stat(floor, [x[:, 0], x[:, 1]], stat).T
    np.testing.assert_allclose(drawn, expect, rtol=1e-12, equal_nan=True)
    # what the map is for: it shows where the error is large (10× larger at x1 = 1)
    along_x1 = drawn if d == 1 else np.nanmean(drawn, axis=0)
    if stat == "median":
        assert np.mean(along_x1[-4:]) > 4 * np.mean(along_x1[:4])
    else:
        assert np.mean(along_x1[-4:]) < np.mean(along_x1[:4]) - 0.2
    with pytest.raises(ValueError, match="column names"):
        error_map(x, delta, ["only"] * (d + 1), tmp_path / "x.png")


def test_tree_predictions_follow_the_torch_thread_setting(fitted):
    x = np.random.default_rng(2).random((100, 2))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = fitted.predict(x)[0]
        assert fitted._nthread == 1
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(fitted.predict(x)[0], one)


def test_tree_device_resolution(monkeypatch):
    import hepemu.models.trees as trees

    assert trees.xgboost_device("cpu") == "cpu"
    monkeypatch.setattr(trees, "gpu_visible", lambda: False)
    assert trees.xgboost_device("auto") == "cpu"
    with pytest.raises(ValueError, match="no GPU is visible"):
        trees.xgboost_device("cuda")
    monkeypatch.setattr(trees, "gpu_visible", lambda: True)
    monkeypatch.setattr(trees.xgb, "build_info", lambda: {"USE_CUDA": True})
    assert trees.xgboost_device("auto") == "cuda"
    assert trees.xgboost_device("cuda:1") == "cuda:1"
    with pytest.raises(ValueError, match="unknown device"):
        trees.xgboost_device("tpu")
