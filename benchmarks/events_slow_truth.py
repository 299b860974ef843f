"""Benchmark: two-stage unweighting with a slow truth (issue 31), one run on one machine.

Truth ``ggyyg-1l-numerical`` (the numerical one-loop reduction, ~0.1 s per point; where it is
unstable the closed form answers, so it answers everywhere), surrogate ``--surrogate`` (default
``ggyyg-1l-ensemble``, the deep ensemble with calibrated σ), partonic √s = 1 TeV with the
provider's cuts:

- two-stage: an actual ``hepemu events`` run (``applications.event_run``: vegas map adapted
  to the surrogate, reduced maxima from a pilot run with the truth, chunks of trials) until
  N unweighted events; efficiencies of both stages, overweights, σ, and the measured cost per
  event (phase space + surrogate + truth on the stage-1 survivors). The run directory is the
  one ``hepemu events`` keeps: rerunning resumes from its finished chunks;
- one-stage: NOT a run of N events (that would take hours: the truth on every trial). Its
  efficiency ε = ⟨min(1, w/w_max)⟩ (w_max the same pilot's reduced maximum), σ, and the
  truth's time per point are measured on M fresh trials through the same map, every one
  evaluated with the truth; its cost per event is (phase space + truth per trial) / ε;
- f_eff = one-stage cost per event / two-stage cost per event (target ≥ 16);
- guarded two-stage runs (``hepemu events --guard sigma-threshold:T`` for each ``--guard`` T,
  actual runs of N events in their own run directories): fallbacks, truth calls, cost, f_eff;
- on the subsample, the points where the reduction was unstable (rescued by the closed form)
  and their share of σ;
- a reference: the same amplitude in closed form (``ggyyg-1l``, ~70 µs per point): σ through
  the same map on many trials (every mode's pull against it);
- with ``--one-stage-run K``: an actual one-stage run of K events (``hepemu events --mode
  one-stage``) with the closed-form truth (equal to the reduction to ~1e-5, and exactly where
  the reduction is rescued), its cost per event taken with the numerical truth's measured time
  per call: one-stage efficiency from a run of events, not only from the subsample;
- with ``--pdf SET``: the same at a pp collider (``--sqrt-s``, ``--scale``), folded with the
  set's parton densities (``hepemu events --collider pp``).

    python benchmarks/events_slow_truth.py            # the named run (≈ 15 CPU-minutes)
    python benchmarks/toy_pdf.py runs/pdf && python benchmarks/events_slow_truth.py \
        --pdf runs/pdf/LHToyQ0 --surrogate ggyyg-1l-pp-ensemble   # at 13.6 TeV
    python benchmarks/events_slow_truth.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from common import pin_threads, write_json
from events_slow_truth_report import console, report

TRUTH, SURROGATE = "ggyyg-1l-numerical", "ggyyg-1l-ensemble"
CLOSED_FORM = "ggyyg-1l"  # the same |M|² in closed form (~70 µs per point): the reference


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=200, help="two-stage unweighted events N")
    ap.add_argument("--subsample", type=int, default=3000, help="one-stage trials M (truth)")
    ap.add_argument("--pilot", type=int, default=1000, help="pilot points (truth and surrogate)")
    ap.add_argument(
        "--surrogate-pilot", type=int, default=50_000, help="pilot points for s_max (surrogate)"
    )
    ap.add_argument("--vegas-points", type=int, default=20_000)
    ap.add_argument("--chunk-trials", type=int, default=50_000)
    ap.add_argument("--reference", type=int, default=200_000, help="closed-form σ trials")
    ap.add_argument("--surrogate", default=SURROGATE, help="shipped model or model file")
    ap.add_argument("--guard", type=float, nargs="*", default=[0.05], help="σ/|mean| thresholds T")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    # hepemu events -o runs/events_slow_truth.lhe with the same settings writes its events
    ap.add_argument("--run-dir", default="runs/events_slow_truth.lhe.run")
    ap.add_argument("--out", default="benchmarks/results/events_slow_truth.json")
    ap.add_argument("--one-stage-run", type=int, default=0, help="closed-form one-stage events")
    ap.add_argument("--pdf", default=None, help="LHAPDF6 set: a pp collider run (else partonic)")
    ap.add_argument("--sqrt-s", type=float, default=13600.0, help="pp energy (GeV, with --pdf)")
    ap.add_argument("--scale", default="mgg", help="μ_F = μ_R (with --pdf)")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.pdf:  # the pp runs' own directories and result (unless named)
        if args.run_dir == ap.get_default("run_dir"):
            args.run_dir = args.run_dir.replace(".lhe.run", "_pp.lhe.run")
        if args.out == ap.get_default("out"):
            args.out = args.out.replace(".json", "_pp.json")
    if args.quick:
        args.events, args.subsample, args.pilot, args.vegas_points = 5, 100, 100, 2000
        args.surrogate_pilot = 2000
        args.chunk_trials, args.reference, args.run_dir = (
            500,
            5000,
            "runs/events_slow_truth_quick.lhe.run",
        )
        args.out = "runs/events_slow_truth_quick.json"
    return args


def two_stage(args, run_dir: str, guard: float | None = None) -> tuple[dict, object]:
    """A two-stage run through ``hepemu events``' machinery (guarded at σ/|mean| ≥ ``guard``);
    (row, setup)."""
    from hepemu.applications.event_run import (
        EventRunSetup,
        finished_chunks,
        generate_events,
        prepare,
    )

    setup = EventRunSetup(
        TRUTH,
        {},
        args.surrogate,
        "two-stage",
        args.seed,
        args.chunk_trials,
        pilot_points=args.pilot,
        vegas_points=args.vegas_points,
        guard_max_rel_sigma=guard,
        surrogate_pilot_points=args.surrogate_pilot,
        collider=collider(args),
    )
    t0 = time.perf_counter()
    setup = prepare(run_dir, setup)
    t_setup = time.perf_counter() - t0
    found = len(finished_chunks(run_dir))
    t0 = time.perf_counter()
    st = generate_events(run_dir, args.events)
    d = st.as_dict()
    t_ps, t_sur, t_truth = st.time_phase_space, st.time_surrogate, st.time_truth
    row = {
        **d,
        "guard_max_rel_sigma": guard,
        "run_dir": run_dir,
        "setup_s": t_setup,
        "chunks_found_at_start": found,  # > 0: resumed (times below are the chunks' own)
        "run_s": time.perf_counter() - t0,
        "truth_calls": st.truth_calls,
        "truth_s_per_point": t_truth / max(st.truth_calls, 1),
        "surrogate_us_per_point": 1e6 * t_sur / max(st.kept, 1),
        "phase_space_us_per_trial": 1e6 * t_ps / max(st.trials, 1),
        "cost_per_event_s": (t_ps + t_sur + t_truth) / max(st.events, 1),
        "cost_per_event_parts_s": {
            "phase_space": t_ps / max(st.events, 1),
            "surrogate": t_sur / max(st.events, 1),
            "truth": t_truth / max(st.events, 1),
        },
    }
    return row, setup


def collider(args) -> dict | None:
    """``EventRunSetup.collider`` of a pp run (None: partonic), as ``hepemu events
    --collider pp`` records it (so that the CLI writes the run's events)."""
    if not args.pdf:
        return None
    from hepemu.applications.collider import Collider
    from hepemu.physics.pdf import find_set

    return dict(Collider(args.sqrt_s, str(find_set(args.pdf)), scale=args.scale).__dict__)


def truth(args, name: str, options: dict):
    """A truth provider, folded with the parton densities in a pp run."""
    from hepemu.physics.providers import get_provider

    base = get_provider(name, options)
    if not args.pdf:
        return base
    from hepemu.applications.collider import Collider, HadronicProcess

    return HadronicProcess(base, Collider(**collider(args)))


def one_stage_run(args, one: dict) -> dict:
    """An actual one-stage run of ``args.one_stage_run`` events with the closed-form truth
    (its own run directory, resumable), w_max from ``--surrogate-pilot`` pilot points (as
    many as the two-stage run's s_max: the subsample's w_max, from the short truth pilot,
    is low and its overweights inflate ε); costed with the numerical truth's time per call."""
    from hepemu.applications.event_run import EventRunSetup, generate_events, prepare

    run_dir = args.run_dir.replace(".lhe.run", "-one-stage-closed.lhe.run")
    setup = EventRunSetup(
        CLOSED_FORM,
        {},
        args.surrogate,
        "one-stage",
        args.seed,
        args.chunk_trials,
        pilot_points=args.surrogate_pilot,  # w_max as well found as the two-stage run's s_max
        vegas_points=args.vegas_points,
        collider=collider(args),
    )
    setup = prepare(run_dir, setup)
    st = generate_events(run_dir, args.one_stage_run)
    d = st.as_dict()
    t_truth = one["truth_s_per_point"] * st.truth_calls  # the numerical truth's cost
    return {
        **d,
        "run_dir": run_dir,
        "truth_calls": st.truth_calls,
        "closed_form_s": st.time_truth,
        "w_max": setup.w_max,
        "pilot_points": setup.pilot_points,
        "cost_per_event_s": (st.time_phase_space + t_truth) / max(st.events, 1),
        "how": "an actual one-stage run with the closed-form truth; its truth calls costed at "
        "the numerical truth's time per point measured on the subsample",
    }


def one_stage_subsample(args, setup) -> tuple[dict, dict]:
    """M fresh trials through the run's map, the truth at every one inside the cuts:
    ε, σ and the truth's time (row), and the arrays the guard check reuses."""
    import vegas

    from hepemu.applications.event_run import provider_and_surrogate
    from hepemu.applications.unweighting import PhaseSpace, weights_of

    provider, surrogate = provider_and_surrogate(setup)
    declining, closed = truth(args, TRUTH, {"rescue": "none"}), truth(args, CLOSED_FORM, {})
    grid = np.load(Path(args.run_dir) / "vegas_grid.npy")
    space = PhaseSpace(provider, vegas.AdaptiveMap(grid))
    rng = np.random.default_rng([args.seed, 1 << 31])  # not a chunk's or the pilot's stream
    m = args.subsample
    t0 = time.perf_counter()
    inputs, factor, kept = space.sample(m, rng)
    t_ps = time.perf_counter() - t0
    # the truth as the run calls it (the reduction, the closed form where it is unstable),
    # in two steps so that the rescued points are known
    w, t_truth = weights_of(declining, inputs, factor, kept)
    unstable = ~np.isfinite(w)
    t0 = time.perf_counter()
    w[unstable] = closed(inputs[unstable]) * factor[unstable]
    t_truth += time.perf_counter() - t0
    bad = ~np.isfinite(w)
    w_ok = np.where(bad, 0.0, w)  # the event code: a non-finite true weight is no event
    p_acc = np.minimum(1.0, w_ok / setup.w_max)
    eff = float(p_acc.mean())
    eff_err = float(p_acc.std() / np.sqrt(m))
    t_truth_pt = t_truth / max(int(kept.sum()), 1)
    cost = (t_ps + t_truth) / m / eff
    row = {
        "trials": m,
        "kept": int(kept.sum()),
        "nonfinite_truth": int(bad.sum()),
        "rescued_truth": int(unstable.sum()),
        "rescued_share_of_sigma": float(w_ok[unstable].sum() / max(w_ok.sum(), 1e-300)),
        "w_max": setup.w_max,
        "efficiency": eff,
        "efficiency_err": eff_err,
        "overweight_trials": int(np.sum(w_ok > setup.w_max)),
        "overweight_share": float(
            np.sum(np.maximum(w_ok - setup.w_max, 0)) / max(w_ok.sum(), 1e-300)
        ),
        "cross_section_pb": float(w_ok.mean()),
        "cross_section_err_pb": float(w_ok.std() / np.sqrt(m)),
        "truth_s_per_point": t_truth_pt,
        "phase_space_us_per_trial": 1e6 * t_ps / m,
        "cost_per_event_s": cost,
        "how": (
            "measured efficiency and truth time on M trials each evaluated with the truth; "
            "cost per event = (phase space + truth time per trial) / efficiency; no one-stage "
            "events were produced (N of them would take hours)"
        ),
    }
    sub = {"inputs": inputs[kept], "truth": w[kept] / factor[kept], "surrogate": surrogate}
    return row, {
        **sub,
        "space": space,
        "weights": w,
        "factor": factor,
        "kept": kept,
        "unstable": unstable,
    }


def closed_form_reference(args, sub: dict) -> dict:
    """The closed-form |M|² (same amplitude, no instability): σ through the same map on
    ``args.reference`` fresh trials, and on the subsample the largest relative difference
    from the reduction where the reduction was stable."""
    closed = truth(args, CLOSED_FORM, {})
    space = sub["space"]
    x, factor, kept = space.sample(args.reference, np.random.default_rng([args.seed, 3 << 30]))
    w = np.zeros(len(x))
    w[kept] = closed(x[kept]) * factor[kept]
    sk, num = sub["kept"], sub["weights"]
    wc = np.zeros(len(num))
    wc[sk] = closed(sub["inputs"]) * sub["factor"][sk]
    ok = ~sub["unstable"] & np.isfinite(num) & (wc > 0)
    return {
        "provider": CLOSED_FORM,
        "trials": args.reference,
        "cross_section_pb": float(w.mean()),
        "cross_section_err_pb": float(w.std() / np.sqrt(len(w))),
        "subsample_max_rel_diff": float(np.max(np.abs(num[ok] / wc[ok] - 1.0))),
    }


def f_eff_same_truth_cost(two: dict, one: dict) -> float:
    """f_eff with the two-stage run's truth calls costed at the subsample's measured time per
    point (the machine's load may differ between the two measurements)."""
    parts = two["cost_per_event_parts_s"]
    t_two = (
        parts["phase_space"]
        + parts["surrogate"]
        + one["truth_s_per_point"] * two["truth_calls"] / max(two["events"], 1)
    )
    return one["cost_per_event_s"] / t_two


def guard_counts(sub: dict, thresholds: list[float]) -> list[dict]:
    """Fallbacks of ``GuardedSurrogate`` on the subsample's points inside the cuts, outside
    the surrogate's trained region included (its truth answers from the values already
    computed there: counts, no extra truth time)."""
    from hepemu.applications.guarded import GuardedSurrogate

    x, y = sub["inputs"], sub["truth"]
    lookup = {row.tobytes(): v for row, v in zip(x, y, strict=True)}

    def known_truth(points: np.ndarray) -> np.ndarray:
        return np.array([lookup[row.tobytes()] for row in points])

    out = []
    for thr in thresholds:
        outside = getattr(sub["surrogate"], "outside_region", None)
        g = GuardedSurrogate(sub["surrogate"], known_truth, thr, outside)
        g.predict(x)
        out.append(g.report())
    return out


def guarded_dir(args, guard: float) -> str:
    """The guarded run's directory: that of ``hepemu events -o <stem>-guard<T>.lhe``."""
    return args.run_dir.replace(".lhe.run", f"-guard{guard:g}.lhe.run")


def main(argv=None) -> None:
    args = parse(argv)
    pin_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    console.print(f"[bold]two-stage run[/] ({args.events} events) in {args.run_dir}")
    two, setup = two_stage(args, args.run_dir)
    guarded_runs = []
    for g in args.guard:
        console.print(f"[bold]guarded two-stage run[/], σ/|mean| ≥ {g:g}: {guarded_dir(args, g)}")
        guarded_runs.append(two_stage(args, guarded_dir(args, g), g)[0])
    console.print(f"[bold]one-stage subsample[/] ({args.subsample} trials with the truth)")
    one, sub = one_stage_subsample(args, setup)
    one_run = None
    if args.one_stage_run:
        console.print(f"[bold]one-stage run[/] ({args.one_stage_run} events, closed-form truth)")
        one_run = one_stage_run(args, one)
        one_run["f_eff"] = one_run["cost_per_event_s"] / two["cost_per_event_s"]
        same = {**one, "cost_per_event_s": one_run["cost_per_event_s"]}
        one_run["f_eff_same_t_truth"] = f_eff_same_truth_cost(two, same)
        for g in guarded_runs:
            g["f_eff_one_stage_run"] = one_run["cost_per_event_s"] / g["cost_per_event_s"]
    thresholds = sorted({*args.guard, 0.01, 0.02, 0.05, 0.1})
    guards = guard_counts(sub, thresholds)
    ref = closed_form_reference(args, sub)

    def pull(a: dict, b: dict) -> float:
        d = a["cross_section_pb"] - b["cross_section_pb"]
        return float(d / np.hypot(a["cross_section_err_pb"], b["cross_section_err_pb"]))

    for g in guarded_runs:
        g |= {
            "f_eff": one["cost_per_event_s"] / g["cost_per_event_s"],
            "f_eff_same_t_truth": f_eff_same_truth_cost(g, one),
            "sigma_pull_vs_reference": pull(g, ref),
        }
    result = {
        "truth": TRUTH,
        "truth_rescue": "closed form where the reduction's error estimate exceeds 1e-5",
        "surrogate": args.surrogate,
        "sqrt_s_gev": args.sqrt_s if args.pdf else 1000.0,
        "collider": collider(args),
        "one_stage_run": one_run,
        "maxima": {k: getattr(setup, k) for k in ("w_max", "s_max", "x_max")},
        "two_stage": two,
        "two_stage_guarded": guarded_runs,
        "one_stage": one,
        "f_eff": one["cost_per_event_s"] / two["cost_per_event_s"],
        "f_eff_same_t_truth": f_eff_same_truth_cost(two, one),
        "f_eff_target": 16,
        "sigma_pull": pull(two, one),
        "closed_form_reference": ref,
        "sigma_pull_two_vs_reference": pull(two, ref),
        "sigma_pull_one_vs_reference": pull(one, ref),
        "guarded_subsample_counts": guards,
        "nonfinite_treatment": (
            "the truth answers everywhere (the closed form where the reduction is unstable); a "
            "trial with a non-finite true weight would be counted and never be an event"
        ),
        "resume": f"hepemu events' run directories ({args.run_dir} and the guarded ones): "
        "rerunning resumes the two-stage chunks; the one-stage subsample is recomputed",
        "total_s": time.perf_counter() - t0,
    }
    write_json(
        args.out, {"command": "python " + shlex.join(sys.argv), "args": vars(args), **result}
    )
    report(result)


if __name__ == "__main__":
    main()
