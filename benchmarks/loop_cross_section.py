"""Benchmark: the one-loop g g → γ γ g cross section kept unbiased by the truth (issue 17).

σ = ∫ s + ∫ (f − s) with the shipped Bayesian amplitude network `ggyyg-1l-bnn` as s: ∫ s
from many surrogate points through a vegas map adapted to the surrogate, the correction from
a subsample with true one-loop evaluations (`ggyyg-1l`, partonic, √s = 1 TeV, the provider's
photon and jet cuts; since issue 27 a closed form that answers everywhere — where a truth
declines (NaN) the surrogate stands in and its error over those points, summed linearly, is
reported as an estimate of the bias they can leave, `unresolved_error`). Against plain Monte
Carlo with the same true evaluations, and, independently, the truth alone on flat RAMBO
points (`--flat-points`), which also measures how heavy the weights' tail is. Costs per point
are measured in the same run.

    python benchmarks/loop_cross_section.py --truth-points 200000 --threads 1   # named run
    python benchmarks/loop_cross_section.py --quick      # smoke test
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import numpy as np
from common import hardware, pin_threads, write_json
from rich.console import Console
from rich.table import Table

console = Console()


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="ggyyg-1l-bnn")
    ap.add_argument("--surrogate-points", type=int, default=200_000)
    ap.add_argument("--truth-points", type=int, default=2000)
    ap.add_argument("--vegas-points", type=int, default=20_000)
    ap.add_argument(
        "--flat-points",
        type=int,
        default=1_000_000,
        help="an independent reference: the truth alone on flat RAMBO points (0: skip)",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="benchmarks/results/loop_cross_section.json")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.surrogate_points, args.truth_points, args.vegas_points = 20_000, 100, 5000
        args.flat_points = 10_000
        args.out = "runs/loop_cross_section_quick.json"
    return args


def main(argv=None) -> None:
    args = parse(argv)
    pin_threads(args.threads)
    from hepemu.applications.cross_section import unbiased_cross_section
    from hepemu.applications.unweighting import PhaseSpace, adapt_vegas
    from hepemu.physics.providers import get_provider
    from hepemu.registry import load_model

    model = load_model(args.model)
    provider = get_provider(model.pre.provider)
    t0 = time.perf_counter()
    space = PhaseSpace(provider, adapt_vegas(provider, model, args.vegas_points, seed=args.seed))
    vegas_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    xs = unbiased_cross_section(
        space, model, args.surrogate_points, args.truth_points, seed=args.seed
    )
    run_s = time.perf_counter() - t0
    probe, _, kept = space.sample(2000, np.random.default_rng(9))
    probe = probe[kept][:300]
    t0 = time.perf_counter()
    model.predict(probe)
    sur_us = 1e6 * (time.perf_counter() - t0) / len(probe)
    t0 = time.perf_counter()
    provider(probe[:50])
    truth_s = (time.perf_counter() - t0) / 50
    flat = flat_reference(provider, args.flat_points, args.seed) if args.flat_points else None
    result = {
        "command": "python " + shlex.join(sys.argv),
        "args": vars(args),
        "process": provider.name,
        "cross_section": xs.as_dict(),
        "relative_error": xs.error / abs(xs.value),
        "unresolved_fraction": xs.truth_unresolved / xs.truth_points,
        "unresolved_relative_bound": xs.unresolved_error / abs(xs.value),
        "truth_s_per_point": truth_s,
        "surrogate_us_per_point": sur_us,
        "flat_reference": flat,
        "vegas_s": vegas_s,
        "run_s": run_s,
        "hardware": hardware(),
    }
    write_json(args.out, result)
    report(result)


def flat_reference(provider, n: int, seed: int, batch: int = 100_000) -> dict:
    """σ from the truth alone on ``n`` flat RAMBO points (no surrogate, no adapted map): an
    independent check, and the size of the weights' tail (largest weight / mean)."""
    from hepemu.applications.unweighting import PhaseSpace

    space, rng = PhaseSpace(provider, None), np.random.default_rng(seed + 1000)
    sums, sq, top, t0 = 0.0, 0.0, 0.0, time.perf_counter()
    for start in range(0, n, batch):
        x, factor, kept = space.sample(min(batch, n - start), rng)
        w = np.zeros(len(x))
        w[kept] = provider(x[kept]) * factor[kept]
        sums, sq, top = sums + w.sum(), sq + (w * w).sum(), max(top, float(w.max()))
    mean = sums / n
    err = float(np.sqrt(max(sq / n - mean * mean, 0.0) / n))
    return {
        "points": n,
        "value": mean,
        "error": err,
        "max_weight_over_mean": top / mean,
        "seconds": time.perf_counter() - t0,
    }


def report(r: dict) -> None:
    xs = r["cross_section"]
    t = Table(title=f"σ({r['process']}) in pb, {xs['truth_points']} true evaluations")
    for col in ("estimate", "σ", "stat. error", "unresolved (1σ)", "note"):
        t.add_column(col)
    t.add_row(
        "∫s + ∫(f − s)",
        f"{xs['value']:.5g}",
        f"{xs['error']:.2g}",
        f"{xs['unresolved_error']:.2g}",
        f"{xs['truth_unresolved']} points NaN truth",
    )
    t.add_row("∫s alone", f"{xs['surrogate_part']:.5g}", "", "", "surrogate only")
    t.add_row("plain MC", f"{xs['plain']:.5g}", f"{xs['plain_error']:.2g}", "", "NaN as 0")
    flat = r.get("flat_reference")
    if flat:
        t.add_row(
            "truth, flat RAMBO",
            f"{flat['value']:.5g}",
            f"{flat['error']:.2g}",
            "",
            f"{flat['points']} points; max w / mean {flat['max_weight_over_mean']:.3g}",
        )
    console.print(t)
    console.print(
        f"variance reduction {xs['variance_reduction']:.3g}; truth {r['truth_s_per_point']:.3g}"
        f" s/pt, surrogate {r['surrogate_us_per_point']:.3g} µs/pt"
    )


if __name__ == "__main__":
    main()
