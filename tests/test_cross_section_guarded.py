"""σ = ∫s + ∫(f − s) is unbiased with a poor surrogate; guarded evaluation falls back honestly."""

import numpy as np
import pytest

from hepemu.applications.cross_section import unbiased_cross_section
from hepemu.applications.guarded import GuardedSurrogate
from hepemu.applications.unweighting import PhaseSpace
from hepemu.physics.providers import get_provider


class Distorted:
    def __init__(self, provider, amount):
        self.provider, self.amount = provider, amount

    def predict(self, x):
        y = self.provider(x)
        mean = y * (1 + self.amount * (1 + np.cos(0.01 * x[:, 8])) / 2)  # biased upwards
        return mean, self.amount * np.abs(np.sin(0.02 * x[:, 9])) * np.abs(mean)


@pytest.fixture(scope="module")
def provider():
    return get_provider("ee3j", {"y_min": 0.01})


def flat_sigma(provider, seed: int, n: int = 400_000) -> tuple[float, float]:
    """σ and its error by plain Monte Carlo with the truth at every point (the reference)."""
    inputs, factor, kept = PhaseSpace(provider).sample(n, np.random.default_rng(seed))
    w = np.zeros(len(kept))
    w[kept] = provider(inputs[kept]) * factor[kept]
    return w.mean(), w.std() / np.sqrt(len(w))


def test_correction_removes_the_surrogate_bias(provider):
    space = PhaseSpace(provider)
    ref, ref_err = flat_sigma(provider, 5)
    biased = Distorted(provider, 0.3)  # ∫ s alone is off by several per cent
    cs = unbiased_cross_section(space, biased, 200_000, 20_000, seed=1)
    assert abs(cs.surrogate_part - ref) > 5 * ref_err
    assert abs(cs.value - ref) < 4 * np.hypot(cs.error, ref_err)
    assert abs(cs.plain - ref) < 4 * np.hypot(cs.plain_error, ref_err)
    good = unbiased_cross_section(space, Distorted(provider, 0.01), 200_000, 20_000, seed=2)
    assert (
        good.variance_reduction > 1000 and good.error < 0.4 * good.plain_error
    )  # √(M/N) = 0.32 at best


class Declining:
    """The truth, NaN (declined) wherever the first final parton has p_x > 0.6 E."""

    def __init__(self, provider):
        self.provider = provider

    def __getattr__(self, name):
        return getattr(self.provider, name)

    def __call__(self, x):
        return np.where(x[:, 9] > 0.6 * x[:, 8], np.nan, self.provider(x))


def test_declined_truth_points_are_counted_and_bounded(provider):
    """Where the truth returns NaN the surrogate stands in; its error there sizes the bias."""
    ref, ref_err = flat_sigma(provider, 6)
    declining = PhaseSpace(Declining(provider))
    cs = unbiased_cross_section(declining, Distorted(provider, 0.02), 200_000, 20_000, seed=3)
    assert 0.02 * cs.truth_points < cs.truth_unresolved < 0.5 * cs.truth_points
    assert 0 < cs.unresolved_error < 0.02 * cs.value
    assert abs(cs.value - ref) < 4 * np.hypot(cs.error, ref_err) + cs.unresolved_error
    assert cs.plain < ref - 3 * np.hypot(cs.plain_error, ref_err)  # counting them as 0 biases


def test_guard_uses_the_truth_where_unsure_or_outside(provider, rng):
    space = PhaseSpace(provider)
    x, _, kept = space.sample(3000, rng)
    x = x[kept]
    sur = Distorted(provider, 0.05)
    outside = np.zeros(len(x), dtype=bool)
    outside[:10] = True
    guard = GuardedSurrogate(sur, provider, 0.02, outside=lambda pts: outside[: len(pts)])
    mean, sigma = guard.predict(x)
    s_mean, s_sigma = sur.predict(x)
    truth = provider(x)
    fell = (s_sigma > 0.02 * np.abs(s_mean)) | outside
    np.testing.assert_array_equal(mean[fell], truth[fell])
    np.testing.assert_array_equal(mean[~fell], s_mean[~fell])
    assert np.all(sigma[fell] == 0) and 0 < fell.mean() < 1
    rep = guard.report()
    assert rep["fallbacks"] == fell.sum() and rep["outside_region"] == 10
    assert rep["fallback_fraction"] == pytest.approx(fell.mean())
    with pytest.raises(ValueError, match="max_rel_sigma must be positive"):
        GuardedSurrogate(sur, provider, 0.0)
