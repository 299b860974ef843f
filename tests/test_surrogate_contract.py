"""The one surrogate contract: every kind in one envelope, old INN files, predict/evaluate."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from typer.testing import CliRunner

import hepemu
from hepemu.cli.main import app
from hepemu.data.dataset import Dataset, write_dataset
from hepemu.models.envelope import FORMAT, ModelFileError, read_format
from hepemu.models.inn import INN
from hepemu.models.inn_surrogate import INNSurrogate
from hepemu.models.loading import INN_V1, inn_v1_digest, load_surrogate, resave_unverified
from hepemu.models.networks import DNN
from hepemu.models.preprocessing import Preprocessing
from hepemu.models.regressor import NetworkRegressor
from hepemu.models.surrogate import NotSupportedError, Surrogate
from hepemu.physics.integrals.gghh import GGHH_BOX_SECTOR

runner = CliRunner()


def small_inn(scale=0.7, floor=1e-4) -> INNSurrogate:
    torch.manual_seed(0)
    nets = [INN(3, 3, (8, 8), "tanh", ansatz="anchored").double() for _ in range(2)]
    return INNSurrogate(GGHH_BOX_SECTOR, nets, "gl3", 1, {"note": "t"}, scale, floor)


def plain() -> Preprocessing:
    """Inputs and target passed through unchanged (two inputs)."""
    return Preprocessing(
        target_transform="none", standardise_target=False, x_mean=[0.0, 0.0], x_std=[1.0, 1.0]
    )


def write_inn_v1(model: INNSurrogate, path) -> None:
    """A file in the pre-envelope ``hepemu-inn/1`` layout (plain-string header)."""
    tensors = model.tensors()
    header = {
        "format": INN_V1,
        "integral": model.integral.name,
        "n_replicas": str(model.n_replicas),
        "model": json.dumps(model.replicas[0].config()),
        "normalisation": model.normalisation,
        "korobov_order": str(model.korobov_order),
        "info": json.dumps(model.info),
        "sigma_scale": repr(model.sigma_scale),
        "sigma_floor": repr(model.sigma_floor),
    }
    header["tensor_sha256"] = inn_v1_digest(tensors, header)
    save_file(tensors, str(path), metadata=header)


def test_inn_is_saved_in_the_one_envelope_with_identical_predictions(tmp_path):
    model = small_inn()
    model.save(tmp_path / "m.safetensors")
    assert read_format(tmp_path / "m.safetensors") == FORMAT
    back = load_surrogate(tmp_path / "m.safetensors")
    assert back.kind == "inn" and isinstance(back, Surrogate)
    s = GGHH_BOX_SECTOR.sample_params(50, np.random.default_rng(1))
    for a, b in zip(model.predict(s), back.predict(s), strict=True):
        np.testing.assert_array_equal(a, b)
    assert (back.sigma_scale, back.sigma_floor) == (0.7, 1e-4)


def test_old_inn_files_load_identically_and_tampering_is_refused(tmp_path):
    model = small_inn()
    write_inn_v1(model, tmp_path / "old.safetensors")
    back = load_surrogate(tmp_path / "old.safetensors")
    s = GGHH_BOX_SECTOR.sample_params(20, np.random.default_rng(2))
    np.testing.assert_array_equal(model.predict(s)[1], back.predict(s)[1])
    data = (tmp_path / "old.safetensors").read_bytes()
    (tmp_path / "bad.safetensors").write_bytes(
        data.replace(b'"korobov_order":"1"', b'"korobov_order":"2"')
    )
    with pytest.raises(ModelFileError, match="corrupted"):
        load_surrogate(tmp_path / "bad.safetensors")
    resave_unverified(tmp_path / "old.safetensors", tmp_path / "new.safetensors")
    assert read_format(tmp_path / "new.safetensors") == FORMAT
    np.testing.assert_array_equal(
        load_surrogate(tmp_path / "new.safetensors").predict(s)[0], back.predict(s)[0]
    )


def test_unknown_kind_is_refused_naming_the_known_kinds(tmp_path):
    from hepemu.models.envelope import save_envelope

    save_envelope(tmp_path / "x.safetensors", {"w": torch.zeros(2)}, {"kind": "spline"})
    with pytest.raises(ModelFileError, match="unknown model kind 'spline'.*inn, network, bdt"):
        load_surrogate(tmp_path / "x.safetensors")


def test_calibration_is_one_scheme_for_every_kind():
    """Networks and INNs calibrate through the same method to 68 % / 95 % coverage."""
    rng = np.random.default_rng(3)
    nets = [DNN(2, [4]) for _ in range(3)]
    reg = NetworkRegressor(nets, {"kind": "dnn", "hidden": [4]}, plain(), ["a", "b"], "f")
    x = rng.random((4000, 2))
    mean, spread = reg.mean_and_spread(x)
    y = mean + 3.0 * spread * rng.standard_normal(len(x))  # errors three times the spread
    fitted = reg.calibrate(x, y)
    _, sigma = reg.predict(x)
    within = np.abs(y - mean) < sigma
    assert abs(fitted["sigma_scale"] - 3.0) < 0.3 and fitted["sigma_floor"] < 1e-3
    assert abs(within.mean() - 0.6827) < 0.03
    assert abs((np.abs(y - mean) < 2 * sigma).mean() - 0.9545) < 0.02


def test_single_network_refuses_calibration_and_export_of_trees_is_refused():
    reg = NetworkRegressor([DNN(2, [4])], {"kind": "dnn", "hidden": [4]}, plain(), ["a", "b"], "f")
    assert not reg.has_error
    with pytest.raises(NotSupportedError, match="no error estimate"):
        reg.calibrate(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(NotSupportedError, match="make its own reference"):
        reg.reference(5)


def test_public_api_loads_any_kind_by_name():
    model = hepemu.load("gghh-box-1l")
    assert model.kind == "inn" and model.input_columns == ["s12", "s14", "mH2"]
    assert model.output_columns == ["I", "I_err"]
    assert callable(hepemu.generate) and callable(hepemu.fit) and callable(hepemu.evaluate)


def test_predict_answers_for_an_integration_network(tmp_path):
    model = small_inn()
    model.save(tmp_path / "m.safetensors")
    s = np.array([[-10.0, -5.0, -4.0], [-20.0, -3.5, -29.0]])
    (tmp_path / "p.csv").write_text(
        "s12,s14,mH2\n" + "\n".join(",".join(map(str, r)) for r in s) + "\n"
    )
    res = runner.invoke(
        app,
        [
            "predict",
            "--model",
            str(tmp_path / "m.safetensors"),
            "-i",
            str(tmp_path / "p.csv"),
            "-o",
            str(tmp_path / "o.csv"),
        ],
    )
    assert res.exit_code == 0, res.output
    out = np.genfromtxt(tmp_path / "o.csv", delimiter=",", names=True)
    mean, sigma = model.predict(s)
    np.testing.assert_allclose(out["I"], mean, rtol=1e-12)
    np.testing.assert_allclose(out["I_err"], sigma, rtol=1e-12)


def test_evaluate_reports_the_metrics_of_the_test_split(tmp_path):
    """`hepemu evaluate` on a dataset whose targets are the model's own predictions times a
    known factor: every metric is known in advance."""
    model = small_inn()
    model.save(tmp_path / "m.safetensors")
    s = GGHH_BOX_SECTOR.sample_params(200, np.random.default_rng(4))
    mean, _ = model.predict(s)
    factor = np.where(np.arange(200) % 2 == 0, 1.0 / (1 + 5e-3), 1.0 / (1 + 5e-2))
    write_dataset(tmp_path / "d.h5", s, mean * factor, {"columns": ["s12", "s14", "mH2", "I"]})
    Dataset.open(tmp_path / "d.h5").set_split(1, (0.5, 0.0, 0.5))
    rows = Dataset.open(tmp_path / "d.h5").split("test")
    res = runner.invoke(
        app,
        [
            "evaluate",
            "--model",
            str(tmp_path / "m.safetensors"),
            "--data",
            str(tmp_path / "d.h5"),
            "--json",
            str(tmp_path / "e.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "e.json").read_text())["metrics"]
    small = rows % 2 == 0
    assert m["n_points"] == len(rows)
    assert m["r_1"] == pytest.approx(small.mean())  # δ = 5e-3 inside 1 %, 5e-2 outside
    assert m["r_0_1"] == 0.0
    expected = np.where(small, -np.log10(5e-3), -np.log10(5e-2)).mean()
    assert m["mean_digits"] == pytest.approx(expected, abs=1e-9)
    assert m["worst_digits"] == pytest.approx(-np.log10(5e-2), abs=1e-9)
    assert m["size_bytes"] == sum(t.numel() * t.element_size() for t in model.tensors().values())


def test_evaluate_without_data_needs_a_model_that_makes_references(tmp_path):
    reg = NetworkRegressor(
        [DNN(2, [4]), DNN(2, [4])], {"kind": "dnn", "hidden": [4]}, plain(), ["a", "b"], "f"
    )
    reg.save(tmp_path / "r.safetensors")
    res = runner.invoke(app, ["evaluate", "--model", str(tmp_path / "r.safetensors")])
    assert res.exit_code == 2
    assert "cannot make its own reference values" in res.output and "--data" in res.output


def test_shipped_inn_resaved_in_the_envelope_predicts_bit_identically():
    """The shipped gghh-box-1l, re-saved from its hepemu-inn/1 file into the envelope, gives
    the numbers the old file gave (stored from the old file at commit 6ff6c60). The tensors
    are the same bytes, so on one machine the numbers are identical (checked when it was
    re-saved); the tolerance only allows for float32 kernels of another CPU."""
    from pathlib import Path

    ref = json.loads(
        (Path(__file__).parent / "data" / "gghh_box_1l_v1_predictions.json").read_text()
    )
    model = hepemu.load("gghh-box-1l")
    mean, sigma = model.predict(np.array(ref["s"]))
    np.testing.assert_allclose(mean, [float(v) for v in ref["I"]], rtol=1e-6, atol=0)
    np.testing.assert_allclose(sigma, [float(v) for v in ref["I_err"]], rtol=1e-5, atol=0)


def test_python_generate_writes_the_dataset_the_command_writes(tmp_path):
    """hepemu.generate and `hepemu data generate` with the same settings: one content hash,
    and one plan (the API goes through the command's card, defaults included), so the command
    finds the API's file finished instead of refusing it as other data."""
    from hepemu.cli.main import run_cli

    digest = hepemu.generate("gghh-box-1l/integral", 300, tmp_path / "a.h5", seed=3, nodes=6)
    args = ["data", "generate", "--provider", "gghh-box-1l/integral", "--n", "300"]
    rc = run_cli([*args, "--seed", "3", "--option", "nodes=6", "--out", str(tmp_path / "b.h5")])
    assert rc == 0
    assert digest == Dataset.open(tmp_path / "b.h5").hash
    assert (
        run_cli([*args, "--seed", "3", "--option", "nodes=6", "--out", str(tmp_path / "a.h5")]) == 0
    )
