"""Event generation with a surrogate: vegas-adapted phase space, one- and two-stage unweighting.

Weighted events: u ∈ [0,1]^d from a vegas ``AdaptiveMap`` (Lepage, J. Comput. Phys. 27 (1978)
192; the PyPI package ``vegas``) adapted to the surrogate, momenta by RAMBO with the
provider's cuts, w = |M|² × Φ_n × flux × Jacobian (Φ_n the massless phase-space volume,
flux 1/(2s), in pb).

Two-stage unweighting (Danziger, Janßen, Schumann, Siegert, SciPost Phys. 12 (2022) 164,
sec. 3; Janßen et al., SciPost Phys. 15 (2023) 107): accept with min(1, s/s_max) on the
surrogate weight s, evaluate the true w only for those, accept with min(1, x/x_max),
x = w/s; each stage's overweight max(1, ·) stays as the event weight. The expected weight
of a trial is w/(s_max x_max) whatever the surrogate: unbiased by construction. One-stage
unweighting is the same with s ≡ w, x ≡ 1.

A guard (uncertainty-gated fallback, arXiv:2512.11036) takes s ≡ w, x ≡ 1 at the points
where the surrogate's σ/|mean| reaches a threshold or the point lies outside its trained
region: the truth, called there in the first stage, is reused in the second (still unbiased).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from hepemu.applications.guarded import unsure

PB_PER_GEV2 = 0.3893793721e9  # (ħc)² in GeV² pb (PDG 2024, physical constants)


def reduced_max(values: np.ndarray, weights: np.ndarray | None = None, tol: float = 1e-3) -> float:
    """The smallest m with Σ w·max(0, v − m) ≤ tol · Σ w·v: a maximum whose overweights
    carry at most a fraction ``tol`` of the total (tol = 0: the plain maximum)."""
    v = np.asarray(values, dtype=float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(v) & (v > 0)  # a non-finite value is no maximum (counted elsewhere)
    v, w = v[keep], w[keep]
    if len(v) == 0:
        raise ValueError("no positive weights to take a maximum of")
    order = np.argsort(v)[::-1]
    v, w = v[order], w[order]
    total = np.sum(w * v)
    # excess above v[j] of the j larger values: Σ_{i<j} w_i (v_i − v_j)
    cw, cwv = np.cumsum(w), np.cumsum(w * v)
    excess = (cwv - w * v) - (cw - w) * v
    j = np.searchsorted(excess, tol * total, side="right") - 1
    if j >= len(v) - 1:
        return float(v[-1])
    # between v[j+1] and v[j] the excess is linear in m: solve for tol · total
    m = (cwv[j] - tol * total) / cw[j]
    return float(max(m, v[j + 1]))


@dataclass
class PhaseSpace:
    """Phase-space points of a momentum provider, optionally through a vegas map.

    Parameters
    ----------
    provider
        A truth provider with ``from_unit``, ``unit_dim``, ``sqrt_s`` and
        ``metadata()["phase_space_weight"]`` (the RAMBO momentum providers).
    vmap
        A ``vegas.AdaptiveMap`` on [0,1]^unit_dim, or None for flat sampling.
    """

    provider: object
    vmap: object | None = None

    @property
    def dim(self) -> int:
        return self.provider.unit_dim

    @cached_property
    def norm(self) -> float:
        """Φ_n × flux 1/(2s) in pb GeV^(…): weight per unit |M|² of a flat point (1 for a
        provider whose truth is already dσ/du in pb: hadron collisions)."""
        if getattr(self.provider, "weight_in_pb", False):
            return 1.0
        s = self.provider.sqrt_s**2
        return self.provider.metadata()["phase_space_weight"] / (2.0 * s) * PB_PER_GEV2

    def sample(self, n: int, rng: np.random.Generator):
        """(inputs (n, d_in), factor (n,), kept (n,)): w = |M|² · factor where kept."""
        y = rng.random((n, self.dim))
        if self.vmap is None:
            u, jac = y, np.ones(n)
        else:
            u, jac = np.empty_like(y), np.empty(n)
            self.vmap.map(y, u, jac)
        inputs, kept = self.provider.from_unit(u)
        return inputs, jac * self.norm, kept


def adapt_vegas(
    provider, surrogate, n: int = 20000, iterations: int = 5, ninc: int = 50, seed: int = 0
):
    """A vegas ``AdaptiveMap`` of [0,1]^d adapted to the surrogate's |M|² (zero outside the
    cuts), refined over ``iterations`` rounds of ``n`` points each drawn through the map."""
    import vegas

    space = PhaseSpace(provider, vegas.AdaptiveMap([[0.0, 1.0]] * provider.unit_dim, ninc=ninc))
    rng = np.random.default_rng(seed)
    for _ in range(iterations):
        y = rng.random((n, space.dim))
        u, jac = np.empty_like(y), np.empty(n)
        space.vmap.map(y, u, jac)
        inputs, kept = provider.from_unit(u)
        f = np.zeros(n)
        if kept.any():
            f[kept] = np.abs(surrogate.predict(inputs[kept])[0])
        space.vmap.adapt_to_samples(u, f, nitn=1)  # one vegas step per round of fresh points
    return space.vmap


@dataclass
class UnweightingStats:
    """Counts, sums and times of an unweighting run (add runs with ``+``)."""

    trials: int = 0
    kept: int = 0
    stage1: int = 0  # accepted by the surrogate (two-stage) / truth calls (one-stage: = kept)
    events: int = 0
    overweight: int = 0  # events with weight > 1
    excess: float = 0.0  # Σ (weight − 1) over events: the overweights' share of σ is excess/Σ
    sum_weights: float = 0.0  # Σ event weights (unweighted events: ≈ events)
    sum_weights2: float = 0.0
    time_phase_space: float = 0.0
    time_surrogate: float = 0.0
    time_truth: float = 0.0
    scale: float = 1.0  # s_max · x_max (two-stage) or w_max: σ = scale · Σ weights / trials
    nonfinite_surrogate: int = 0  # trials whose surrogate weight was nan/inf (truth used)
    nonfinite_truth: int = 0  # trials whose true weight was nan/inf (never an event)
    fallbacks: int = 0  # guard: points whose first-stage weight was the truth's
    fallbacks_outside: int = 0  # of those, outside the surrogate's trained region
    fallbacks_accepted: int = 0  # of those, accepted in the first stage (truth reused)

    @property
    def truth_calls(self) -> int:
        """Points the truth was evaluated at: the guard's fallbacks, and the first stage's
        accepted points that were none (one-stage: every point inside the cuts)."""
        return self.stage1 - self.fallbacks_accepted + self.fallbacks

    def __add__(self, other: UnweightingStats) -> UnweightingStats:
        if self.trials and other.trials and self.scale != other.scale:
            raise ValueError("cannot add runs with different maxima")
        out = UnweightingStats(scale=other.scale if not self.trials else self.scale)
        for name in self.__dataclass_fields__:
            if name != "scale":
                setattr(out, name, getattr(self, name) + getattr(other, name))
        return out

    @property
    def cross_section(self) -> tuple[float, float]:
        """σ and its Monte Carlo error in pb, from the event weights over all trials."""
        n = max(self.trials, 1)
        mean = self.sum_weights / n
        var = max(self.sum_weights2 / n - mean**2, 0.0)
        return self.scale * mean, self.scale * np.sqrt(var / n)

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        sigma, err = self.cross_section
        d.update(
            cross_section_pb=sigma,
            cross_section_err_pb=err,
            efficiency=self.events / max(self.trials, 1),
            first_stage_efficiency=self.stage1 / max(self.trials, 1),
            second_stage_efficiency=self.events / max(self.stage1, 1),
            overweight_fraction=self.overweight / max(self.events, 1),
            overweight_share=self.excess / max(self.sum_weights, 1e-300),
            truth_calls=self.truth_calls,
            fallback_fraction=self.fallbacks / max(self.kept, 1),
        )
        return d


@dataclass
class EventBatch:
    """Unweighted events: the provider's inputs (momenta) and their weights (≥ 1)."""

    inputs: np.ndarray
    weights: np.ndarray
    stats: UnweightingStats = field(default_factory=UnweightingStats)


