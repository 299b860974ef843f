"""Benchmark: surrogates inside a Monte Carlo chain (issue 17), for the shipped ee3j/ee4j/ee5j
emulators against the pyamplicol truth, every number from one run on one machine:

- a vegas map adapted to the surrogate, reduced maxima from a pilot run (overweights carry
  at most 0.1 % of σ);
- one-stage (truth everywhere) and two-stage unweighting (truth only where the surrogate's
  weight was accepted) with the same number of phase-space trials: efficiencies of both
  stages, overweight fraction and share, cross sections with errors;
- f_eff = cost per unweighted event (one-stage) / (two-stage), the costs measured here
  (phase space, surrogate and truth time), and the same with the truth's time replaced by
  1 ms and 1 s per call (the measured efficiencies kept);
- σ = ∫s + ∫(f − s) and its variance reduction against plain MC at equal true evaluations;
- ee3j: the thrust distribution of the two-stage events against the one-stage events (PNG).

    python benchmarks/events.py                  # the named run
    python benchmarks/events.py --quick          # smoke test
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import numpy as np
from common import pin_threads, write_json
from rich.console import Console
from rich.table import Table

console = Console(width=200)


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--processes", default="ee3j,ee4j,ee5j")
    ap.add_argument("--trials", type=int, default=1_000_000, help="phase-space points per mode")
    ap.add_argument("--pilot", type=int, default=50_000)
    ap.add_argument("--vegas-points", type=int, default=20_000)
    ap.add_argument("--xs-surrogate", type=int, default=200_000)
    ap.add_argument("--xs-truth", type=int, default=5_000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="benchmarks/results/events.json")
    ap.add_argument("--plot", default="benchmarks/results/events-ee3j-thrust.png")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.processes, args.trials, args.pilot, args.vegas_points = "ee3j", 20_000, 10_000, 5000
        args.xs_surrogate, args.xs_truth = 20_000, 1000
        args.out, args.plot = "runs/events_quick.json", "runs/events_quick.png"
    return args


def run_process(name: str, args) -> tuple[dict, dict]:
    from hepemu.applications.cross_section import unbiased_cross_section
    from hepemu.applications.unweighting import compare_unweighting, gain_factor
    from hepemu.physics.providers import get_provider
    from hepemu.registry import load_model

    model = load_model(name)
    options = model.info["dataset"]["provider_options"]
    provider = get_provider(name, options)
    t0 = time.perf_counter()
    one, two, maxima, space = compare_unweighting(
        provider, model, args.trials, args.pilot, args.vegas_points, args.seed
    )
    run_s = time.perf_counter() - t0
    s1, s2 = one.stats, two.stats
    xs = unbiased_cross_section(space, model, args.xs_surrogate, args.xs_truth, seed=args.seed)
    row = {
        "process": name,
        "provider_options": options,
        "run_s": run_s,
        "maxima": maxima,
        "one_stage": s1.as_dict(),
        "two_stage": s2.as_dict(),
        "truth_us_per_point": 1e6 * s1.time_truth / max(s1.stage1, 1),
        "surrogate_us_per_point": 1e6 * s2.time_surrogate / max(s2.kept, 1),
        "phase_space_us_per_point": 1e6 * s2.time_phase_space / s2.trials,
        "f_eff_measured": gain_factor(s1, s2),
        "f_eff_truth_1ms": gain_factor(s1, s2, 1e-3),
        "f_eff_truth_1s": gain_factor(s1, s2, 1.0),
        "unbiased_cross_section": xs.as_dict(),
    }
    events = {"one": one, "two": two, "sqrt_s": provider.sqrt_s}
    return row, events


def plot_thrust(events: dict, path: str) -> None:
    from hepemu.evaluation.plots import weighted_histograms_with_ratio
    from hepemu.physics.kinematics import thrust_three_partons

    samples = {}
    for key, label in (("one", "one-stage (truth)"), ("two", "two-stage (surrogate + truth)")):
        b = events[key]
        t = thrust_three_partons(b.inputs.reshape(len(b.inputs), -1, 4)[:, 2:], events["sqrt_s"])
        samples[label] = (t, b.weights, b.stats.cross_section[0])
    weighted_histograms_with_ratio(
        samples,
        np.linspace(2 / 3, 1.0, 21),
        path,
        "thrust T",
        "dσ/dT [pb]",
        "e⁺e⁻ → d d̄ g at 1 TeV (y_min = 10⁻³): unweighted events",
    )


def main(argv=None) -> None:
    args = parse(argv)
    pin_threads(args.threads)
    rows, plotted = [], False
    for name in args.processes.split(","):
        console.print(f"[bold]{name}[/]")
        row, events = run_process(name, args)
        rows.append(row)
        if name == "ee3j":
            plot_thrust(events, args.plot)
            row["plot"] = args.plot
            plotted = True
    write_json(
        args.out, {"command": "python " + shlex.join(sys.argv), "args": vars(args), "results": rows}
    )
    report(rows)
    if plotted:
        console.print(f"plot: {args.plot}")


def report(rows: list[dict]) -> None:
    t = Table(title="unweighting with surrogates (same trials per mode)")
    cols = "process,ε one-stage,ε₁ × ε₂,overweights,σ one [pb],σ two [pb],truth µs,surr. µs"
    for c in [*cols.split(","), "f_eff", "f_eff 1 ms", "f_eff 1 s", "Var ratio σ"]:
        t.add_column(c)
    for r in rows:
        a, b = r["one_stage"], r["two_stage"]
        t.add_row(
            r["process"],
            f"{a['efficiency']:.2e}",
            f"{b['first_stage_efficiency']:.2e} × {b['second_stage_efficiency']:.3f}",
            f"{b['overweight_fraction']:.1%} ({b['overweight_share']:.1e} of σ)",
            f"{a['cross_section_pb']:.4g} ± {a['cross_section_err_pb']:.2g}",
            f"{b['cross_section_pb']:.4g} ± {b['cross_section_err_pb']:.2g}",
            f"{r['truth_us_per_point']:.3g}",
            f"{r['surrogate_us_per_point']:.3g}",
            f"{r['f_eff_measured']:.3g}",
            f"{r['f_eff_truth_1ms']:.3g}",
            f"{r['f_eff_truth_1s']:.3g}",
            f"{r['unbiased_cross_section']['variance_reduction']:.3g}",
        )
    console.print(t)


if __name__ == "__main__":
    main()
