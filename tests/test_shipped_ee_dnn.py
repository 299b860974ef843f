"""The shipped ``ee4j-dnn`` and ``ee5j-dnn`` (e⁺e⁻ → dd̄ + 2 or 3 gluons at √s = 1 TeV, from
benchmarks/precision_budget.py --process ee4j|ee5j --ship): checksum, precision on fresh
pyamplicol points, the antenna reference and gluon order they were trained on, and the
export graph.

Bounds come from the named runs (benchmarks/results/precision_budget_ee4j.json and _ee5j.json,
10⁵ test points each); the margins leave ~4 standard deviations of the fresh samples drawn
here, not room for a worse model.
"""

import warnings

import numpy as np
import pytest

from hepemu.registry import load_model, manifest

# process: (fresh points, share within 1 % it must beat, 68 % of |δ| it must beat); named runs:
# ee4j 99.981 % within 1 %, 68 % of |δ| 5.16e-4; ee5j 83.33 %, 6.68e-3
EXPECTED = {"ee4j": (4000, 0.998, 6.5e-4), "ee5j": (2000, 0.80, 7.6e-3)}


@pytest.fixture(scope="module")
def fresh(fresh_points):
    """Fresh points at the trained cut (seed 99: no training run used it)."""
    return {p: fresh_points(p, n, (("y_min", 0.001),)) for p, (n, _, _) in EXPECTED.items()}


@pytest.mark.parametrize("proc", list(EXPECTED))
def test_shipped_dnn_is_as_precise_as_its_run_says(proc, fresh):
    name = f"{proc}-dnn"
    assert name in manifest()
    model = load_model(name)  # checksum verified
    assert model.pre.reference == "antenna-q2" and model.pre.canonicalise == ["gluon-order"]
    x, y = fresh[proc]
    mean, _ = model.predict(x)
    d = np.abs(mean / y - 1)
    _, within, q68 = EXPECTED[proc]
    assert np.mean(d < 0.01) > within, np.mean(d < 0.01)
    assert np.quantile(d, 0.68) < q68, np.quantile(d, 0.68)
    # Bose symmetry of the gluons: the first two exchanged, the same prediction
    p = x.reshape(len(x), -1, 4).copy()
    p[:, [4, 5]] = p[:, [5, 4]]
    np.testing.assert_allclose(model.predict(p.reshape(len(x), -1))[0], mean, rtol=1e-6)


@pytest.mark.parametrize("proc", list(EXPECTED))
def test_shipped_dnn_exports_with_its_gluon_order(proc, fresh, tmp_path):
    """The symmetry map, invariants, antenna reference and decoding in ONNX Runtime give
    predict's mean (float64 graph; one network: σ is NaN in both)."""
    import onnxruntime as ort

    from hepemu.applications.export import export

    model = load_model(f"{proc}-dnn")
    x = fresh[proc][0][:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export(model, tmp_path / "m.onnx", "onnx", "float64")
    mean, sigma = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"x": x})
    np.testing.assert_allclose(mean, model.predict(x)[0], rtol=2e-5)
    assert np.all(np.isnan(sigma))