def weights_of(fn, inputs, factor, mask) -> tuple[np.ndarray, float]:
    """Weights fn(inputs) · factor on the rows in ``mask`` (0 elsewhere), and the seconds
    ``fn`` took."""
    out = np.zeros(len(inputs))
    t0 = time.perf_counter()
    if mask.any():
        out[mask] = fn(inputs[mask]) * factor[mask]
    return out, time.perf_counter() - t0


def _surrogate_weights(surrogate, inputs, factor, kept) -> tuple[np.ndarray, float]:
    def positive(x):  # s > 0 wherever w can be, or two-stage unweighting would lose w there
        return np.maximum(np.abs(surrogate.predict(x)[0]), np.finfo(float).tiny)

    return weights_of(positive, inputs, factor, kept)


def guarded_weights(
    surrogate, inputs, factor, kept, guard: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Surrogate weights s (as :func:`_surrogate_weights`), the guard's fallback mask (the
    rows of ``kept`` where σ/|mean| ≥ ``guard`` or outside the surrogate's region; none
    without a guard), the rows outside the region, and the seconds taken."""
    fall, away = np.zeros(len(inputs), dtype=bool), np.zeros(len(inputs), dtype=bool)
    if guard is None:
        s, t = _surrogate_weights(surrogate, inputs, factor, kept)
        return s, fall, away, t
    s = np.zeros(len(inputs))
    t0 = time.perf_counter()
    if kept.any():
        x = inputs[kept]
        mean, sigma = surrogate.predict(x)
        s[kept] = np.maximum(np.abs(mean), np.finfo(float).tiny) * factor[kept]
        outside = getattr(surrogate, "outside_region", None)
        if outside is not None:
            away[kept] = outside(x)
        fall[kept] = unsure(mean, sigma, guard) | away[kept]
    return s, fall, away, time.perf_counter() - t0


def _accept(ratio: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Hit-or-miss on ratio = value/max: accepted mask and overweights max(1, ratio)."""
    return rng.random(len(ratio)) < ratio, np.maximum(ratio, 1.0)


