"""The main job's five measurements; each returns what the report needs, nothing more.

1. the shipped replica set on unseen reference points, 2. its throughput against tensor
Gauss–Legendre, 3. a short fresh training, 4. two small truth datasets, 5. unweighted ee3j
events with the shipped emulator.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hepemu.applications.main_job.profile import Profile
from hepemu.applications.unweighting import compare_unweighting, gain_factor
from hepemu.data.dataset import Dataset
from hepemu.data.generate import GenerationPlan, generate
from hepemu.evaluation.inn_eval import (
    ReferenceSet,
    digits_by_parameter,
    evaluate,
    gl_digits,
    median_time,
    reference_digits,
)
from hepemu.evaluation.metrics import PrecisionSummary
from hepemu.evaluation.plots import (
    dataset_overview,
    precision_histograms,
    precision_vs_parameters,
    training_curve,
    weighted_histograms_with_ratio,
)
from hepemu.physics.integrals.quadrature import integrate_gauss_legendre
from hepemu.physics.kinematics import thrust_three_partons
from hepemu.physics.providers import get_provider
from hepemu.registry import load_model
from hepemu.training.inn_config import INNTrainConfig
from hepemu.training.inn_train import INNTrainer

PARAM_LABELS = {"s12": "s₁₂ / m_t²", "s14": "s₁₄ / m_t²", "mH2": "m_H² / m_t²"}


def param_labels(names: list[str]) -> list[str]:
    """Readable axis labels of the integral's parameters."""
    return [PARAM_LABELS.get(n, n) for n in names]


@dataclass
class Shipped:
    """Step 1: the shipped model against references it has not seen."""

    refset: ReferenceSet
    n_ref: int  # references checked against a finer rule
    ref_check: tuple[float, float]  # (median, worst) digits of the references vs GL 48³
    summary: PrecisionSummary
    binned: list  # per-parameter digit bins (evaluation.inn_eval.digits_by_parameter)
    png: Path
    png_par: Path
    n_rep: int
    sigma_kind: str
    alt_name: str | None
    cover: dict[str, float | None]


def error_kind(surrogate, s: np.ndarray, sigma: np.ndarray):
    """What the quoted σ is, and the other common replica error for comparison.

    Returns (description of σ, name of the alternative, alternative error bars or None).
    """
    n = surrogate.n_replicas
    if n < 2:
        return "none — a single replica quotes no error", None, None
    spread = surrogate.replica_integrals(s).std(axis=0, ddof=1)
    sem = spread / np.sqrt(n)
    root = f"√{n}"
    if np.allclose(sigma, spread, rtol=1e-6, atol=0):
        return (
            f"the replica spread, the sample standard deviation of the {n} replicas' integrals",
            f"σ/{root}: standard error of the replica mean (the error of earlier releases)",
            sem,
        )
    if np.allclose(sigma, sem, rtol=1e-6, atol=0):
        return (
            f"the standard error of the replica mean, std(replicas)/{root} with {n} replicas",
            f"σ·{root}: the replica spread (sample standard deviation)",
            spread,
        )
    return "the error returned by the model's predict()", None, None


def shipped_on_unseen(surrogate, model: str, n_points: int, out: Path) -> Shipped:
    """Digits, coverage and precision plots of the shipped model on ``n_points`` references."""
    integ = surrogate.integral
    names = list(integ.param_names)
    refset = ReferenceSet.make(integ, n_points, seed=2024)
    n_ref = min(50, n_points)
    ref_check = reference_digits(integ, refset, n=n_ref, nodes=48)
    summary, est, sigma = evaluate(surrogate, refset)
    s_scaled = integ.scale_params(refset.s)
    png = precision_histograms(
        est,
        refset.ref,
        s_scaled,
        out / "shipped_precision.png",
        sigma,
        title=f"shipped {model}: {surrogate.n_replicas} replicas, {n_points} unseen points",
    )
    binned = digits_by_parameter(refset.s, est, refset.ref, names, integ.param_ranges)
    png_par = precision_vs_parameters(
        refset.s,
        est,
        refset.ref,
        binned,
        out / "precision_vs_parameters.png",
        labels=param_labels(names),
        title=f"shipped {model}: digits across the region ({n_points} points, 10 bins each)",
    )
    err = np.abs(est - refset.ref)
    n_rep = surrogate.n_replicas
    sigma_kind, alt_name, alt = error_kind(surrogate, refset.s, sigma)
    has_err = n_rep > 1 and bool(np.all(np.isfinite(sigma)) and np.any(sigma > 0))
    cover = {
        "sigma": float(np.mean(err <= sigma)) if has_err else None,
        "2sigma": float(np.mean(err <= 2 * sigma)) if has_err else None,
        "alternative": float(np.mean(err <= alt)) if has_err and alt is not None else None,
    }
    return Shipped(
        refset, n_ref, ref_check, summary, binned, png, png_par, n_rep, sigma_kind, alt_name, cover
    )


@dataclass
class Throughput:
    """Step 2: seconds per integral of the INN and of the equally precise GL rule."""

    n_bench: int
    gl_n: int
    gl_d: float
    t_inn: float
    t_gl: float


