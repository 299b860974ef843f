"""The main job's report: ``report.md`` (sections, tables, figures) and ``summary.json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hepemu.applications.main_job.job import MainJobResult
from hepemu.applications.main_job.steps import param_labels
from hepemu.evaluation.report import Report, digits, frac, md_table, sci, write_atomic

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


def write_report(res: MainJobResult, out: Path) -> Path:
    """Write ``summary.json`` and then ``report.md`` (both atomically) into ``out``."""
    integ = res.integral
    rep = Report(out, f"hepemu — integration network for {integ.name}")
    rep.text(
        f"{integ.description}. Region: "
        + ", ".join(
            f"{n} ∈ [{a:g}, {b:g}]"
            for n, (a, b) in zip(integ.param_names, integ.param_ranges, strict=True)
        )
        + " (in units of m_t² = 1)."
    )
    _this_run(rep, res)
    _shipped(rep, res, out)
    _weak_regions(rep, res, out)
    _throughput(rep, res)
    _training(rep, res, out)
    rep.section(
        "Truth data (`hepemu data generate`; rerunning resumes, files are identical for any "
        "executor)",
        data_body(res.data_rows),
    )
    rep.figure(res.data_fig.relative_to(out), "Inputs and log10 |M|² of the ee-qqg dataset")
    rep.section(
        "The shipped ee3j emulator in a Monte Carlo chain (`hepemu events`)",
        events_body(res.events, res.profile.event_trials),
    )
    rep.figure(
        res.events_fig.relative_to(out),
        "Thrust of unweighted e⁺e⁻ → d d̄ g events: two-stage (emulator, then the truth for the "
        "accepted points) against one-stage (the truth everywhere), each normalised to its own "
        "cross section; statistical errors",
    )
    write_atomic(out / "summary.json", json.dumps(summary_record(res), indent=2) + "\n")
    return rep.write()


def _this_run(rep: Report, res: MainJobResult) -> None:
    """Machine, threads, load and per-step wall times; the definitions; the references."""
    m, prof = res.machine, res.profile
    cores = m["cores_available"]
    rep.section(
        "This run",
        f"All numbers in this report were measured by this run (`hepemu run"
        f"{' --quick' if res.quick else ''}`, profile *{prof.name}*), started {res.started}: "
        f"{m['cpu']}, {cores} CPU cores available, **{m['torch_threads']} torch "
        f"threads** ({'set with --threads' if res.threads_given else 'the free cores'}"
        f"), torch {m['torch']} (the shipped model is evaluated on the CPU), "
        f"Python {m['python']}, hepemu {m['hepemu']}; 1-minute load average "
        f"{m['load_average_start']} at the start and {m['load_average_end']} at the "
        f"end (a load above {cores} means other processes competed for the cores: timings "
        "suffer). "
        "They are not copied from "
        "the README, whose numbers come from other runs (more points, longer training).\n\n"
        + md_table(
            ["step", "wall time"],
            [[k, f"{v:.1f} s"] for k, v in res.step_times.items()]
            + [["**total**", f"{res.total:.1f} s"]],
        ),
    )
    sh = res.shipped
    rep.section("Definitions", DEFINITIONS.replace("SIGMA_DEF", sh.sigma_kind))
    rep.text(
        f"**Reference values t**: tensor Gauss–Legendre with 32³ nodes per point "
        f"(`{sh.refset.method}`) over the Feynman parameters x₁, x₂, x₃ of the box integrand, "
        f"I(s) = ∫ f(s; x) d³x. Measured in this run against a finer 48³ rule on the first "
        f"{sh.n_ref} points, the references have {digits(sh.ref_check[0])} correct digits "
        f"(median; worst {digits(sh.ref_check[1])}): orders of magnitude beyond the "
        f"surrogate's precision, so P measures the surrogate alone. The {res.n_points} points "
        "are uniform in the region (seed 2024) and were not used in training."
    )


def _coverage_verdict(cover_sigma: float | None, n_points: int) -> str:
    """One sentence: is σ, as a 1σ error, about right, too small or too large?"""
    if cover_sigma is None:
        return "A single replica quotes no error: coverage cannot be measured."
    binomial = np.sqrt(cover_sigma * (1 - cover_sigma) / n_points)
    if abs(cover_sigma - GAUSS_1SIGMA) < 0.05:
        word = "about right"
    else:
        word = "too small" if cover_sigma < GAUSS_1SIGMA else "too large"
    return (
        f"σ = I_err covers {frac(cover_sigma)} ± {frac(binomial)} (binomial) of the points "
        f"against 0.683 for an honest 1σ error: as a 1σ error it is **{word}** in this run."
    )


def _shipped(rep: Report, res: MainJobResult, out: Path) -> None:
    """The summary table, the coverage of the quoted error, the precision histograms."""
    sh = res.shipped
    fmt = {
        "n_points": str,
        "n_boundary": str,
        "frac_above_3_digits": frac,
        "frac_error_covered": frac,
        "mean_r": lambda v: sci(v, 2),
        "std_r": lambda v: sci(v, 2),
    }
    rows = [
        [SUMMARY_LABELS.get(k, k), fmt.get(k, digits)(v), f"`{k}`"]
        for k, v in sh.summary.as_dict().items()
    ]
    rep.section(
        f"Shipped model `{res.model}` ({sh.n_rep} replicas) on {res.n_points} unseen points",
        md_table(["quantity", "value", "key in summary.json"], rows),
    )
    cover = sh.cover
    alt_row = [[sh.alt_name, frac(cover["alternative"]), frac(GAUSS_1SIGMA)]]
    rep.text(
        "\n**Is the quoted error honest?** Coverage = fraction of points with |e − t| ≤ error "
        "bar; an honest Gaussian 1σ error covers 0.683 of the points.\n\n"
        + md_table(
            ["error bar", "coverage (this run)", "honest target"],
            [
                ["σ = I_err, as quoted", frac(cover["sigma"]), frac(GAUSS_1SIGMA)],
                ["2σ", frac(cover["2sigma"]), frac(GAUSS_2SIGMA)],
            ]
            + (alt_row if sh.alt_name else []),
        )
        + "\n\n"
        + _coverage_verdict(cover["sigma"], res.n_points)
    )
    rep.figure(
        sh.png.relative_to(out),
        "Left: P = log10|e/t − 1| for all points and the 5 % boundary layer (digits = −P). "
        "Middle: R = log10|e/t| (0 = unbiased). Right: log10(σ/|e − t|) with σ = I_err; the "
        "quoted error covers the truth where it is ≥ 0. e = surrogate, t = reference",
    )


def _weak_regions(rep: Report, res: MainJobResult, out: Path) -> None:
    """Weakest and strongest bin of every parameter, and the digits-vs-parameter figure."""
    binned = res.shipped.binned
    labels = param_labels(list(res.integral.param_names))
    weak_rows = []
    for b, lab in zip(binned, labels, strict=True):
        lo, hi, dmin = b.weakest()
        lo2, hi2, dmax = b.strongest()
        weak_rows.append(
            [lab, f"[{lo:.3g}, {hi:.3g}]", digits(dmin), f"[{lo2:.3g}, {hi2:.3g}]", digits(dmax)]
        )
    worst = min(range(len(binned)), key=lambda j: binned[j].weakest()[2])
    lo, hi, dmin = binned[worst].weakest()
    header = ["parameter", "weakest bin", "median digits there"]
    header += ["strongest bin", "median digits there"]
    rep.section(
        "Where is the network weak? Precision across the region",
        "Digits (−P) of every point against each parameter, with the median of 10 equal bins "
        "and the band holding 16–84 % of the bin's points. Each bin averages over the other "
        "two parameters.\n\n"
        + md_table(header, weak_rows)
        + f"\n\nThe lowest bin median in this run is {digits(dmin)} digits at "
        f"{labels[worst]} ∈ [{lo:.3g}, {hi:.3g}] "
        f"(overall mean {digits(res.shipped.summary.mean_digits)}).",
    )
    rep.figure(
        res.shipped.png_par.relative_to(out),
        "Digits −P = −log10|e/t − 1| against s₁₂, s₁₄ and m_H² (units of m_t²): points, bin "
        "medians (red), 16–84 % band (orange), overall mean (dotted)",
    )


def _throughput(rep: Report, res: MainJobResult) -> None:
    """INN against the equally precise tensor Gauss–Legendre rule, integrals per second."""
    tp, sh = res.throughput, res.shipped
    t_inn, t_gl = tp.t_inn, tp.t_gl
    rows = [
        [f"INN (shipped, {sh.n_rep} replicas)", sci(1.0 / t_inn), digits(sh.summary.mean_digits)],
        [f"tensor Gauss–Legendre {tp.gl_n}³", sci(1.0 / t_gl), digits(tp.gl_d)],
    ]
    faster = (
        f"The INN is {t_gl / t_inn:.1f}× faster."
        if t_gl > t_inn
        else f"Gauss–Legendre is {t_inn / t_gl:.1f}× faster than the INN here."
    )
    rep.section(
        f"Throughput on this machine at equal digits (1 thread each, median of "
        f"{res.profile.bench_repeats}, {tp.n_bench} integrals)",
        md_table(["method", "integrals/s", "mean digits"], rows)
        + f"\n\nGauss–Legendre {tp.gl_n}³ is the smallest tensor rule at least as precise as "
        "the INN on these points. "
        + faster
        + " A rule written for this box that uses F's linearity in the invariants is faster "
        "still (the README's Results, `benchmarks/inn_gghh.py`).",
    )


def _training(rep: Report, res: MainJobResult, out: Path) -> None:
    """What the short fresh training reached, and its curve."""
    st, cfg, m = res.training.trainer.state, res.training.cfg, res.machine
    rep.section(
        "Demo training",
        f"A fresh GELU 3×64 network (batch 2048, Adam) trained for {st.elapsed_s:.0f} s "
        f"({st.step} steps on {m['training_device']}, {m['torch_threads']} "
        f"threads) reached {digits(st.best_digits)} mean digits on {cfg.val_points} "
        f"validation points (best at step {st.best_step}). "
        "This only shows that training runs: the shipped replicas were trained for hours.",
    )
    rep.figure(
        res.training.curve.relative_to(out),
        "Demo training: mean validation digits (left axis) and the training loss, an "
        "exponential moving average of the mean-squared error of the network's derivative "
        "against the integrand (right axis)",
    )


def data_body(rows: list[dict]) -> str:
    """The truth-data table and what the two datasets hold."""
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
    return (
        table + "\n\n`gghh-box-1l`: the integrand f(s; x) at uniform (s, x); `ee-qqg`: tree-level "
        "|M|² of e⁺e⁻ → γ* → qq̄g (GeV⁻²) on massless RAMBO phase space, momenta in GeV, kept "
        "when the Durham algorithm finds exactly 3 jets at ycut = 0.01."
    )


def _unweighting_row(label: str, s: dict, stages: str) -> list:
    return [
        label,
        s["events"],
        sci(s["efficiency"]),
        stages,
        f"{s['overweight_fraction']:.1%}",
        f"{sci(s['cross_section_pb'], 4)} ± {sci(s['cross_section_err_pb'])}",
        s["stage1"],
    ]


def events_body(events: dict, n: int) -> str:
    """One- against two-stage unweighting: table, cost per point and gain."""
    a, b, gains = events["one_stage"], events["two_stage"], events["gain"]
    stages = f"{sci(b['first_stage_efficiency'])} × {b['second_stage_efficiency']:.3f}"
    table = md_table(
        ["unweighting", "events", "efficiency", "stages", "overweights", "σ [pb]", "truth calls"],
        [_unweighting_row("one-stage", a, "-"), _unweighting_row("two-stage", b, stages)],
    )
    return (
        f"{n} phase-space points per mode, RAMBO through a vegas map adapted to the emulator, "
        "maxima from a pilot run (overweights carry at most 0.1 % of σ in it). Two-stage "
        "unweighting accepts on the emulator's weight first and calls the truth (pyamplicol) "
        "only for the accepted points; its result is unbiased whatever the emulator.\n\n"
        + table
        + f"\n\nCost per point: truth {events['truth_us_per_point']:.3g} µs, emulator "
        f"{events['surrogate_us_per_point']:.3g} µs. Gain "
        f"f_eff = cost per unweighted event one-stage / two-stage: **{gains['measured']:.3g}** "
        + (
            "as measured (the truth costs less than the emulator here: no gain); "
            if gains["measured"] < 1
            else "as measured; "
        )
        + f"{gains['truth_1ms']:.3g} for a truth costing "
        f"1 ms per point and {gains['truth_1s']:.3g} for 1 s (the measured efficiencies kept)."
    )


def summary_record(res: MainJobResult) -> dict:
    """The content of ``summary.json`` (keys unchanged since the first release)."""
    sh, tp, st = res.shipped, res.throughput, res.training.trainer.state
    return {
        "run": {**res.machine, "wall_s": res.total, "step_wall_s": res.step_times},
        "shipped": sh.summary.as_dict(),
        "coverage": sh.cover,
        "sigma_is": sh.sigma_kind,
        "reference_digits_vs_gl48": {"median": sh.ref_check[0], "worst": sh.ref_check[1]},
        "digits_by_parameter": {
            b.name: {
                "edges": b.edges.tolist(),
                "median_digits": b.median.tolist(),
                "count": b.count.tolist(),
            }
            for b in sh.binned
        },
        "demo_training_digits": st.best_digits,
        "demo_training_steps": st.step,
        "inn_integrals_per_s": 1.0 / tp.t_inn,
        "gl_nodes": tp.gl_n,
        "gl_integrals_per_s": 1.0 / tp.t_gl,
        "gl_digits": tp.gl_d,
        "datasets": res.data_rows,
        "events": res.events,
    }
