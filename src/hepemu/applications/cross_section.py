"""Cross sections kept unbiased by the true function: σ = ∫ s + ∫ (f − s).

The surrogate's integral ∫ s comes from many cheap points, the correction ∫ (f − s) from a
subsample with true evaluations; the sum is unbiased whatever the surrogate, and its error
is √(Var(s)/N + Var(f − s)/M) (a control variate with known-by-sampling mean: Owen, "Monte
Carlo theory, methods and examples", ch. 8.9; for amplitude surrogates e.g. Danziger et al.,
SciPost Phys. 12 (2022) 164, sec. 2). Against plain Monte Carlo with the same M true
evaluations its variance is smaller by Var(f)/Var(f − s) when N ≫ M.

A truth that declines to answer (NaN where its own numerical error estimate is too large,
e.g. ``ggyyg-1l`` near degenerate reductions) leaves the correction unknown at those points:
it is taken as 0 there (the surrogate stands in) and the surrogate's own error over them,
Σ σ_s w / M (added linearly: the errors of neighbouring points are correlated), is reported
as ``unresolved_error`` beside the statistical one — an estimate of the bias those points can
leave at the surrogate's 1σ level, not a strict bound, and infinite for a surrogate without an
error estimate. Plain MC can only count them as 0 (biased low).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepemu.applications.unweighting import PhaseSpace, weights_of


@dataclass(frozen=True)
class CrossSection:
    """σ = ∫ s + ∫ (f − s) and the plain-MC estimate from the same true evaluations (pb)."""

    value: float
    error: float
    surrogate_part: float
    correction: float
    plain: float  # mean of the M true weights alone
    plain_error: float
    variance_reduction: float  # Var(f) / Var(f − s) over the M points
    surrogate_points: int
    truth_points: int
    truth_unresolved: int = 0  # truth points where the truth returned NaN
    unresolved_error: float = 0.0  # Σ σ_s w over them / M: the bias they can leave, at 1σ

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def unbiased_cross_section(
    space: PhaseSpace, surrogate, n_surrogate: int, n_truth: int, seed: int = 0
) -> CrossSection:
    """σ from ``n_surrogate`` surrogate points and ``n_truth`` points with both (see module)."""
    rng = np.random.default_rng(seed)

    def surrogate_msq(x):
        return surrogate.predict(x)[0]

    s_only, _ = weights_of(surrogate_msq, *space.sample(n_surrogate, rng))
    inputs, factor, kept = space.sample(n_truth, rng)
    f, _ = weights_of(space.provider, inputs, factor, kept)
    pred = {}

    def mean_and_sigma(x):
        pred["mean"], pred["sigma"] = surrogate.predict(x)
        return pred["mean"]

    s, _ = weights_of(mean_and_sigma, inputs, factor, kept)
    sigma = np.zeros(len(inputs))
    if kept.any():
        sigma[kept] = np.nan_to_num(np.abs(pred["sigma"]), nan=np.inf) * factor[kept]
    unresolved = np.isnan(f)  # declined; ±inf is a result, and shows in σ
    diff = np.where(unresolved, 0.0, f - s)
    plain = np.where(unresolved, 0.0, f)  # plain MC: declined points count as 0
    mean_s, var_s = s_only.mean(), s_only.var(ddof=1)
    value = mean_s + diff.mean()
    error = np.sqrt(var_s / n_surrogate + diff.var(ddof=1) / n_truth)
    return CrossSection(
        value=float(value),
        error=float(error),
        surrogate_part=float(mean_s),
        correction=float(diff.mean()),
        plain=float(plain.mean()),
        plain_error=float(plain.std(ddof=1) / np.sqrt(n_truth)),
        variance_reduction=float(plain.var(ddof=1) / max(diff.var(ddof=1), 1e-300)),
        surrogate_points=n_surrogate,
        truth_points=n_truth,
        truth_unresolved=int(unresolved.sum()),
        unresolved_error=float(sigma[unresolved].sum() / n_truth),
    )