def throughput(
    surrogate, refset: ReferenceSet, mean_digits: float, n_bench: int, repeats: int
) -> Throughput:
    """Time the INN and the smallest tensor GL rule at least as precise, both on 1 thread."""
    integ = surrogate.integral
    s_bench = refset.s[:n_bench]
    # equal footing: the smallest GL rule at least as precise as the INN, both on 1 thread
    gl_n = next((n for n in range(4, 17) if gl_digits(integ, refset, n) >= mean_digits), 16)
    gl_d = gl_digits(integ, refset, gl_n)
    n_threads_job = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t_inn = median_time(lambda: surrogate.predict(s_bench), repeats) / n_bench
        t_gl = median_time(
            lambda: integrate_gauss_legendre(integ, s_bench, integ.dim, gl_n), repeats
        )
        t_gl /= n_bench
    finally:
        torch.set_num_threads(n_threads_job)
    return Throughput(n_bench, gl_n, gl_d, t_inn, t_gl)


@dataclass
class Training:
    """Step 3: the demo trainer (its state and config) and its curve."""

    trainer: INNTrainer
    cfg: INNTrainConfig
    curve: Path


def demo_training(
    integral_name: str, out: Path, minutes: float, val_every: int, n_threads: int
) -> Training:
    """Train a fresh GELU network for ``minutes`` in ``out/demo_training`` and plot it."""
    cfg = INNTrainConfig(
        integral=integral_name,
        activation="gelu",
        ansatz="anchored",
        korobov_order=1,
        steps=10**6,
        val_every=val_every,
        batch_size=2048,
    )
    shutil.rmtree(out / "demo_training", ignore_errors=True)  # always a fresh run
    trainer = INNTrainer(cfg, out / "demo_training")
    trainer.train(max_seconds=60 * minutes)
    torch.set_num_threads(n_threads)  # the trainer may set its own
    curve = training_curve(
        trainer.state.history,
        out / "demo_training.png",
        title=f"demo training ({minutes:g} min): validation digits and loss",
    )
    return Training(trainer, cfg, curve)


def truth_data(folder: Path, prof: Profile) -> tuple[list[dict], Path]:
    """Generate two small datasets (integrand; e⁺e⁻ → qq̄g with a 3-jet cut), plot one."""
    n, chunk = prof.data_points, prof.data_chunk
    plans = [
        GenerationPlan("gghh-box-1l", n, chunk, seed=1),
        GenerationPlan("ee-qqg", n, chunk, seed=1, options=(("ycut", 0.01),)),
    ]
    rows = []
    for plan in plans:
        out = folder / f"{plan.provider}.h5"
        shutil.rmtree(str(out) + ".parts", ignore_errors=True)  # time a fresh run
        out.unlink(missing_ok=True)
        t0 = time.perf_counter()
        digest = generate(plan, out)
        dt = time.perf_counter() - t0
        ds = Dataset.open(out)
        rows.append(
            {
                "provider": plan.provider,
                "options": dict(plan.options),
                "sampled": plan.n,
                "kept": ds.n,
                "points_per_s": plan.n / dt,
                "hash": digest,
            }
        )
    ds = Dataset.open(folder / "ee-qqg.h5")
    png = dataset_overview(
        ds.read("inputs"),
        ds.read("targets"),
        ds.meta["columns"],
        folder / "ee-qqg.png",
        f"ee-qqg at √s = {ds.meta.get('sqrt_s', 91.188):g} GeV, Durham ycut 0.01: "
        f"{ds.n} 3-jet events of {n} sampled",
        meta=ds.meta,
    )
    return rows, png


def ee3j_events(folder: Path, prof: Profile) -> tuple[dict[str, Any], Path]:
    """One- and two-stage unweighting of ee3j with the shipped emulator: efficiencies, gain,
    cross sections and a thrust plot."""
    model = load_model("ee3j")
    provider = get_provider("ee3j", model.info["dataset"]["provider_options"])
    n = prof.event_trials
    one, two, maxima, _ = compare_unweighting(
        provider, model, n, max(n // 8, 5000), max(n // 20, 2000)
    )
    a, b = one.stats.as_dict(), two.stats.as_dict()
    gains = {
        "measured": gain_factor(one.stats, two.stats),
        "truth_1ms": gain_factor(one.stats, two.stats, 1e-3),
        "truth_1s": gain_factor(one.stats, two.stats, 1.0),
    }
    t_truth = 1e6 * one.stats.time_truth / max(one.stats.stage1, 1)
    t_sur = 1e6 * two.stats.time_surrogate / max(two.stats.kept, 1)
    samples = {
        label: (
            thrust_three_partons(batch.inputs.reshape(len(batch.inputs), -1, 4)[:, 2:], 1000.0),
            batch.weights,
            batch.stats.cross_section[0],
        )
        for label, batch in (("one-stage (truth)", one), ("two-stage (emulator + truth)", two))
    }
    png = weighted_histograms_with_ratio(
        samples, np.linspace(2 / 3, 1.0, 17), folder / "thrust.png", "thrust T", "dσ/dT [pb]",
        f"ee3j at 1 TeV, y_min = 10⁻³: {one.stats.events} and {two.stats.events} events",
    )  # fmt: skip
    summary = {"one_stage": a, "two_stage": b, "gain": gains, "maxima": maxima,
               "truth_us_per_point": t_truth, "surrogate_us_per_point": t_sur}  # fmt: skip
    return summary, png
