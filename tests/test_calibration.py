"""Error-bar calibration: one factor, scale + floor, the shipped INN's coverage, the CLI."""

import re

import numpy as np
import pytest
from typer.testing import CliRunner

from hepemu.cli.main import app
from hepemu.evaluation.inn_eval import ReferenceSet
from hepemu.models.calibration import (
    GAUSSIAN_TARGETS,
    calibrated_sigma,
    coverage_scale,
    coverages,
    error_ratios,
    fit_scale_and_floor,
)
from hepemu.models.envelope import ModelFileError
from hepemu.models.loading import load_surrogate
from hepemu.registry import load_model, resolve_model_path


def test_single_level_is_the_quantile(rng):
    r = np.abs(rng.normal(0, 3.0, 20000))
    assert coverage_scale(r, [(1.0, 0.6827, 0.0)]) == pytest.approx(np.quantile(r, 0.6827))
    assert coverage_scale(r) == pytest.approx(3.0, rel=0.03)  # Gaussian: both levels agree


def test_scale_and_floor_recover_a_hidden_floor(rng):
    # errors with a spread-proportional part and a relative floor the spread does not see
    n = 20000
    mean = rng.uniform(1, 2, n)
    spread = mean * rng.uniform(1e-5, 1e-3, n)
    true_sigma = np.hypot(0.7 * spread, 2e-4 * mean)
    truth = mean + rng.normal(0, 1, n) * true_sigma
    c, d = fit_scale_and_floor(mean, truth, spread)
    cov = coverages(error_ratios(mean, truth, calibrated_sigma(spread, mean, c, d)))
    for got, (_, level, tol) in zip(cov, GAUSSIAN_TARGETS, strict=True):
        assert abs(got - level) < tol / 3
    assert c == pytest.approx(0.7, rel=0.15) and d == pytest.approx(2e-4, rel=0.25)
    one = coverage_scale(error_ratios(mean, truth, spread))  # one factor misses 2σ here
    assert abs(np.mean(error_ratios(mean, truth, spread) <= 2 * one) - 0.9545) > 0.03


def test_shipped_box_errors_cover_fresh_points():
    model = load_model("gghh-box-1l")
    assert model.sigma_scale != 1.0 or model.sigma_floor != 0.0
    ref = ReferenceSet.make(model.integral, 1000, seed=4243)  # not seed 777 (calibration)
    mean, sigma = model.predict(ref.s)
    one, two = coverages(error_ratios(mean, ref.ref, sigma))
    assert 0.63 <= one <= 0.73 and 0.92 <= two <= 0.98


def test_calibration_is_saved_and_digested(tmp_path):
    src = resolve_model_path("gghh-box-1l")
    model = load_surrogate(src)
    model.sigma_scale, model.sigma_floor = 2.0, 1e-3
    path = tmp_path / "m.safetensors"
    model.save(path)
    again = load_surrogate(path)
    assert (again.sigma_scale, again.sigma_floor) == (2.0, 1e-3)
    data = path.read_bytes()
    tampered = data.replace(b'"sigma_scale":"2.0"', b'"sigma_scale":"3.0"')
    assert tampered != data
    (tmp_path / "t.safetensors").write_bytes(tampered)
    with pytest.raises(ModelFileError, match="digest"):
        load_surrogate(tmp_path / "t.safetensors")


def test_calibrate_cli(tmp_path):
    out = tmp_path / "cal.safetensors"
    args = ["integral", "calibrate", "--model", "gghh-box-1l", "-o", str(out), "--points", "300"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    model = load_surrogate(out)
    assert model.sigma_scale > 0 and model.sigma_floor >= 0
    # the line it prints is the saved calibration and its coverage on the held-out points
    text = " ".join(res.output.split())
    said = re.search(r"√\(\((\S+)·spread\)² \+ \((\S+)·\|I\|\)²\)", text)
    assert said, text
    assert float(said[1]) == pytest.approx(model.sigma_scale, rel=5e-4)  # 4 digits shown
    assert float(said[2]) == pytest.approx(model.sigma_floor, rel=5e-3, abs=1e-12)  # 3
    held_out = ReferenceSet.make(model.integral, 300, seed=777)  # the command's default seed
    mean, sigma = model.predict(held_out.s)
    one, two = coverages(error_ratios(mean, held_out.ref, sigma))
    shown = re.search(r"held-out points \S+/\S+ % → (\S+)/(\S+) %", text)
    assert shown, text
    assert float(shown[1]) == pytest.approx(100 * one, abs=0.05)
    assert float(shown[2]) == pytest.approx(100 * two, abs=0.05)
    for (_, level, tol), got in zip(GAUSSIAN_TARGETS, (one, two), strict=True):
        assert abs(got - level) <= tol, (got, level)  # fitted to the targets' tolerances
    again = CliRunner().invoke(app, args)
    assert again.exit_code != 0 and "--force" in again.output
