"""``hepemu run``: the main job on its built-in default (the gg→HH one-loop box).

Four steps — the shipped replica set on unseen reference points, throughput against
Gauss–Legendre, a short fresh training, two small truth datasets — and one report,
``report.md`` with PNGs, written atomically at the end. ``--quick`` runs the same job scaled
down (well under 2 minutes on 2 cores) to prove that an installation works.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console

console = Console(stderr=True)


@dataclass(frozen=True)
class Profile:
    """The sizes of one main-job run."""

    name: str
    points: int  # unseen reference points (GL 32³ each)
    train_minutes: float  # demo training
    val_every: int  # demo training: Adam steps between validations
    bench_points: int  # integrals per throughput timing
    bench_repeats: int
    data_points: int  # sampled points per truth dataset
    data_chunk: int
    event_trials: int  # phase-space points per unweighting mode (ee3j events)


FULL = Profile("full", 2000, 2.0, 25, 1000, 3, 200_000, 50_000, 400_000)
QUICK = Profile("quick", 300, 0.25, 10, 300, 3, 20_000, 10_000, 20_000)

# readable labels for the PrecisionSummary fields (metrics.py keeps the field names)
SUMMARY_LABELS = {
    "n_points": "points evaluated",
    "mean_digits": "mean digits, −⟨P⟩",
    "median_digits": "median digits, −median(P)",
    "worst_digits": "worst digits, −max(P)",
    "frac_above_3_digits": "fraction of points with more than 3 digits (P < −3)",
    "mean_digits_boundary": "mean digits in the 5 % boundary layer",
    "n_boundary": "points in the boundary layer",
    "mean_r": "mean R = ⟨log10|e/t|⟩ (bias; 0 if unbiased)",
    "std_r": "standard deviation of R (spread)",
    "frac_error_covered": "coverage of σ = I_err: fraction with |e − t| ≤ σ (honest 1σ: 0.683)",
}
PARAM_LABELS = {"s12": "s₁₂ / m_t²", "s14": "s₁₄ / m_t²", "mH2": "m_H² / m_t²"}
GAUSS_1SIGMA, GAUSS_2SIGMA = 0.683, 0.954

DEFINITIONS = """\
Notation (Maître & Santos-Mateos, arXiv:2211.02834; Bentley 2024, eqs. 5.1–5.2):

- **e** — the surrogate's estimate of I(s): the mean of the replicas' integrals, each the
  alternating sum of the network over the 2³ corners of the Feynman-parameter cube.
- **t** — the reference ("true") value of I(s) at the same point (method below).
- **σ = I_err** — the 1σ error the surrogate quotes with e (column `I_err` of
  `hepemu integral eval`): SIGMA_DEF.
- **P = log10|e/t − 1|**, the log of the relative error; **digits = −P** is the number of
  correct significant digits (P = −4: e agrees with t to 4 digits). *Mean digits* is −⟨P⟩
  over the points, *worst digits* −max(P).
- **R = log10|e/t|** — centred on 0 when the surrogate is unbiased; its mean measures bias,
  its standard deviation the spread.
- **Boundary layer** — points with at least one parameter within 5 % of the range's width
  from an edge of the region (networks tend to be worst there).
- **Coverage** of an error bar E — the fraction of points with |e − t| ≤ E. For an honest
  Gaussian 1σ error it is 0.683 (2σ: 0.954); much less means the quoted error is too small,
  much more that it is too large.

References: R. Bentley, *Performing Loop Integration Using Neural Networks*, MPhys thesis,
Durham University, 2024 (supervisor D. Maître) — eq. 5.1 (P), eq. 5.2 (R), the gg→HH box
benchmark (eq. 1.2); D. Maître and R. Santos-Mateos, *Multi-variable integration with a
neural network*, JHEP 03 (2023) 221, arXiv:2211.02834.
"""


def _cores_available() -> int:
    """CPU cores this process may run on (its affinity mask; os.cpu_count() elsewhere)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _default_threads() -> int:
    """Torch threads: the CPU cores this process may use that are not busy (at most 16).

    More threads than free cores collapse throughput on a shared machine (OpenMP threads
    spin-wait for a core another process holds); see ``hepemu.threads``.
    """
    from hepemu.threads import choose_threads

    return max(1, min(16, choose_threads()))


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _error_kind(surrogate, s: np.ndarray, sigma: np.ndarray):
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


