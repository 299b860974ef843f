"""`hepemu export`: ONNX Runtime and TorchScript reproduce the PyTorch prediction."""

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch
from typer.testing import CliRunner

from hepemu.applications.export import example_inputs, export
from hepemu.cli.main import app
from hepemu.models.activations import erf
from hepemu.models.inn import INN
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
    symmetric = load_model("ee4j")
    symmetric.pre.canonicalise = ["gluon-order"]  # a symmetry map: in the graph too
    symmetric.save(tmp_path / "sym.safetensors")
    sym = runner.invoke(
        app, ["export", "--model", str(tmp_path / "sym.safetensors"), "--out", str(tmp_path / "e")]
    )
    assert sym.exit_code == 0, sym.output
    ok = runner.invoke(app, ["export", "--model", "ee4j", "--out", str(tmp_path / "ee4j.onnx")])
    assert ok.exit_code == 0 and "E_ep" in ok.output


@pytest.mark.parametrize(
    "name", ["ggyyg-1l-bnn", "ee4j", "gghh-box-1l-regressor", "ggyyg-1l-ensemble"]
)
def test_shipped_regressors_onnx(tmp_path, name):
    """Features (log invariants, Catani–Seymour dipoles, a GL reference), symmetry maps
    (photon order and beam flip), members, decoding and the ensemble or Bayesian error, in ONNX
    Runtime: as the torch graph, and as predict
    up to the float32 networks' rounding."""
    model = load_model(name)
    x = example_inputs(model, 200)
    p_mean, p_sigma = model.predict(x)
    for dtype, rtol in (("float64", 1e-6), ("float32", 1e-5)):
        path = tmp_path / f"{dtype}.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = export(model, path, "onnx", dtype)
        xi = x.astype(dtype)
        mean, sigma = _ort(path, xi)
        assert mean.dtype == sigma.dtype == np.dtype(dtype)
        with torch.no_grad():
            t_mean, t_sigma = (v.double().numpy() for v in graph(torch.tensor(xi)))
        np.testing.assert_allclose(mean, t_mean, rtol=rtol)
        assert np.all(np.abs(sigma - t_sigma) <= rtol * np.abs(t_mean))
        if dtype == "float64":
            np.testing.assert_allclose(mean, p_mean, rtol=2e-5)
            assert np.all(np.abs(sigma - p_sigma) <= 3e-5 * np.abs(p_mean))
            assert np.all(sigma > 0)


def _toy_regressor(kind: str, transform: str, reference: str | None, features: str):
    """An untrained float64 regressor of ee4j momenta (its preprocessing fitted to data)."""
    from hepemu.models.network_specs import build_network
    from hepemu.models.preprocessing import Preprocessing
    from hepemu.models.regressor import NetworkRegressor
    from hepemu.physics.providers import get_provider

    provider = get_provider("ee4j")
    x, kept = provider.from_unit(np.random.default_rng(2).random((400, provider.unit_dim)))
    x = x[kept]
    y = np.exp(np.random.default_rng(3).normal(size=len(x))) * 1e-9
    pre = Preprocessing(transform, True, reference, features=features, provider="ee4j")
    pre.fit(x, y)
    torch.manual_seed(4)
    spec = {"kind": kind, "hidden": [8, 8], "activation": "softplus"}
    if kind == "dipole":
        spec["activation"] = "gelu"
    nets = [build_network(pre.n_features, spec).double() for _ in range(2 if kind != "bnn" else 1)]
    if kind == "dipole":
        for n in nets:
            n.set_scales(pre)
    if kind == "bnn":
        with torch.no_grad():
            for layer in [*nets[0].layers, nets[0].out]:
                layer.rho_w.fill_(-3.0)
    cols = [f"c{i}" for i in range(x.shape[1])]
    return NetworkRegressor(nets, spec, pre, cols, "msq", sigma_scale=1.3), x


@pytest.mark.parametrize(
    "kind, transform, reference, features",
    [
        ("dnn", "log", "antenna-q2", "invariants"),
        ("bnn", "log1p", None, "log-invariants"),
        ("hetero", "arcsinh", "antenna", "invariants"),
        ("dipole", "arcsinh", None, "ee-dipoles"),
    ],
)
def test_regressor_graph_is_predict_in_float64(tmp_path, kind, transform, reference, features):
    """Every network kind, target transform and reference: the graph is predict's maths
    (float64 networks, the Bayesian draws of predict's seed), and its ONNX form agrees."""
    from hepemu.models.regressor_graph import RegressorGraph

    model, x = _toy_regressor(kind, transform, reference, features)
    p_mean, p_sigma = model.predict(x)
    with torch.no_grad():
        mean, sigma = (v.numpy() for v in RegressorGraph(model)(torch.tensor(x)))
    np.testing.assert_allclose(mean, p_mean, rtol=1e-10)
    np.testing.assert_allclose(sigma, p_sigma, rtol=1e-8)
    assert np.all(np.isfinite(sigma) & (sigma > 0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export(model, tmp_path / "toy.onnx", "onnx", "float64")
    o_mean, o_sigma = _ort(tmp_path / "toy.onnx", x)
    np.testing.assert_allclose(o_mean, mean, rtol=1e-10)
    np.testing.assert_allclose(o_sigma, sigma, rtol=1e-8)
    bad = x[:2].copy()
    bad[0, 16:20] *= -1  # a gluon with negative energy: s_qg < 0, where predict raises
    o_mean, o_sigma = _ort(tmp_path / "toy.onnx", bad)
    assert np.isnan(o_mean[0]) and np.isnan(o_sigma[0]) and np.isfinite(o_mean[1])


def test_graph_functions_without_onnx_ops():
    """expm1, sinh and softplus written from exp and log agree with torch's to rounding."""
    from hepemu.models.regressor_graph import Softplus, expm1, sinh

    t = torch.cat(
        [
            torch.linspace(-60, 60, 200_001, dtype=torch.float64),
            torch.logspace(-300, 0, 500, dtype=torch.float64),
            -torch.logspace(-300, 0, 500, dtype=torch.float64),
        ]
    )
    for ours, ref in ((expm1, torch.expm1), (sinh, torch.sinh)):
        assert torch.max((ours(t) - ref(t)).abs() / ref(t).abs()) < 2e-15
    sp = torch.nn.functional.softplus(t)
    assert torch.max((Softplus()(t) - sp).abs() / sp) < 2e-15


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