def unweight_one_stage(space: PhaseSpace, w_max: float, n: int, rng) -> EventBatch:
    """``n`` trials of standard unweighting: the truth at every point inside the cuts (a
    non-finite true weight is never an event; such trials are counted)."""
    t0 = time.perf_counter()
    inputs, factor, kept = space.sample(n, rng)
    t_ps = time.perf_counter() - t0
    w, t_truth = weights_of(space.provider, inputs, factor, kept)
    bad_truth = ~np.isfinite(w)
    acc, over = _accept(np.where(bad_truth, 0.0, w / w_max), rng)
    stats = _stats(kept, kept, over[acc], w_max, time_phase_space=t_ps, time_truth=t_truth)
    stats.nonfinite_truth = int(bad_truth.sum())
    return EventBatch(inputs[acc], over[acc], stats)


def _stats(kept, stage1, weights, scale: float, **times) -> UnweightingStats:
    """Counts and sums of one batch of trials (``kept``, ``stage1``: masks over the trials)."""
    return UnweightingStats(
        trials=len(kept),
        kept=int(kept.sum()),
        stage1=int(stage1.sum()),
        events=len(weights),
        overweight=int(np.sum(weights > 1)),
        excess=float(np.sum(weights - 1.0)),
        sum_weights=float(weights.sum()),
        sum_weights2=float(np.sum(weights**2)),
        scale=scale,
        **times,
    )


def unweight_two_stage(
    space: PhaseSpace, surrogate, s_max: float, x_max: float, n: int, rng, guard=None
) -> EventBatch:
    """``n`` trials of two-stage unweighting (module docstring): the truth only where the
    surrogate's weight was accepted, and with ``guard`` (a largest σ/|mean|) where the
    guard falls back (:func:`guarded_weights`): there the truth is the first stage's weight
    and its ratio in the second is 1 (the value is reused, not recomputed).

    Where the surrogate's weight is not finite (a model overflowing) it is taken as s_max:
    the point passes the first stage and the truth decides (still unbiased); where the true
    weight is not finite the trial is never an event. Both are counted in the stats.
    """
    t0 = time.perf_counter()
    inputs, factor, kept = space.sample(n, rng)
    t_ps = time.perf_counter() - t0
    s, fall, away, t_sur = guarded_weights(surrogate, inputs, factor, kept, guard)
    bad_sur = ~np.isfinite(s)
    w_fall, t_fall = weights_of(space.provider, inputs, factor, fall)
    s = np.where(fall, np.where(np.isfinite(w_fall), w_fall, 0.0), np.where(bad_sur, s_max, s))
    acc1, over1 = _accept(s / s_max, rng)
    need = acc1 & ~fall
    w, t_truth = weights_of(space.provider, inputs, factor, need)
    w = np.where(fall, w_fall, w)
    bad_truth = ~np.isfinite(w)
    ratio = np.where(fall, 1.0, w / np.where(need, s, 1.0))
    x = np.where(acc1 & ~bad_truth, ratio, 0.0)
    acc2, over2 = _accept(x / x_max, rng)
    acc = acc1 & acc2
    weights = (over1 * over2)[acc]
    times = {"time_phase_space": t_ps, "time_surrogate": t_sur, "time_truth": t_truth + t_fall}
    stats = _stats(kept, acc1, weights, s_max * x_max, **times)
    stats.nonfinite_surrogate, stats.nonfinite_truth = int(bad_sur.sum()), int(bad_truth.sum())
    stats.fallbacks, stats.fallbacks_outside = int(fall.sum()), int(away.sum())
    stats.fallbacks_accepted = int((acc1 & fall).sum())
    return EventBatch(inputs[acc], weights, stats)


