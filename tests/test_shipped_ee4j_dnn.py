"""The shipped ``ee4j-dnn`` (e⁺e⁻ → dd̄gg at √s = 1 TeV, from benchmarks/precision_budget.py
--process ee4j --ship): checksum, precision on fresh pyamplicol points, its antenna reference
and the gluon order it was trained on, and its export graph.

Bounds come from the named run (benchmarks/results/precision_budget_ee4j.json, 10⁵ test
points); the margins leave room for the sampling spread of the fresh points drawn here, not
for a worse model.
"""

import numpy as np
import pytest

from hepemu.data.dataset import Dataset
from hepemu.data.generate import GenerationPlan, generate
from hepemu.registry import load_model, manifest

POINTS = 4000
# named run: 99.981 % within 1 %, 68 % of |δ| 5.16e-4 (10⁵ points); the bounds leave ~4
# standard deviations of a 4000-point sample
WITHIN_1PCT, Q68 = 0.998, 6.5e-4


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """Fresh ee4j points at the trained cut (seed 99: no training run used it)."""
    path = tmp_path_factory.mktemp("fresh") / "ee4j.h5"
    generate(GenerationPlan("ee4j", POINTS, POINTS, seed=99, options=(("y_min", 0.001),)), path)
    ds = Dataset.open(path)
    return ds.read("inputs"), ds.read("targets").ravel()


def test_shipped_ee4j_dnn_is_as_precise_as_its_run_says(fresh):
    assert "ee4j-dnn" in manifest()
    model = load_model("ee4j-dnn")  # checksum verified
    assert model.pre.reference == "antenna-q2" and model.pre.canonicalise == ["gluon-order"]
    x, y = fresh
    mean, _ = model.predict(x)
    d = np.abs(mean / y - 1)
    assert np.mean(d < 0.01) > WITHIN_1PCT, np.mean(d < 0.01)
    assert np.quantile(d, 0.68) < Q68, np.quantile(d, 0.68)
    # Bose symmetry of the gluons: exchanged, the same prediction
    p = x.reshape(len(x), 6, 4).copy()
    p[:, [4, 5]] = p[:, [5, 4]]
    np.testing.assert_allclose(model.predict(p.reshape(len(x), -1))[0], mean, rtol=1e-6)


def test_shipped_ee4j_dnn_exports_with_its_gluon_order(fresh, tmp_path):
    """The symmetry map, invariants, antenna reference and decoding in ONNX Runtime give
    predict's mean (the graph's float64 path; one network: σ is NaN in both)."""
    import warnings

    import onnxruntime as ort

    from hepemu.applications.export import export

    model = load_model("ee4j-dnn")
    x = fresh[0][:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export(model, tmp_path / "ee4j.onnx", "onnx", "float64")
    mean, sigma = ort.InferenceSession(str(tmp_path / "ee4j.onnx")).run(None, {"x": x})
    np.testing.assert_allclose(mean, model.predict(x)[0], rtol=2e-5)
    assert np.all(np.isnan(sigma))
