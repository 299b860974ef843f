"""`hepemu export`: ONNX Runtime and TorchScript reproduce the PyTorch prediction."""

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch
from typer.testing import CliRunner

from hepemu.applications.export import export
from hepemu.cli.main import app
from hepemu.models.inn import INN
from hepemu.models.inn_graph import erf
from hepemu.models.inn_surrogate import INNSurrogate
from hepemu.physics.integrals.gghh import GGHH_BOX_SECTOR
from hepemu.registry import load_model


def _toy(ansatz="plain"):
    torch.manual_seed(1)
    nets = [INN(3, 3, (8, 8), "gelu", ansatz=ansatz).double() for _ in range(2)]
    return INNSurrogate(GGHH_BOX_SECTOR, nets, "gl3", 1, sigma_scale=0.7, sigma_floor=1e-4)


def _ort(path, s):
    sess = ort.InferenceSession(str(path))
    return sess.run(None, {"x": s})


def test_erf_matches_torch():
    x = torch.linspace(-8, 8, 100_001, dtype=torch.float64)
    assert torch.max(torch.abs(erf(x) - torch.erf(x))) < 1e-13


def test_shipped_box_onnx_float64(tmp_path):
    model = load_model("gghh-box-1l")
    path = tmp_path / "box.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = export(model, path, "onnx", "float64")
    s = model.integral.sample_params(300, np.random.default_rng(8))
    mean, sigma = _ort(path, s)
    with torch.no_grad():
        t_mean, t_sigma = (v.numpy() for v in graph(torch.tensor(s)))
    np.testing.assert_allclose(mean, t_mean, rtol=1e-6)
    np.testing.assert_allclose(sigma, t_sigma, rtol=1e-6)
    p_mean, p_sigma = model.predict(s)  # float32 networks: agree to float32 rounding
    np.testing.assert_allclose(mean, p_mean, rtol=2e-6)
    assert np.all(np.abs(sigma - p_sigma) < 1e-5 * np.abs(p_mean))


@pytest.mark.parametrize("ansatz", ["plain", "anchored"])
def test_toy_float32_onnx_and_torchscript(tmp_path, ansatz):
    model = _toy(ansatz)
    s = model.integral.sample_params(100, np.random.default_rng(9))
    p_mean, p_sigma = model.predict(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export(model, tmp_path / "m.onnx", "onnx", "float32")
        export(model, tmp_path / "m.pt", "torchscript", "float64")
    mean, sigma = _ort(tmp_path / "m.onnx", s.astype(np.float32))
    scale = 1e-5 * np.median(np.abs(p_mean))  # an untrained toy's mean can cross zero
    np.testing.assert_allclose(mean, p_mean, rtol=1e-5, atol=scale)
    assert np.all(np.abs(sigma - p_sigma) < 1e-5 * np.maximum(np.abs(p_mean), p_sigma))
    ts = torch.jit.load(str(tmp_path / "m.pt"))
    with torch.no_grad():
        t_mean, t_sigma = ts(torch.tensor(s))
    np.testing.assert_allclose(t_mean.numpy(), p_mean, rtol=1e-12)
    np.testing.assert_allclose(t_sigma.numpy(), p_sigma, rtol=1e-9)


def test_export_cli(tmp_path):
    runner = CliRunner()
    path = tmp_path / "toy.safetensors"
    _toy().save(path)
    out = tmp_path / "toy.onnx"
    res = runner.invoke(app, ["export", "--model", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists() and "s12,s14,mH2" in res.output
    again = runner.invoke(app, ["export", "--model", str(path), "--out", str(out)])
    assert again.exit_code != 0 and "--force" in again.output
    bad = runner.invoke(app, ["export", "--model", "ee3j", "--out", str(tmp_path / "e.onnx")])
    assert bad.exit_code != 0 and "not yet exportable" in bad.output


def test_device_graph_matches_predict():
    from hepemu.physics.integrals.gghh2l import GGHH_DBOX

    model = load_model("gghh-box-1l")
    s = model.integral.sample_params(50, np.random.default_rng(4))
    with torch.no_grad():
        mean, sigma = (v.numpy() for v in model.graph()(torch.tensor(s)))
    p_mean, p_sigma = model.predict(s)
    np.testing.assert_allclose(mean, p_mean, rtol=2e-6)
    torch.manual_seed(2)
    nets = [INN(3, 6, (4, 4), "tanh").double() for _ in range(2)]
    dbox = INNSurrogate(GGHH_DBOX, nets, "gl2", 1)
    s = GGHH_DBOX.sample_params(5, np.random.default_rng(5))
    with torch.no_grad():
        mean, sigma = (v.numpy() for v in dbox.graph()(torch.tensor(s)))
    p_mean, p_sigma = dbox.predict(s)
    np.testing.assert_allclose(mean, p_mean, rtol=1e-10)
    np.testing.assert_allclose(sigma, p_sigma, rtol=1e-8)
