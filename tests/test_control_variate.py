"""INN control variates: unbiased whatever the network, errors that cover, the CLI."""

import csv

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from hepemu.applications.control_variate import control_variate_integrals, variance_ratio
from hepemu.cli.main import app
from hepemu.models.inn import INN
from hepemu.models.inn_surrogate import INNSurrogate
from hepemu.physics.integrals.gghh import GGHH_BOX_SECTOR
from hepemu.physics.integrals.quadrature import integrate_gauss_legendre
from hepemu.registry import load_model

POINTS = np.array([[-10.0, -5.0, -4.0], [-25.0, -3.5, -29.0], [-4.0, -17.0, -8.0]])


@pytest.fixture(scope="module")
def truth():
    return integrate_gauss_legendre(GGHH_BOX_SECTOR, POINTS, 3, 32)


def test_untrained_network_still_gives_the_integral(truth):
    torch.manual_seed(0)
    net = INNSurrogate(GGHH_BOX_SECTOR, [INN(3, 3, (8, 8), "tanh")], "gl3", 0)
    res = control_variate_integrals(net, POINTS, n=1009, n_shifts=8)
    assert np.all(np.abs(res.network / truth - 1) > 0.05)  # the network alone is far off
    pulls = np.abs(res.value - truth) / res.error
    assert np.all(pulls < 5) and np.all(res.error < 1e-3 * np.abs(truth))


def test_shipped_network_as_control_variate(truth):
    model = load_model("gghh-box-1l")
    res = control_variate_integrals(model, POINTS, n=1009, n_shifts=8)
    net_err = np.abs(res.network - truth)
    cv_err = np.abs(res.value - truth)
    assert np.all(cv_err < 5 * res.error)
    assert np.median(cv_err) < 0.2 * np.median(net_err)  # better than the network alone
    ratio, var_f = variance_ratio(model, POINTS[:2], points=2048)
    assert np.all(var_f > 0) and np.all(ratio < 1e-3)  # residual variance ≪ integrand's


def test_reference_cli_with_control_variate(tmp_path, truth):
    inp = tmp_path / "p.csv"
    with open(inp, "w", newline="") as fh:
        csv.writer(fh).writerows([["s12", "s14", "mH2"], *POINTS.tolist()])
    out = tmp_path / "o.csv"
    args = ["integral", "reference", "--integral", "gghh-box-1l", "-i", str(inp), "-o", str(out)]
    runner = CliRunner()
    res = runner.invoke(app, [*args, "--nodes", "1009", "--control-variate", "gghh-box-1l"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(out)))
    value = np.array([float(r["I"]) for r in rows])
    error = np.array([float(r["I_err"]) for r in rows])
    assert {"I_net", "I_err"} <= set(rows[0]) and np.all(np.abs(value - truth) < 5 * error)
    bad = runner.invoke(app, [*args, "--method", "gl", "--control-variate", "gghh-box-1l"])
    assert bad.exit_code != 0 and "--method qmc" in bad.output
    args[3] = "gghh-box-1l-full"
    other = runner.invoke(app, [*args, "--force", "--control-variate", "gghh-box-1l"])
    assert other.exit_code != 0 and "integrates gghh-box-1l" in other.output
