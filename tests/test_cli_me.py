"""``hepemu me eval``: truth and emulator at user momenta, with physical-input checks."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from hepemu.cli.main import run_cli
from hepemu.data.generate import GenerationPlan, generate
from hepemu.physics.kinematics import rambo_from_unit
from hepemu.physics.providers import get_provider
from hepemu.training.fit import fit_networks
from hepemu.training.fit_config import FitCard


def write_momenta(path, p: np.ndarray) -> None:
    legs = p.shape[1]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"{c}{leg}" for leg in range(1, legs + 1) for c in ("E", "px", "py", "pz")])
        for row in p.reshape(len(p), -1):
            w.writerow([repr(float(v)) for v in row])


def ee3j_points(n: int, seed: int) -> np.ndarray:
    final, _ = rambo_from_unit(np.random.default_rng(seed).uniform(0.1, 0.9, (n, 12)), 1000.0)
    beams = np.broadcast_to(np.array([[500.0, 0, 0, 500], [500, 0, 0, -500]]), (n, 2, 4))
    return np.concatenate([beams, final], axis=1)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("me")
    data = tmp / "ee3j.h5"
    generate(GenerationPlan("ee3j", 3000, 3000, seed=1, options=(("y_min", 0.01),)), data)
    card = FitCard.model_validate(
        {
            "data": {"path": str(data)},
            "model": {"kind": "dipole", "hidden": [16], "activation": "tanh"},
            "preprocessing": {
                "target_transform": "arcsinh",
                "arcsinh_scale": "min",
                "features": "ee-dipoles",
            },
            "training": {"epochs": 2, "batch_size": 256, "threads": 1},
        }
    )
    path = tmp / "emu.safetensors"
    fit_networks(card, tmp / "run").save(path)
    return path


def me_eval(capsys, *args) -> tuple[int, str]:
    """``hepemu me eval ARGS``: exit code and stderr."""
    rc = run_cli(["me", "eval", *map(str, args)])
    return rc, capsys.readouterr().err


def read(path) -> list[dict]:
    return list(csv.DictReader(open(path)))


def test_truth_at_user_momenta_matches_the_provider(tmp_path, capsys):
    p = ee3j_points(4, 0)
    write_momenta(tmp_path / "in.csv", p)
    rc, err = me_eval(
        capsys, "--process", "ee3j", "-i", tmp_path / "in.csv", "-o", tmp_path / "out.csv"
    )
    assert rc == 0, err
    rows = read(tmp_path / "out.csv")
    truth = get_provider("ee3j")(p.reshape(4, -1))
    np.testing.assert_allclose([float(r["msq"]) for r in rows], truth, rtol=1e-12)
    assert {r["msq_err"] for r in rows} == {"0.0"} and "E1" in rows[0]


def test_unphysical_and_out_of_cut_points_are_named(tmp_path, capsys, emulator):
    p = ee3j_points(6, 1)
    p[1, 2, 0] *= 1.01  # off shell and not conserving momentum
    from hepemu.physics.tree.dipoles import emit

    e = [[500.0, 0, 0, 500], [500, 0, 0, -500]]
    born = np.array([e + e])  # e⁺ e⁻ → q q̄ back to back: a 2-parton Born
    p[4] = emit(born, 2, 3, 1e-4, 0.5, 0.1)[0]  # q ∥ g: s_qg/s = 1e-4, below the trained 0.01
    write_momenta(tmp_path / "in.csv", p)
    rc, err = me_eval(
        capsys, "--model", emulator, "-i", tmp_path / "in.csv", "-o", tmp_path / "out.csv"
    )
    assert rc == 0
    assert "off the mass shell: rows 2" in err and "not conserving momentum: rows 2" in err
    assert "below the trained cut" in err and "rows 5" in err and "no error estimate" in err
    assert len(read(tmp_path / "out.csv")) == 6
    rc, err = me_eval(
        capsys,
        "--model",
        emulator,
        "-i",
        tmp_path / "in.csv",
        "-o",
        tmp_path / "strict.csv",
        "--strict",
    )
    assert rc == 2 and "rows 2" in err and not (tmp_path / "strict.csv").exists()


def test_bad_requests_fail_in_one_line(tmp_path, capsys, emulator):
    write_momenta(tmp_path / "in.csv", ee3j_points(2, 3))
    out = tmp_path / "o.csv"
    rc, err = me_eval(capsys, "-i", tmp_path / "in.csv", "-o", out)
    assert rc == 2 and "exactly one of --model" in err
    rc, err = me_eval(capsys, "--process", "ee4j", "-i", tmp_path / "in.csv", "-o", out)
    assert rc == 2 and "E6" in err  # ee4j has 6 legs; the file 5
    rc, err = me_eval(
        capsys, "--process", "ee3j", "-i", tmp_path / "in.csv", "-o", out, "--tolerance", "0"
    )
    assert rc == 2 and "tolerance" in err
    assert "Traceback" not in err and not out.exists()


def test_trained_region_of_a_loop_model_names_cut_and_energy_violations():
    from hepemu.models.momentum_region import trained_region

    prov = get_provider("ggyyg-1l")
    u = np.random.default_rng(3).random((400, prov.unit_dim))
    x, keep = prov.from_unit(u)
    p = prov.momenta(x)
    checks = dict(trained_region({"provider": "ggyyg-1l", "provider_options": {}}))
    cut = next(f for what, f in checks.items() if what.startswith("outside the trained cuts"))
    energy = next(f for what, f in checks.items() if "√s = 1000" in what)
    assert keep.any() and (~keep).any()
    np.testing.assert_array_equal(cut(p), ~keep)  # exactly the points the provider rejects
    assert not energy(p).any()
    assert energy(p * 1.01).all()  # the same events at √s = 1010 GeV
    assert trained_region({"provider": "no-such-provider"}) == []
