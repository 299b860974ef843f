"""Benchmark: one integration network on the double box's sector sum, or one per group of
sectors added at evaluation — at equal training budget (issue 16).

The double box `gghh-dbox-2l` is a sum of 30 final sectors (7 primary sectors x_l = 1 of
4 to 6 final sectors each). A partition into G groups gives G integrals
`gghh-dbox-2l#sectors=…` that add up to the whole; each group gets its own INN trained for
budget/G, and the prediction is the sum of the G networks. Measured side by side in one run
(same machine, same threads, same network shape and settings as `benchmarks/inn_dbox.py`):
digits of the combined prediction on the same unseen parameter points against a fine
lattice QMC, steps per network, and µs per point of the combined prediction.

    python benchmarks/inn_dbox_sectors.py                 # the named run (~35 min, 2 cores)
    python benchmarks/inn_dbox_sectors.py --quick         # smoke test
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from common import hardware, pin_threads, write_json
from inn_dbox import digits, train_dbox
from rich.console import Console
from rich.table import Table

console = Console()
PARTITIONS = {
    "sum": ["0-29"],
    "halves": ["0-11", "12-29"],  # primary sectors 0–2 | 3–6
    "primary": [f"primary={l}" for l in range(7)],
}


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--minutes", type=float, default=10.0, help="budget per partition")
    ap.add_argument("--partitions", default="sum,halves,primary")
    ap.add_argument("--points", type=int, default=16, help="unseen parameter points")
    ap.add_argument("--ref-points", type=int, default=100003, help="reference lattice size")
    ap.add_argument("--hidden", default="32,32,32")
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--workdir", default="runs/bench_dbox_sectors")
    ap.add_argument("--out", default="benchmarks/results/inn_dbox_sectors.json")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.minutes, args.points, args.ref_points = 0.3, 3, 10007
        args.partitions = "sum,halves"
        args.workdir = "runs/bench_dbox_sectors_quick"
        args.out = f"{args.workdir}/inn_dbox_sectors.json"
    unknown = set(args.partitions.split(",")) - set(PARTITIONS)
    if unknown:
        ap.error(f"unknown partitions {sorted(unknown)}; known: {', '.join(PARTITIONS)}")
    return args


def run_partition(args, name: str, s: np.ndarray, ref: np.ndarray) -> dict:
    """Train one INN per group for budget/G each; digits of their sum at s."""
    groups = PARTITIONS[name]
    minutes = args.minutes / len(groups)
    total, nets, models = 0.0, [], []
    for g, spec in enumerate(groups):
        integral = "gghh-dbox-2l" if spec == "0-29" else f"gghh-dbox-2l#sectors={spec}"
        info, model = train_dbox(
            args, s, ref, integral, minutes, Path(args.workdir) / name / f"group{g}"
        )
        total = total + model.predict(s)[0]
        models.append(model)
        nets.append({"sectors": spec, "steps": info["steps"], "train_s": info["train_s"]})
        console.print(f"  {name} group {g} ({spec}): {info['steps']} steps")
    timing = models[0].integral.sample_params(2000, np.random.default_rng(5))
    t0 = time.perf_counter()
    for m in models:
        m.predict(timing)
    us = 1e6 * (time.perf_counter() - t0) / len(timing)
    d = digits(total, ref)
    return {
        "partition": name,
        "groups": len(groups),
        "minutes_per_group": minutes,
        "networks": nets,
        "mean_digits": float(np.mean(d)),
        "worst_digits": float(np.min(d)),
        "us_per_point": us,
    }


def main(argv=None) -> None:
    args = parse(argv)
    pin_threads(args.threads)
    from hepemu.physics.integrals.quadrature import integrate_qmc
    from hepemu.physics.integrals.registry import get_integral

    dbox = get_integral("gghh-dbox-2l")
    s = dbox.sample_params(args.points, np.random.default_rng(2026))
    ref = integrate_qmc(dbox, s, 6, n=args.ref_points, n_shifts=8).value
    result: dict = {"command": "python " + shlex.join(sys.argv), "args": vars(args)}
    result["reference"] = f"QMC {args.ref_points} x 8"
    result["partitions"] = []
    for name in args.partitions.split(","):
        console.print(f"[bold]{name}[/]")
        result["partitions"].append(run_partition(args, name, s, ref))
        write_json(args.out, {**result, "hardware": hardware()})
    report(result)


def report(r: dict) -> None:
    a = r["args"]
    t = Table(title=f"double box at equal budget ({a['minutes']:g} min each, {a['points']} pts)")
    for col in ("partition", "networks", "min each", "steps each", "mean digits", "worst", "µs/pt"):
        t.add_column(col)
    for p in r["partitions"]:
        steps = ", ".join(str(n["steps"]) for n in p["networks"])
        t.add_row(
            p["partition"],
            str(p["groups"]),
            f"{p['minutes_per_group']:.2f}",
            steps,
            f"{p['mean_digits']:.2f}",
            f"{p['worst_digits']:.2f}",
            f"{p['us_per_point']:.0f}",
        )
    console.print(t)


if __name__ == "__main__":
    main()
