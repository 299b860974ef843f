"""Benchmark: are the shipped INN's error bars honest? Coverage of the truth by its `I_err`
(√((c·spread)² + (d·|I|)²), c and d fitted by `hepemu integral calibrate` on held-out points,
seed 777) at 1σ and 2σ, by the bare spread and by the standard error of the replica mean, on
fresh unseen points (seed 4242). Targets (issue 16): 68 ± 5 % within 1σ, 95 ± 3 % within 2σ.

    python benchmarks/inn_error_calibration.py              # 2000 points, seed 4242, ~10 s

`benchmarks/inn_gghh.py` runs the same measurement (function `calibration`) in its own run.
"""

from __future__ import annotations

import argparse

import numpy as np
from common import write_json
from rich.console import Console
from rich.table import Table

from hepemu.evaluation.inn_eval import ReferenceSet
from hepemu.evaluation.metrics import mean_digits
from hepemu.registry import load_model


def calibration(model, points: int, seed: int) -> dict:
    """Coverage of the truth by I_err, the replica spread and twice the spread."""
    ref = ReferenceSet.make(model.integral, points, seed=seed)
    reps = model.replica_integrals(ref.s)
    n = len(reps)
    mean, spread = reps.mean(axis=0), reps.std(axis=0, ddof=1)
    err = np.abs(mean - ref.ref)
    _, sigma = model.predict(ref.s)
    coverage = {
        "I_err (calibrated spread)": float(np.mean(err < sigma)),
        "2 x I_err": float(np.mean(err < 2 * sigma)),
        "spread/sqrt(n)": float(np.mean(err < spread / np.sqrt(n))),
        "replica spread": float(np.mean(err < spread)),
        "2 x replica spread": float(np.mean(err < 2 * spread)),
    }
    digits = mean_digits(mean, ref.ref)  # an exact match counts 17 digits (was inf)
    return {
        "points": points,
        "seed": seed,
        "replicas": n,
        "sigma_scale": model.sigma_scale,
        "sigma_floor": model.sigma_floor,
        "coverage": coverage,
        "mean_digits": digits,
    }


GAUSS = ("68 ± 5 %", "95 ± 3 %", "68 %", "68 %", "95 %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="gghh-box-1l")
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=4242, help="not used by any other benchmark")
    ap.add_argument("--out", default="benchmarks/results/inn_error_calibration.json")
    args = ap.parse_args()
    res = calibration(load_model(args.model), args.points, args.seed)
    table = Table(
        title=f"{args.model}: {res['replicas']} replicas, {args.points} points (seed {args.seed})"
    )
    for col in ("error bar", "covers truth", "Gaussian expectation"):
        table.add_column(col)
    for (name, frac), gauss in zip(res["coverage"].items(), GAUSS, strict=True):
        table.add_row(name, f"{100 * frac:.1f} %", gauss)
    Console().print(table)
    write_json(args.out, {"args": vars(args), **res})


if __name__ == "__main__":
    main()
