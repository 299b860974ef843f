"""`hepemu events --guard sigma-threshold[:T]`: the truth as first-stage weight where the
surrogate is unsure or off its region; unbiased, counted, resumable."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from hepemu.applications.unweighting import PhaseSpace, pilot_maxima, unweight_two_stage
from hepemu.cli.main import app
from hepemu.data.dataset import Dataset
from hepemu.physics.providers import get_provider

runner = CliRunner()
SMALL = ["--chunk-trials", "5000", "--pilot-points", "3000", "--vegas-points", "2000"]


def events(out, *extra):
    args = ["events", "--surrogate", "ee3j", "--n", "30", "--out", str(out), *SMALL]
    return runner.invoke(app, [*args, *extra])


def read(out):
    ds = Dataset.open(out)
    return ds.read("inputs"), ds.read("targets"), ds.meta["events"]


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    out = tmp_path_factory.mktemp("plain") / "ev.h5"
    res = events(out)
    assert res.exit_code == 0, res.output
    return read(out)


def test_threshold_zero_is_the_one_stage_run(tmp_path):
    guarded, one = tmp_path / "g.h5", tmp_path / "one.h5"
    res = events(guarded, "--guard", "sigma-threshold:0")
    assert res.exit_code == 0, res.output
    assert "guard fallbacks" in res.output  # progress and closing lines
    assert events(one, "--mode", "one-stage").exit_code == 0
    xg, wg, mg = read(guarded)
    xo, wo, mo = read(one)
    # every point inside the cuts falls back: s = w, x = 1, the same random numbers as a
    # one-stage run, so the very same events and σ (within the statistical error a fortiori)
    assert mg["fallbacks"] == mg["kept"] == mg["truth_calls"] > 0
    assert mg["fallbacks_accepted"] == mg["stage1"] and mg["second_stage_efficiency"] == 1
    np.testing.assert_array_equal(xg, xo)
    np.testing.assert_array_equal(wg, wo)
    assert mg["cross_section_pb"] == pytest.approx(mo["cross_section_pb"], rel=1e-12)
    summary = json.loads((tmp_path / "g.h5.json").read_text())  # next to the events
    assert summary["fallbacks"] == mg["fallbacks"] and summary["events_written"] == 30
    assert summary["setup"]["guard_max_rel_sigma"] == 0.0


def test_large_threshold_never_falls_back(tmp_path, plain):
    out = tmp_path / "g.h5"
    res = events(out, "--guard", "sigma-threshold:1e9")
    assert res.exit_code == 0, res.output
    x, w, meta = read(out)
    assert meta["fallbacks"] == 0 and meta["truth_calls"] == meta["stage1"]
    np.testing.assert_array_equal(x, plain[0])  # the unguarded run's events
    np.testing.assert_array_equal(w, plain[1])


def test_changed_threshold_is_refused_on_resume(tmp_path):
    out = tmp_path / "g.h5"
    assert events(out, "--guard", "sigma-threshold:0.003").exit_code == 0
    first = read(out)
    assert 0 < first[2]["fallbacks"] < first[2]["kept"]
    other = events(out, "--force", "--guard", "sigma-threshold:0.004")
    assert other.exit_code != 0 and "guard_max_rel_sigma" in other.output
    unguarded = events(out, "--force")
    assert unguarded.exit_code != 0 and "guard_max_rel_sigma" in unguarded.output
    again = events(out, "--force", "--guard", "sigma-threshold:0.003")  # resumes: same events
    assert again.exit_code == 0, again.output
    np.testing.assert_array_equal(read(out)[0], first[0])


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--guard", "sigma-threshold:x"], "sigma-threshold:T"),
        (["--guard", "sigma:0.1"], "sigma-threshold:T"),
        (["--guard", "sigma-threshold:-1"], "T ≥ 0"),
        (["--guard", "sigma-threshold:inf"], "finite"),
        (["--guard", "sigma-threshold", "--mode", "one-stage"], "two-stage"),
    ],
)
def test_bad_guards_are_refused(tmp_path, extra, said):
    res = events(tmp_path / "g.h5", *extra)
    assert res.exit_code != 0 and said in " ".join(res.output.split())
    assert not (tmp_path / "g.h5.run").exists()


class Truth:
    """The provider, counting the points it is called at."""

    def __init__(self, provider):
        self.provider, self.points = provider, 0

    def __getattr__(self, name):
        return getattr(self.provider, name)

    def __call__(self, x):
        self.points += len(x)
        return self.provider(x)


class Regional:
    """A poor surrogate (twice the truth, ± 15 %) with σ/|mean| = 0.3 |sin(…)|, whose trained region
    excludes the points where the first parton has p_x > 0."""

    def __init__(self, provider):
        self.provider = provider

    def predict(self, x):
        mean = self.provider(x) * (2 + 0.3 * np.cos(0.01 * x[:, 8] + 0.02 * x[:, 13]))
        return mean, 0.3 * np.abs(np.sin(0.02 * x[:, 10])) * mean

    def outside_region(self, x):
        return x[:, 9] > 0


@pytest.fixture(scope="module")
def provider():
    return get_provider("ee3j", {"y_min": 0.01})


@pytest.mark.parametrize("threshold", [1e9, 0.15])
def test_guard_falls_back_outside_the_region_unbiased(provider, threshold):
    n, seed = 100_000, 7
    truth = Truth(provider)
    space, surrogate = PhaseSpace(truth), Regional(provider)
    mx = pilot_maxima(space, surrogate, 20_000, np.random.default_rng(1), guard=threshold)
    truth.points = 0
    two = unweight_two_stage(
        space, surrogate, mx["s_max"], mx["x_max"], n, np.random.default_rng(seed), threshold
    )
    st = two.stats
    x, _, kept = space.sample(n, np.random.default_rng(seed))  # the run's points again
    mean, sigma = surrogate.predict(x[kept])
    away = x[kept, 9] > 0
    fell = away | (sigma >= threshold * mean)
    assert st.fallbacks_outside == away.sum() > 0 and st.fallbacks == fell.sum()
    assert (st.fallbacks > st.fallbacks_outside) == (threshold < 1)
    assert truth.points == st.truth_calls == st.fallbacks + st.stage1 - st.fallbacks_accepted
    # unbiased: σ against plain Monte Carlo with the truth at every point
    xr, factor, kr = space.sample(200_000, np.random.default_rng(99))
    w = np.zeros(len(kr))
    w[kr] = provider(xr[kr]) * factor[kr]
    ref, ref_err = w.mean(), w.std() / np.sqrt(len(w))
    sig, err = st.cross_section
    assert abs(sig - ref) < 4 * np.hypot(err, ref_err) and st.events > 150
