"""Two-stage unweighting is unbiased whatever the surrogate; reduced maxima; vegas maps."""

import numpy as np
import pytest

from hepemu.applications.unweighting import (
    PhaseSpace,
    adapt_vegas,
    gain_factor,
    pilot_maxima,
    reduced_max,
    unweight_one_stage,
    unweight_two_stage,
)
from hepemu.physics.kinematics import min_pair_ratio
from hepemu.physics.providers import get_provider


class DistortedTruth:
    """A poor surrogate: the truth times 1 ± 40 % varying over phase space."""

    def __init__(self, provider):
        self.provider = provider

    def predict(self, inputs):
        y = self.provider(inputs)
        wobble = 1.0 + 0.4 * np.cos(0.01 * inputs[:, 8] + 0.02 * inputs[:, 13])
        return y * wobble, np.zeros(len(y))


@pytest.fixture(scope="module")
def provider():
    return get_provider("ee3j", {"y_min": 0.01})


def test_reduced_max_bounds_the_overweight_share(rng):
    v = rng.lognormal(0, 1.5, 50_000)
    for tol in (0.0, 1e-3, 1e-2):
        m = reduced_max(v, tol=tol)
        share = np.sum(np.maximum(v - m, 0)) / np.sum(v)
        assert share == pytest.approx(tol, abs=1e-9)
    assert reduced_max(v, tol=0.0) == v.max()
    with pytest.raises(ValueError, match="no positive weights"):
        reduced_max(np.zeros(4))


def test_two_stage_unweighting_is_unbiased_with_a_poor_surrogate(provider):
    surrogate = DistortedTruth(provider)
    space = PhaseSpace(provider)
    rng = np.random.default_rng(11)
    mx = pilot_maxima(space, surrogate, 20_000, rng)
    # weighted-event cross section on independent points: the reference
    inputs, factor, kept = space.sample(400_000, rng)
    w = np.where(kept, 0.0, 0.0)
    w[kept] = provider(inputs[kept]) * factor[kept]
    ref, ref_err = w.mean(), w.std() / np.sqrt(len(w))
    one = unweight_one_stage(space, mx["w_max"], 400_000, rng)
    two = unweight_two_stage(space, surrogate, mx["s_max"], mx["x_max"], 400_000, rng)
    for batch in (one, two):
        sigma, err = batch.stats.cross_section
        assert abs(sigma - ref) < 4 * np.hypot(err, ref_err)
        assert batch.stats.events > 300 and np.all(batch.weights >= 1)
    # the poor surrogate shows in the second stage, not in the result
    assert two.stats.as_dict()["second_stage_efficiency"] < 0.9
    # distributions agree: smallest pair invariant, unweighted histograms
    edges = np.linspace(np.log(0.01), 0, 6)
    h1 = np.histogram(
        np.log(min_pair_ratio(one.inputs.reshape(-1, 5, 4))), edges, weights=one.weights
    )[0]
    h2 = np.histogram(
        np.log(min_pair_ratio(two.inputs.reshape(-1, 5, 4))), edges, weights=two.weights
    )[0]
    p1, p2 = h1 / h1.sum(), h2 / h2.sum()
    err = np.sqrt(p1 / one.stats.events + p2 / two.stats.events)
    assert np.all(np.abs(p1 - p2) <= 4 * err)


def test_vegas_map_raises_the_efficiency(provider):
    surrogate = DistortedTruth(provider)
    rng = np.random.default_rng(3)
    flat = PhaseSpace(provider)
    adapted = PhaseSpace(provider, adapt_vegas(provider, surrogate, n=5000, iterations=4))
    eff = []
    for space in (flat, adapted):
        mx = pilot_maxima(space, surrogate, 20_000, rng)
        eff.append(
            unweight_one_stage(space, mx["w_max"], 50_000, rng).stats.as_dict()["efficiency"]
        )
    assert eff[1] > 1.5 * eff[0]


def test_gain_factor_counts_costs(provider):
    from hepemu.applications.unweighting import UnweightingStats

    std = UnweightingStats(trials=100, stage1=100, events=10, time_truth=1.0)
    two = UnweightingStats(trials=100, stage1=20, events=10, time_surrogate=0.1, time_truth=0.2)
    assert gain_factor(std, two) == pytest.approx(1.0 / 0.3)
    assert gain_factor(std, two, t_truth=1.0) == pytest.approx(100 / 20.1)


