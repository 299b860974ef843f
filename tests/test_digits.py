"""The one digits formula: −log10|e/t − 1|, floored at 1e-17, NumPy only."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from hepemu.digits import FLOOR, digits, mean_digits, p_values
from hepemu.evaluation import metrics
from hepemu.evaluation.regression import deltas
from hepemu.evaluation.regression import digits as regression_digits


def test_digits_count_agreeing_significant_figures():
    t = np.array([1.0, -2.0, 3.0, 5.0])
    e = t * (1 + np.array([1e-4, -1e-2, 0.0, 1.0]))
    np.testing.assert_allclose(digits(e, t), [4.0, 2.0, -np.log10(FLOOR), 0.0], rtol=1e-9)
    assert mean_digits(e, t) == np.mean(digits(e, t))
    np.testing.assert_array_equal(p_values(e, t), -digits(e, t))


def test_every_layer_uses_the_same_numbers():
    rng = np.random.default_rng(1)
    t = rng.normal(size=500)
    e = t * (1 + rng.normal(size=500) * 10 ** rng.uniform(-15, 0, 500))
    assert metrics.p_values is p_values and metrics.mean_digits is mean_digits
    np.testing.assert_array_equal(regression_digits(deltas(e, t)), digits(e, t))
    assert metrics.summarise(e, t, np.zeros((500, 1))).mean_digits == mean_digits(e, t)


def test_importable_without_torch():
    code = "import sys, hepemu.evaluation.metrics; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