def _load_average() -> float | None:
    """1-minute load average (other processes compete for the cores: timings are slower)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _check_out(out: Path) -> None:
    """Fail with one line unless ``out`` is (or can be made) a writable folder."""
    from hepemu.cli.common import fail

    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {out}: cannot create the folder ({exc.strerror or exc})")
    if not os.access(out, os.W_OK | os.X_OK):
        fail(f"--out {out}: no permission to write in it")


# exits and usage errors pass through a step unchanged (typer ≥ 0.29 has its own classes)
_PASS_THROUGH = (
    KeyboardInterrupt,
    typer.Exit,
    typer.Abort,
    typer.TyperException,  # usage errors (typer vendors click's exception classes)
)


class _Steps:
    """Numbered progress lines, per-step wall times, and one-line step failures."""

    def __init__(self, n: int) -> None:
        self.n, self.i, self.times = n, 0, {}

    @contextmanager
    def __call__(self, name: str, detail: str = ""):
        self.i += 1
        console.print(f"[bold]{self.i}/{self.n}[/] {name}{' ' + detail if detail else ''}…")
        t0 = time.perf_counter()
        try:
            yield
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            msg = str(exc).strip().splitlines()
            raise RuntimeError(
                f"hepemu run, step {self.i}/{self.n} ({name}) failed: "
                f"{type(exc).__name__}: {msg[0] if msg else ''}; no report was written"
            ) from exc
        self.times[name] = time.perf_counter() - t0


def run_main(
    out: Annotated[Path, typer.Option(help="report folder")] = Path("reports/gghh-box-1l"),
    model: Annotated[str, typer.Option(help="shipped model to evaluate")] = "gghh-box-1l",
    points: Annotated[
        int | None,
        typer.Option(min=1, help="unseen reference points [default: 2000; --quick: 300]"),
    ] = None,
    train_minutes: Annotated[
        float | None,
        typer.Option(
            min=0.01, max=600.0, help="length of the demo training [default: 2; --quick: 0.25]"
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=256,
            help="torch threads [default: $HEPEMU_THREADS, else the cores not busy, at most 16]",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="replace the report already in the --out folder")
    ] = False,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="the same job scaled down (300 points, 15 s training, 20k-point datasets): "
            "well under 2 minutes on 2 cores; proves an installation works",
        ),
    ] = False,
) -> None:
    """Evaluate the shipped gg→HH box INN, run a short fresh training, write a report."""
    prof = QUICK if quick else FULL
    n_points = points if points is not None else prof.points
    minutes = train_minutes if train_minutes is not None else prof.train_minutes
    _check_out(out)
    if (out / "report.md").exists() and not force:
        from hepemu.cli.common import fail

        fail(f"{out} holds a report already; pass --force to replace it, or choose --out")

    import torch

    from hepemu.cli.common import fail
    from hepemu.evaluation.inn_eval import (
        ReferenceSet,
        digits_by_parameter,
        evaluate,
        gl_digits,
        median_time,
        reference_digits,
    )
    from hepemu.evaluation.plots import (
        precision_histograms,
        precision_vs_parameters,
        training_curve,
    )
    from hepemu.evaluation.report import Report, digits, frac, md_table, sci, write_atomic
    from hepemu.models.envelope import ModelFileError
    from hepemu.physics.integrals.quadrature import integrate_gauss_legendre
    from hepemu.registry import load_model
    from hepemu.training.inn_config import INNTrainConfig
    from hepemu.training.inn_train import INNTrainer
    from hepemu.version import __version__

    n_threads = threads if threads is not None else _default_threads()
    torch.set_num_threads(n_threads)
    try:
        surrogate = load_model(model)
    except ModelFileError as exc:
        fail(str(exc))
    if not hasattr(surrogate, "integral"):
        fail(f"{model} is not an integration network; the main job evaluates one")
    # a failed run must not leave an old report next to this run's figures
    for stale in ("report.md", "summary.json"):
        (out / stale).unlink(missing_ok=True)

    t_job = time.perf_counter()
    started = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    integ = surrogate.integral
    names = list(integ.param_names)
    labels = [PARAM_LABELS.get(n, n) for n in names]
    steps = _Steps(5)
    rep = Report(out, f"hepemu — integration network for {integ.name}")
    rep.text(
        f"{integ.description}. Region: "
        + ", ".join(
            f"{n} ∈ [{a:g}, {b:g}]"
            for n, (a, b) in zip(integ.param_names, integ.param_ranges, strict=True)
        )
        + " (in units of m_t² = 1)."
    )
    machine = {
        "cpu": _cpu_name(),
        "cores_available": _cores_available(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "eval_device": "cpu",
        "python": platform.python_version(),
        "hepemu": __version__,
        "profile": prof.name,
        "started": started,
        "load_average_start": _load_average(),
    }

    # -- 1. the shipped model on unseen points ---------------------------------------------
    with steps("shipped model on unseen points", f"({n_points} references, GL 32³)"):
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
            labels=labels,
            title=f"shipped {model}: digits across the region ({n_points} points, 10 bins each)",
        )
        err = np.abs(est - refset.ref)
        n_rep = surrogate.n_replicas
        sigma_kind, alt_name, alt = _error_kind(surrogate, refset.s, sigma)
        has_err = n_rep > 1 and bool(np.all(np.isfinite(sigma)) and np.any(sigma > 0))
        cover = {
            "sigma": float(np.mean(err <= sigma)) if has_err else None,
            "2sigma": float(np.mean(err <= 2 * sigma)) if has_err else None,
            "alternative": float(np.mean(err <= alt)) if has_err and alt is not None else None,
        }

    # -- 2. throughput ------------------------------------------------------------------------
    n_bench = min(prof.bench_points, n_points)
    with steps("throughput: INN vs tensor Gauss–Legendre", f"({n_bench} integrals)"):
        s_bench = refset.s[:n_bench]
        reps = prof.bench_repeats
        # equal footing: the smallest GL rule at least as precise as the INN, both on 1 thread
        gl_n = next(
            (n for n in range(4, 17) if gl_digits(integ, refset, n) >= summary.mean_digits), 16
        )
        gl_d = gl_digits(integ, refset, gl_n)
        n_threads_job = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            t_inn = median_time(lambda: surrogate.predict(s_bench), reps) / n_bench
            t_gl = median_time(
                lambda: integrate_gauss_legendre(integ, s_bench, integ.dim, gl_n), reps
            )
            t_gl /= n_bench
        finally:
            torch.set_num_threads(n_threads_job)

    # -- 3. demo training ---------------------------------------------------------------------
    with steps("short fresh training", f"({minutes:g} min, {n_threads} threads)"):
        cfg = INNTrainConfig(
            integral=integ.name,
            activation="gelu",
            ansatz="anchored",
            korobov_order=1,
            steps=10**6,
            val_every=prof.val_every,
            batch_size=2048,
        )
        shutil.rmtree(out / "demo_training", ignore_errors=True)  # always a fresh run
        trainer = INNTrainer(cfg, out / "demo_training")
        trainer.train(max_seconds=60 * minutes)
        machine["training_device"] = str(trainer.device)
        torch.set_num_threads(n_threads)  # the trainer may set its own
        curve = training_curve(
            trainer.state.history,
            out / "demo_training.png",
            title=f"demo training ({minutes:g} min): validation digits and loss",
        )

    # -- 4. truth data ------------------------------------------------------------------------
    with steps("truth data: chunked generation of two datasets", f"({prof.data_points} each)"):
        data_rows, data_body, data_fig = _data_demo(out / "data", prof)

    # -- 5. the surrogate in a Monte Carlo chain ---------------------------------------------
    with steps("unweighted ee3j events, two-stage", f"({prof.event_trials} trials per mode)"):
        events, events_body, events_fig = _events_demo(out / "events", prof)

    total = time.perf_counter() - t_job
    machine["torch_threads"] = torch.get_num_threads()
    machine["load_average_end"] = _load_average()

    # -- the report ---------------------------------------------------------------------------
    cores = machine["cores_available"]
    rep.section(
        "This run",
        f"All numbers in this report were measured by this run (`hepemu run"
        f"{' --quick' if quick else ''}`, profile *{prof.name}*), started {started}: "
        f"{_cpu_name()}, {cores} CPU cores available, **{machine['torch_threads']} torch "
        f"threads** ({'set with --threads' if threads is not None else 'the free cores'}"
        f"), torch {torch.__version__} (the shipped model is evaluated on the CPU), "
        f"Python {platform.python_version()}, hepemu {__version__}; 1-minute load average "
        f"{machine['load_average_start']} at the start and {machine['load_average_end']} at the "
        f"end (a load above {cores} means other processes competed for the cores: timings "
        "suffer). "
        "They are not copied from "
        "the README, whose numbers come from other runs (more points, longer training).\n\n"
        + md_table(
            ["step", "wall time"],
            [[k, f"{v:.1f} s"] for k, v in steps.times.items()] + [["**total**", f"{total:.1f} s"]],
        ),
    )
    rep.section("Definitions", DEFINITIONS.replace("SIGMA_DEF", sigma_kind))
    rep.text(
        f"**Reference values t**: tensor Gauss–Legendre with 32³ nodes per point "
        f"(`{refset.method}`) over the Feynman parameters x₁, x₂, x₃ of the box integrand, "
        f"I(s) = ∫ f(s; x) d³x. Measured in this run against a finer 48³ rule on the first "
        f"{n_ref} points, the references have {digits(ref_check[0])} correct digits (median; "
        f"worst {digits(ref_check[1])}): orders of magnitude beyond the surrogate's precision, so "
        f"P measures the surrogate alone. The {n_points} points are uniform in the region (seed "
        "2024) and were not used in training."
    )

    sd = summary.as_dict()
    fmt = {
        "n_points": str,
        "n_boundary": str,
        "frac_above_3_digits": frac,
        "frac_error_covered": frac,
        "mean_r": lambda v: sci(v, 2),
        "std_r": lambda v: sci(v, 2),
    }
    rows = [[SUMMARY_LABELS.get(k, k), fmt.get(k, digits)(v), f"`{k}`"] for k, v in sd.items()]
    rep.section(
        f"Shipped model `{model}` ({n_rep} replicas) on {n_points} unseen points",
        md_table(["quantity", "value", "key in summary.json"], rows),
    )
    if cover["sigma"] is None:
        verdict = "A single replica quotes no error: coverage cannot be measured."
    else:
        verdict = (
            f"σ = I_err covers {frac(cover['sigma'])} ± "
            f"{frac(np.sqrt(cover['sigma'] * (1 - cover['sigma']) / n_points))} (binomial) of "
            "the points against 0.683 for an "
            "honest 1σ error: as a 1σ error it is **"
            + (
                "about right"
                if abs(cover["sigma"] - GAUSS_1SIGMA) < 0.05
                else "too small"
                if cover["sigma"] < GAUSS_1SIGMA
                else "too large"
            )
            + "** in this run."
        )
    rep.text(
        "\n**Is the quoted error honest?** Coverage = fraction of points with |e − t| ≤ error "
        "bar; an honest Gaussian 1σ error covers 0.683 of the points.\n\n"
        + md_table(
            ["error bar", "coverage (this run)", "honest target"],
            [
                ["σ = I_err, as quoted", frac(cover["sigma"]), frac(GAUSS_1SIGMA)],
                ["2σ", frac(cover["2sigma"]), frac(GAUSS_2SIGMA)],
            ]
            + ([[alt_name, frac(cover["alternative"]), frac(GAUSS_1SIGMA)]] if alt_name else []),
        )
        + "\n\n"
        + verdict
    )
    rep.figure(
        png.relative_to(out),
        "Left: P = log10|e/t − 1| for all points and the 5 % boundary layer (digits = −P). "
        "Middle: R = log10|e/t| (0 = unbiased). Right: log10(σ/|e − t|) with σ = I_err; the "
        "quoted error covers the truth where it is ≥ 0. e = surrogate, t = reference",
    )

    weak_rows = []
    for b, lab in zip(binned, labels, strict=True):
        lo, hi, dmin = b.weakest()
        lo2, hi2, dmax = b.strongest()
        weak_rows.append(
            [lab, f"[{lo:.3g}, {hi:.3g}]", digits(dmin), f"[{lo2:.3g}, {hi2:.3g}]", digits(dmax)]
        )
    worst = min(range(len(binned)), key=lambda j: binned[j].weakest()[2])
    lo, hi, dmin = binned[worst].weakest()
    rep.section(
        "Where is the network weak? Precision across the region",
        "Digits (−P) of every point against each parameter, with the median of 10 equal bins "
        "and the band holding 16–84 % of the bin's points. Each bin averages over the other "
        "two parameters.\n\n"
        + md_table(
            [
                "parameter",
                "weakest bin",
                "median digits there",
                "strongest bin",
                "median digits there",
            ],
            weak_rows,
        )
        + f"\n\nThe lowest bin median in this run is {digits(dmin)} digits at "
        f"{labels[worst]} ∈ [{lo:.3g}, {hi:.3g}] (overall mean {digits(summary.mean_digits)}).",
    )
    rep.figure(
        png_par.relative_to(out),
        "Digits −P = −log10|e/t − 1| against s₁₂, s₁₄ and m_H² (units of m_t²): points, bin "
        "medians (red), 16–84 % band (orange), overall mean (dotted)",
    )

    rep.section(
        f"Throughput on this machine at equal digits (1 thread each, median of "
        f"{prof.bench_repeats}, {n_bench} integrals)",
        md_table(
            ["method", "integrals/s", "mean digits"],
            [
                [f"INN (shipped, {n_rep} replicas)", sci(1.0 / t_inn), digits(summary.mean_digits)],
                [f"tensor Gauss–Legendre {gl_n}³", sci(1.0 / t_gl), digits(gl_d)],
            ],
        )
        + f"\n\nGauss–Legendre {gl_n}³ is the smallest tensor rule at least as precise as the "
        "INN on these points. "
        + (
            f"The INN is {t_gl / t_inn:.1f}× faster."
            if t_gl > t_inn
            else f"Gauss–Legendre is {t_inn / t_gl:.1f}× faster than the INN here."
        )
        + " A rule written for this box that uses F's linearity in the invariants is faster "
        "still (the README's Results, `benchmarks/inn_gghh.py`).",
    )

    st = trainer.state
    rep.section(
        "Demo training",
        f"A fresh GELU 3×64 network (batch 2048, Adam) trained for {st.elapsed_s:.0f} s "
        f"({st.step} steps on {machine['training_device']}, {machine['torch_threads']} "
        f"threads) reached {digits(st.best_digits)} mean digits on {cfg.val_points} "
        f"validation points (best at step {st.best_step}). "
        "This only shows that training runs: the shipped replicas were trained for hours.",
    )
    rep.figure(
        curve.relative_to(out),
        "Demo training: mean validation digits (left axis) and the training loss, an "
        "exponential moving average of the mean-squared error of the network's derivative "
        "against the integrand (right axis)",
    )
    rep.section(
        "Truth data (`hepemu data generate`; rerunning resumes, files are identical for any "
        "executor)",
        data_body,
    )
    rep.figure(data_fig.relative_to(out), "Inputs and log10 |M|² of the ee-qqg dataset")
    rep.section("The shipped ee3j emulator in a Monte Carlo chain (`hepemu events`)", events_body)
    rep.figure(
        events_fig.relative_to(out),
        "Thrust of unweighted e⁺e⁻ → d d̄ g events: two-stage (emulator, then the truth for the "
        "accepted points) against one-stage (the truth everywhere), each normalised to its own "
        "cross section; statistical errors",
    )

    write_atomic(
        out / "summary.json",
        json.dumps(
            {
                "run": {**machine, "wall_s": total, "step_wall_s": steps.times},
                "shipped": sd,
                "coverage": cover,
                "sigma_is": sigma_kind,
                "reference_digits_vs_gl48": {"median": ref_check[0], "worst": ref_check[1]},
                "digits_by_parameter": {
                    b.name: {
                        "edges": b.edges.tolist(),
                        "median_digits": b.median.tolist(),
                        "count": b.count.tolist(),
                    }
                    for b in binned
                },
                "demo_training_digits": st.best_digits,
                "demo_training_steps": st.step,
                "inn_integrals_per_s": 1.0 / t_inn,
                "gl_nodes": gl_n,
                "gl_integrals_per_s": 1.0 / t_gl,
                "gl_digits": gl_d,
                "datasets": data_rows,
                "events": events,
            },
            indent=2,
        )
        + "\n",
    )
    path = rep.write()
    console.print(f"[green]report written to {path}[/] ({total:.0f} s)")


def _events_demo(folder: Path, prof: Profile) -> tuple[dict, str, Path]:
    """One- and two-stage unweighting of ee3j with the shipped emulator: efficiencies, gain,
    cross sections and a thrust plot."""
    from hepemu.applications.unweighting import compare_unweighting, gain_factor
    from hepemu.evaluation.plots import weighted_histograms_with_ratio
    from hepemu.evaluation.report import md_table, sci
    from hepemu.physics.kinematics import thrust_three_partons
    from hepemu.physics.providers import get_provider
    from hepemu.registry import load_model

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
    table = md_table(
        ["unweighting", "events", "efficiency", "stages", "overweights", "σ [pb]", "truth calls"],
        [
            [
                "one-stage",
                a["events"],
                sci(a["efficiency"]),
                "-",
                f"{a['overweight_fraction']:.1%}",
                f"{sci(a['cross_section_pb'], 4)} ± {sci(a['cross_section_err_pb'])}",
                a["stage1"],
            ],
            [
                "two-stage",
                b["events"],
                sci(b["efficiency"]),
                f"{sci(b['first_stage_efficiency'])} × {b['second_stage_efficiency']:.3f}",
                f"{b['overweight_fraction']:.1%}",
                f"{sci(b['cross_section_pb'], 4)} ± {sci(b['cross_section_err_pb'])}",
                b["stage1"],
            ],
        ],
    )
    body = (
        f"{n} phase-space points per mode, RAMBO through a vegas map adapted to the emulator, "
        "maxima from a pilot run (overweights carry at most 0.1 % of σ in it). Two-stage "
        "unweighting accepts on the emulator's weight first and calls the truth (pyamplicol) "
        "only for the accepted points; its result is unbiased whatever the emulator.\n\n"
        + table
        + f"\n\nCost per point: truth {t_truth:.3g} µs, emulator {t_sur:.3g} µs. Gain "
        f"f_eff = cost per unweighted event one-stage / two-stage: **{gains['measured']:.3g}** "
        + (
            "as measured (the truth costs less than the emulator here: no gain); "
            if gains["measured"] < 1
            else "as measured; "
        )
        + f"{gains['truth_1ms']:.3g} for a truth costing "
        f"1 ms per point and {gains['truth_1s']:.3g} for 1 s (the measured efficiencies kept)."
    )
    summary = {"one_stage": a, "two_stage": b, "gain": gains, "maxima": maxima,
               "truth_us_per_point": t_truth, "surrogate_us_per_point": t_sur}  # fmt: skip
    return summary, body, png


def _data_demo(folder: Path, prof: Profile) -> tuple[list[dict], str, Path]:
    """Generate two small datasets (integrand; e⁺e⁻ → qq̄g with a 3-jet cut), plot one."""
    from hepemu.data.dataset import Dataset
    from hepemu.data.generate import GenerationPlan, generate
    from hepemu.evaluation.plots import dataset_overview
    from hepemu.evaluation.report import md_table, sci

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
    table = md_table(
        ["provider", "options", "sampled", "kept", "points/s (serial, incl. writing)", "hash"],
        [
            [
                r["provider"],
                " ".join(f"{k}={v}" for k, v in r["options"].items()) or "-",
                r["sampled"],
                r["kept"],
                sci(r["points_per_s"]),
                r["hash"][:16] + "…",
            ]
            for r in rows
        ],
    )
    body = (
        table + "\n\n`gghh-box-1l`: the integrand f(s; x) at uniform (s, x); `ee-qqg`: tree-level "
        "|M|² of e⁺e⁻ → γ* → qq̄g (GeV⁻²) on massless RAMBO phase space, momenta in GeV, kept "
        "when the Durham algorithm finds exactly 3 jets at ycut = 0.01."
    )
    return rows, body, png