def pilot_maxima(
    space: PhaseSpace,
    surrogate,
    n: int,
    rng,
    tol: float = 1e-3,
    guard: float | None = None,
    surrogate_n: int = 0,
) -> dict[str, float]:
    """Reduced maxima from a pilot run of ``n`` points: w_max (one-stage), s_max and x_max
    (two-stage; x = w/s over the points, weighted by s as they enter the second stage; with
    ``guard`` s = w and x = 1 where it falls back, as in :func:`unweight_two_stage`). With
    ``surrogate_n`` > ``n``, s_max is taken over that many points, the extra ones evaluated
    by the surrogate alone (cheap: a slow truth's pilot can stay short while the heavy tail of
    s, which sets the first stage's overweights, is sampled well; a guard's fallback points
    among them count with the surrogate's weight)."""
    inputs, factor, kept = space.sample(n, rng)
    s, fall, _, _ = guarded_weights(surrogate, inputs, factor, kept, guard)
    w, _ = weights_of(space.provider, inputs, factor, kept)
    s = np.where(fall, w, s)
    ok = kept & np.isfinite(s) & np.isfinite(w)  # non-finite values set no maximum
    x = np.where(fall[ok], 1.0, w[ok] / np.where(fall[ok], 1.0, s[ok]))
    s_all = s
    if surrogate_n > n:
        more, more_factor, more_kept = space.sample(surrogate_n - n, rng)
        extra, _ = _surrogate_weights(surrogate, more, more_factor, more_kept)
        s_all = np.concatenate([s, extra])
    return {
        "w_max": reduced_max(w, tol=tol),
        "s_max": reduced_max(s_all, tol=tol),
        "x_max": reduced_max(x, weights=s[ok], tol=tol),
    }


def compare_unweighting(
    provider, surrogate, trials: int, pilot: int, vegas_points: int, seed: int = 1
) -> tuple[EventBatch, EventBatch, dict[str, float], PhaseSpace]:
    """One-stage and two-stage unweighting with the same number of trials, on one vegas map
    adapted to the surrogate and maxima from one pilot run: (one, two, maxima, space)."""
    space = PhaseSpace(provider, adapt_vegas(provider, surrogate, n=vegas_points, seed=seed))
    rng = np.random.default_rng(seed)
    maxima = pilot_maxima(space, surrogate, pilot, rng)
    one = unweight_one_stage(space, maxima["w_max"], trials, rng)
    two = unweight_two_stage(space, surrogate, maxima["s_max"], maxima["x_max"], trials, rng)
    return one, two, maxima, space


def gain_factor(stats_std: UnweightingStats, stats_two: UnweightingStats, t_truth=None) -> float:
    """f_eff = cost per unweighted event (one-stage) / cost per event (two-stage), each cost
    the measured phase-space, surrogate and truth time; with ``t_truth`` (s per point) the
    truth's time is replaced by that cost per call (the measured efficiencies kept)."""

    def cost(st: UnweightingStats) -> float:
        truth = st.time_truth if t_truth is None else t_truth * st.truth_calls
        return (st.time_phase_space + st.time_surrogate + truth) / max(st.events, 1)

    return cost(stats_std) / cost(stats_two)
