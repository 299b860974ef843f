"""Benchmark: one-loop g g → γ γ g in closed form (`ggyyg-1l`) against the numerical
reduction (`ggyyg-1l-numerical`), issue 27.

Cost per point and core in batches (median of repeats, one thread, wall clock and process
CPU time: the second is less sensitive to other jobs on a shared machine), the reduction
timed in the same run on a small batch; non-finite values over 10⁶ RAMBO points inside the
cuts; agreement with the reduction on the committed reference set, on the live batch and, with
``--reference``, on a larger stored set (a .npz with ``p``, ``value``, ``error`` as written by
a one-off run of the reduction: ``value`` is Σ_h |𝒜_h|² of gg_yyg.colour_summed).

    python benchmarks/ggyyg_closed_form.py                  # the named run (~3 min, 1 core)
    python benchmarks/ggyyg_closed_form.py --quick          # smoke test
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import hardware, pin_threads, write_json
from rich.console import Console
from rich.table import Table

console = Console()
STORED = "tests/data/ggyyg_1l_numerical_reference.npz"


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--finite-points", type=int, default=1_000_000)
    ap.add_argument("--numerical-points", type=int, default=24)
    ap.add_argument("--batches", type=int, nargs="+", default=[256, 4096])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--reference", default=None, help="a larger stored reduction (.npz)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="benchmarks/results/ggyyg_closed_form.json")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.finite_points, args.numerical_points, args.repeats = 20_000, 4, 2
        args.out = "runs/ggyyg_closed_form_quick.json"
    return args


def inside_cuts(prov, n: int, seed: int) -> np.ndarray:
    """Physical momenta of n RAMBO points passing the provider's cuts (drawn in chunks)."""
    rng = np.random.default_rng(seed)
    parts, have = [], 0
    while have < n:
        x, keep = prov.from_unit(rng.uniform(size=(min(2 * (n - have) + 100, 400_000), 12)))
        parts.append(prov.momenta(x[keep]))
        have += int(keep.sum())
    return np.concatenate(parts)[:n]


def per_point(fn, p: np.ndarray, repeats: int) -> dict:
    """Median wall-clock and CPU microseconds per point of fn(p) over ``repeats`` calls."""
    fn(p[: min(len(p), 64)])  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(p)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "points": len(p),
        "repeats": repeats,
        "us_per_point_wall": 1e6 * float(np.median(wall)) / len(p),
        "us_per_point_cpu": 1e6 * float(np.median(cpu)) / len(p),
    }


def agreement(closed: np.ndarray, reduced: np.ndarray, error: np.ndarray | None = None) -> dict:
    """Relative differences where the reduction answers."""
    ok = np.isfinite(reduced)
    rel = np.abs(closed[ok] / reduced[ok] - 1)
    out = {
        "points": int(len(reduced)),
        "answered": int(ok.sum()),
        "rms_relative": float(np.sqrt(np.mean(rel**2))),
        "max_relative": float(rel.max()),
        "median_relative": float(np.median(rel)),
    }
    if error is not None:
        out["above_10x_reduction_error_estimate"] = int(np.sum(rel > 10 * error[ok]))
    return out


def main(argv=None) -> None:
    args = parse(argv)
    pin_threads(1)
    from hepemu.physics.loop import gg_yyg, gg_yyg_closed
    from hepemu.physics.loop.gg_yy import ALPHA, ALPHA_S, SUM_Q2_FIVE_FLAVOURS
    from hepemu.physics.providers import LOOP_TOLERANCE, get_provider

    at_start = hardware()  # the load when the timings begin (write_json adds the one at the end)
    prov = get_provider("ggyyg-1l")
    p = inside_cuts(prov, args.finite_points, args.seed)
    timings = {
        f"closed_{n}": per_point(gg_yyg_closed.msq, p[:n], args.repeats) for n in args.batches
    }
    live = p[-args.numerical_points :]
    t0, c0 = time.perf_counter(), time.process_time()
    reduced = gg_yyg.msq(live, tolerance=LOOP_TOLERANCE)
    timings["numerical"] = {
        "points": len(live),
        "repeats": 1,
        "us_per_point_wall": 1e6 * (time.perf_counter() - t0) / len(live),
        "us_per_point_cpu": 1e6 * (time.process_time() - c0) / len(live),
    }
    t0 = time.perf_counter()
    values = np.concatenate(
        [gg_yyg_closed.msq(p[i : i + 100_000]) for i in range(0, len(p), 100_000)]
    )
    finite = {
        "points": len(p),
        "non_finite": int(np.sum(~np.isfinite(values))),
        "non_positive": int(np.sum(values <= 0)),
        "seconds": time.perf_counter() - t0,
        "min": float(np.nanmin(values)),
        "max": float(np.nanmax(values)),
    }
    stored = np.load(STORED)
    agree = {
        "live": agreement(values[-len(live) :], reduced),
        "stored": agreement(gg_yyg_closed.msq(stored["momenta"]), stored["msq"], stored["error"]),
    }
    if args.reference:
        ref = np.load(args.reference)
        const = 0.5 / 256 * 24 * np.pi * ALPHA**2 * ALPHA_S**3 * SUM_Q2_FIVE_FLAVOURS**2
        answered = np.where(ref["error"] <= LOOP_TOLERANCE, ref["value"], np.nan) * const
        agree["reference"] = {
            "file": args.reference,
            **agreement(gg_yyg_closed.msq(ref["p"]), answered, ref["error"]),
        }
    best = min(t["us_per_point_cpu"] for k, t in timings.items() if k.startswith("closed"))
    speedup = timings["numerical"]["us_per_point_cpu"] / best

    table = Table(title="g g → γ γ g one loop: closed form vs numerical reduction (1 thread)")
    for c in ("truth", "batch", "µs/point (wall)", "µs/point (CPU)"):
        table.add_column(c)
    for key, t in timings.items():
        name = "ggyyg-1l-numerical" if key == "numerical" else "ggyyg-1l (closed)"
        table.add_row(
            name, str(t["points"]), f"{t['us_per_point_wall']:.1f}", f"{t['us_per_point_cpu']:.1f}"
        )
    console.print(table)
    console.print(
        f"speed-up (CPU time): {speedup:.0f}×; non-finite over {finite['points']} points: "
        f"{finite['non_finite']}; agreement: "
        + "; ".join(
            f"{k} rms {v['rms_relative']:.1e}, max {v['max_relative']:.1e} "
            f"({v['answered']}/{v['points']} answered)"
            for k, v in agree.items()
        )
    )
    write_json(
        args.out,
        {
            "benchmark": "ggyyg_closed_form",
            "threads": 1,
            "args": vars(args),
            "timings": timings,
            "speedup_cpu": speedup,
            "finite": finite,
            "agreement": agree,
            "hardware_at_start": at_start,
        },
    )


if __name__ == "__main__":
    main()
