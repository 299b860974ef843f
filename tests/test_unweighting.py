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