class Overflowing(DistortedTruth):
    """The poor surrogate, overflowing (nan and inf) on a tenth of phase space."""

    def predict(self, inputs):
        y, err = super().predict(inputs)
        bad = (inputs[:, 8] % 10) < 1.0
        y[bad] = np.where(inputs[bad, 9] > 0, np.inf, np.nan)
        return y, err


class BrokenTruth:
    """The truth, nan on a twentieth of phase space (a numerically unstable point)."""

    def __init__(self, provider):
        self.provider = provider

    def __getattr__(self, name):
        return getattr(self.provider, name)

    def __call__(self, inputs):
        y = self.provider(inputs)
        y[(inputs[:, 13] % 20) < 1.0] = np.nan
        return y


def test_non_finite_surrogate_weights_are_counted_and_the_truth_decides(provider):
    """A surrogate giving nan/inf passes those points to the truth: every event weight is
    finite and σ agrees with the weighted-event reference (unbiased)."""
    good = DistortedTruth(provider)
    space = PhaseSpace(provider)
    rng = np.random.default_rng(12)
    mx = pilot_maxima(space, good, 20_000, rng)
    inputs, factor, kept = space.sample(400_000, rng)
    w = np.zeros(len(inputs))
    w[kept] = provider(inputs[kept]) * factor[kept]
    ref, ref_err = w.mean(), w.std() / np.sqrt(len(w))
    two = unweight_two_stage(space, Overflowing(provider), mx["s_max"], mx["x_max"], 400_000, rng)
    assert np.all(np.isfinite(two.weights)) and two.stats.nonfinite_truth == 0
    assert 0.05 * two.stats.kept < two.stats.nonfinite_surrogate < 0.15 * two.stats.kept
    sigma, err = two.stats.cross_section
    assert abs(sigma - ref) < 4 * np.hypot(err, ref_err)
    assert two.stats.as_dict()["nonfinite_surrogate"] == two.stats.nonfinite_surrogate


def test_non_finite_true_weights_are_counted_and_never_events(provider):
    space = PhaseSpace(BrokenTruth(provider))
    rng = np.random.default_rng(13)
    mx = pilot_maxima(space, DistortedTruth(provider), 20_000, rng)
    assert all(np.isfinite(v) and v > 0 for v in mx.values())  # nan sets no maximum
    one = unweight_one_stage(space, mx["w_max"], 50_000, rng)
    two = unweight_two_stage(space, DistortedTruth(provider), mx["s_max"], mx["x_max"],
                             50_000, rng)
    assert np.all(np.isfinite(one.weights)) and np.all(np.isfinite(two.weights))
    assert 0.02 * one.stats.kept < one.stats.nonfinite_truth < 0.08 * one.stats.kept
    assert 0 < two.stats.nonfinite_truth <= two.stats.stage1
    total = one.stats + one.stats
    assert total.nonfinite_truth == 2 * one.stats.nonfinite_truth


class CountingTruth(BrokenTruth):
    """The truth, counting the points it is asked for."""

    def __init__(self, provider):
        super().__init__(provider)
        self.calls = 0

    def __call__(self, inputs):
        self.calls += len(inputs)
        return self.provider(inputs)


def test_a_surrogate_only_pilot_sets_s_max_without_truth_calls(provider):
    """s_max over many surrogate points, w_max and x_max from the short truth pilot alone (the
    same points as without the extra ones); the truth is called on the short pilot only."""
    surrogate = DistortedTruth(provider)
    truth = CountingTruth(provider)
    space = PhaseSpace(truth)
    short = pilot_maxima(space, surrogate, 500, np.random.default_rng(4))
    calls = truth.calls
    long = pilot_maxima(space, surrogate, 500, np.random.default_rng(4), surrogate_n=20_000)
    assert truth.calls - calls == calls  # the 500 pilot points' truth calls, no more
    assert long["w_max"] == short["w_max"] and long["x_max"] == short["x_max"]
    # the share of the surrogate's σ above s_max on fresh points: what the first stage's
    # overweight events carry (reduced_max aims at 10⁻³); the short pilot's s_max is too low
    x, factor, kept = PhaseSpace(provider).sample(200_000, np.random.default_rng(5))
    s = np.zeros(len(x))
    s[kept] = surrogate.predict(x[kept])[0] * factor[kept]

    def share(m):
        return np.sum(np.maximum(s - m, 0)) / np.sum(s)

    assert share(long["s_max"]) < 0.01 < share(short["s_max"])
