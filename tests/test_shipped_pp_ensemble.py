"""The shipped ``ggyyg-1l-pp-ensemble`` (one-loop g g → γ γ g for 13.6 TeV pp collisions,
cards/ggyyg_pp_ensemble.toml): checksum, precision and calibrated σ on fresh images of pp
lab phase space, every one inside its trained region, and its use at a hadron collider.

Bounds come from its fit (11 941 unseen image points: 68 % of |δ| 3.8e-3, σ covering 67.9 %);
the margins leave room for the sampling spread of the 600 fresh points drawn here.
"""

import numpy as np
import pytest

from hepemu.registry import load_model, manifest

Q68, COVER = 5.2e-3, (0.59, 0.77)
IMAGES = (("hadronic_sqrt_s", 13600),)


@pytest.fixture(scope="module")
def fresh(fresh_points):
    return fresh_points("ggyyg-1l", 1000, IMAGES)  # ~600 pass the lab cuts


def test_shipped_pp_ensemble_is_precise_and_covers_on_collider_points(fresh):
    assert "ggyyg-1l-pp-ensemble" in manifest()
    model = load_model("ggyyg-1l-pp-ensemble")  # checksum verified
    assert model.n_members == 3
    assert model.info["dataset"]["provider_options"] == {"hadronic_sqrt_s": 13600}
    x, y = fresh
    assert len(y) > 450
    mean, sigma = model.predict(x)
    d = np.abs(mean / y - 1)
    assert np.quantile(d, 0.68) < Q68, np.quantile(d, 0.68)
    cover = np.mean(np.abs(mean - y) <= sigma)
    assert COVER[0] < cover < COVER[1], cover
    assert not model.outside_region(x).any()  # its region holds every image
    # the partonic model's cuts do not (boosted photons pass |η| < 2.37 in the lab only)
    assert load_model("ggyyg-1l-ensemble").outside_region(x).any()


def test_events_at_a_collider_with_the_shipped_pp_model(tmp_path):
    """The model's training option is left out of the truth (its |M|² is the partonic one)."""
    pytest.importorskip("parton")
    from test_collider import write_set

    from hepemu.cli.main import run_cli

    out = tmp_path / "pp.lhe"
    args = ["events", "--surrogate", "ggyyg-1l-pp-ensemble", "--n", "3", "--out", str(out)]
    args += ["--chunk-trials", "4000", "--pilot-points", "2000", "--vegas-points", "1000"]
    args += ["--collider", "pp", "--sqrt-s", "13600", "--pdf", str(write_set(tmp_path))]
    assert run_cli(args) == 0
    import json

    setup = json.loads((tmp_path / "pp.lhe.json").read_text())["setup"]
    assert setup["provider"] == "ggyyg-1l" and setup["options"] == {}
