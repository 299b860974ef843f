"""The shipped ee3j/ee4j/ee5j dipole emulators: checksum, precision on fresh pyamplicol points,
an error bar that covers the truth about as often as it says, and ``hepemu me eval``/``me list``.

Bounds come from the named run in the README (benchmarks/results/me_emulator.json, 10⁵ test
points each); the margins leave room for the sampling spread of the smaller fresh samples
drawn here, not for a worse model.
"""

import csv

import numpy as np
import pytest

from hepemu.cli.main import run_cli
from hepemu.registry import load_model, manifest

# process: (points, share within 1 % it must beat, median |δ| it must beat); measured in the
# named run: within 1 % 99.96 % / 73.5 % / 23.1 %, median |δ| 9.6e-4 / 5.8e-3 / 2.35e-2;
# the margins are ~4 binomial standard deviations of the samples drawn here
EXPECTED = {
    "ee3j": (3000, 0.99, 1.3e-3),
    "ee4j": (3000, 0.69, 7.5e-3),
    "ee5j": (1500, 0.18, 3.0e-2),
}


@pytest.fixture(scope="module")
def fresh(fresh_points):
    """Fresh RAMBO points of every shipped process (seed 99: no training run used it)."""
    out = {}
    for proc, (n, _, _) in EXPECTED.items():
        y_min = load_model(proc).info["dataset"]["provider_options"]["y_min"]  # trained cut
        out[proc] = fresh_points(proc, n, (("y_min", y_min),))
    return out


@pytest.mark.parametrize("proc", list(EXPECTED))
def test_shipped_emulator_is_precise_and_honest_on_fresh_points(proc, fresh):
    assert proc in manifest()
    model = load_model(proc)  # checksum verified
    x, y = fresh[proc]
    mean, sigma = model.predict(x)
    a = np.abs(mean / y - 1)
    _, within, median = EXPECTED[proc]
    assert np.mean(a < 1e-2) > within, np.mean(a < 1e-2)
    assert np.median(a) < median, np.median(a)
    assert np.all(sigma > 0)
    # the spread is calibrated to cover 68.27 % (the named run: 0.682–0.684 on ~10⁵ points
    # each); on the fresh sample within 4 binomial standard deviations of its size
    cover = np.mean(np.abs(mean - y) <= sigma)
    assert abs(cover - 0.6827) < 4 * np.sqrt(0.6827 * 0.3173 / len(y)), (cover, len(y))


def test_me_eval_and_list_with_a_shipped_emulator(tmp_path, capsys, fresh):
    x, y = fresh["ee5j"]
    legs = x.shape[1] // 4
    inp = tmp_path / "p.csv"
    with open(inp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"{c}{leg}" for leg in range(1, legs + 1) for c in ("E", "px", "py", "pz")])
        w.writerows(x[:5].tolist())
    out = tmp_path / "o.csv"
    assert run_cli(["me", "eval", "--model", "ee5j", "-i", str(inp), "-o", str(out)]) == 0
    rows = list(csv.DictReader(open(out)))
    msq = np.array([float(r["msq"]) for r in rows])
    err = np.array([float(r["msq_err"]) for r in rows])
    np.testing.assert_allclose(msq, load_model("ee5j").predict(x[:5])[0], rtol=1e-6)
    assert np.all(np.abs(msq / y[:5] - 1) < 0.3) and np.all(err > 0)
    capsys.readouterr()
    assert run_cli(["me", "list"]) == 0
    listed = capsys.readouterr().out
    shipped = listed[listed.index("shipped emulators") :]
    assert all(p in shipped for p in EXPECTED)
    # the other kinds shipped for a process are listed too; shipped integrals are not
    assert "ee4j-dnn" in shipped and "ggyyg-1l-ensemble" in shipped
    assert "gghh-box-1l" not in shipped
