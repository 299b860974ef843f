"""The shipped ``ggyyg-1l-bnn`` (one-loop g g → γ γ g, boosted Bayesian network): checksum,
precision and pulls on fresh one-loop points, and ``hepemu me eval --model ggyyg-1l-bnn``.

Bounds come from the named run in the README (benchmarks/results/loop_bnn.json, 10⁴ test
points); the margins leave room for the sampling spread of the ~200 fresh points drawn here
(the truth costs ~0.1 s per point), not for a worse model.
"""

import csv

import numpy as np
import pytest

from hepemu.cli.main import run_cli
from hepemu.registry import load_model, manifest

NAME = "ggyyg-1l-bnn"
# named run (90 k training points): 68 % of |Δ| below 1.98e-2, σ_tot covering 77 % at 1σ; the
# bounds are ~4 standard deviations of the ~200-point samples drawn here away from those
Q68 = 3.5e-2
COVER_1SIGMA = (0.68, 0.92)


@pytest.fixture(scope="module")
def fresh(fresh_points):
    """Fresh one-loop points (seed 99: no training run used it)."""
    return fresh_points("ggyyg-1l", 240)


def test_shipped_loop_bnn_is_as_precise_and_honest_as_its_run_says(fresh):
    assert NAME in manifest()
    model = load_model(NAME)  # checksum verified
    x, y = fresh
    assert len(y) > 150
    mean, sigma = model.predict(x)
    a = np.abs(mean / y - 1)
    assert np.quantile(a, 0.68) < Q68, np.quantile(a, 0.68)
    assert np.all(sigma > 0)
    cover = np.mean(np.abs(mean - y) <= sigma)
    assert COVER_1SIGMA[0] < cover < COVER_1SIGMA[1], cover  # as often as in the named run


def test_me_eval_with_the_shipped_loop_bnn_flags_points_outside_its_cuts(tmp_path, capsys, fresh):
    x, y = fresh
    p = x[:4].reshape(4, 5, 4).copy()
    b = np.sqrt(495.0**2 - 25.0)  # row 4: central photons, a jet of p_T = 10 GeV (cut: 20)
    p[3, 2:] = [[495.0, -5.0, b, 0.0], [495.0, -5.0, -b, 0.0], [10.0, 10.0, 0.0, 0.0]]
    inp = tmp_path / "p.csv"
    with open(inp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"{c}{leg}" for leg in range(1, 6) for c in ("E", "px", "py", "pz")])
        w.writerows(p.reshape(4, -1).tolist())
    out = tmp_path / "o.csv"
    assert run_cli(["me", "eval", "--model", NAME, "-i", str(inp), "-o", str(out)]) == 0
    rows = list(csv.DictReader(open(out)))
    msq = np.array([float(r["msq"]) for r in rows])
    err = np.array([float(r["msq_err"]) for r in rows])
    np.testing.assert_allclose(msq[:3], load_model(NAME).predict(x[:3])[0], rtol=1e-6)
    assert np.all(err > 0)
    message = capsys.readouterr().err
    assert "outside the trained cuts" in message and "rows 4" in message
    assert "mass shell" not in message and "momentum" not in message  # only the cut
