"""Benchmark: a boosted-decision-tree surrogate of one-loop g g → γ γ g |M|² (the BDT row of
the "which surrogate?" page), on the training and test sets of benchmarks/loop_bnn.py.

The truth blocks that loop_bnn.py generated (``--blocks DIR``: ``ggyyg-1l-block000.h5``, …;
read only, never written) give the same 10 000 test rows and the same training sets (the
⌈n/0.8⌉ rows after the test rows, stored 80/10/10 split: n training rows) as the Bayesian
networks, the deep ensemble and the plain DNN of benchmarks/results/loop_bnn.json. Per size
a ``hepemu fit``-style card with model.kind = "bdt" (XGBoost ``hist``, the settings of
benchmarks/regressors.py: depth 12, learning rate 0.05; target log |M|², inputs the log
invariants as the plain DNN's) is fitted under the same wall-clock budget on ONE thread
(training.threads = 1) and scored with loop_bnn.py's measures (68 % of |Δ|, median, on the
largest 1 % of amplitudes, µs per point on 2000 points) and the surrogates page's (mean and
worst digits, R_1, size). A BDT quotes no error bar: no coverage.

    python benchmarks/surrogates_ggyyg_bdt.py --blocks runs/bench_loop_1e6
    python benchmarks/surrogates_ggyyg_bdt.py --blocks runs/bench_loop_1e6 --sizes 90000,9000
    python benchmarks/surrogates_ggyyg_bdt.py --blocks DIR --quick      # smoke test (seconds)

Writes benchmarks/results/surrogates_ggyyg_bdt.json as {"results": {n: {"BDT": {...}}}, …},
after every size (an interrupted run keeps the sizes it finished; a rerun resumes the fits).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from common import pin_threads, write_json
from loop_bnn import BLOCK, PROCESS, SEED, precision, write_subsets

from hepemu.data.dataset import Dataset
from hepemu.evaluation.regression import model_size_bytes, regression_metrics, time_per_point_us
from hepemu.models.trees import TreeRegressor
from hepemu.training.fit_config import FitCard
from hepemu.training.fit_trees import TreeRun, fit_trees

LABEL = "BDT (XGBoost hist, 1 thread) on log A (no error bar)"
TREES = {"max_depth": 12, "learning_rate": 0.05, "n_estimators": 20_000}  # regressors.py's BDT


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blocks", required=True, help="loop_bnn.py's block datasets (read only)")
    ap.add_argument("--sizes", default="90000,9000,30000", help="training points per fit")
    ap.add_argument("--test", type=int, default=10_000, help="test points (loop_bnn.py's)")
    ap.add_argument("--minutes", type=float, default=5.0, help="wall-clock budget per fit")
    ap.add_argument("--features", default="log-invariants", help="as loop_bnn.py's")
    ap.add_argument("--workdir", default="runs/bench_ggyyg_bdt")
    ap.add_argument("--out", default="benchmarks/results/surrogates_ggyyg_bdt.json")
    ap.add_argument(
        "--retime",
        action="store_true",
        help="no fitting: time the finished fits of --sizes again (on a quieter machine); "
        "the first timing is kept as us_per_point_first",
    )
    ap.add_argument("--quick", action="store_true", help="tiny settings for a smoke test")
    args = ap.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        args.sizes, args.test, args.minutes = [800], 200, 0.05
        args.workdir, args.out = "runs/bench_ggyyg_bdt_quick", "runs/bench_ggyyg_bdt_quick/r.json"
    if not Path(args.blocks).is_dir():
        ap.error(f"--blocks {args.blocks}: no such directory")
    return args


def read_blocks(blocks: Path, need: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and |M|² of blocks 0, 1, … (each checked to be loop_bnn.py's block: its
    process, size and seed) until ``need`` rows."""
    xs, ys, n, b = [], [], 0, 0
    while n < need:
        path = blocks / f"{PROCESS}-block{b:03d}.h5"
        if not path.exists():
            raise SystemExit(f"{path}: missing (the blocks hold {n} rows, {need} needed)")
        ds = Dataset.open(path)
        plan = ds.meta.get("plan", {})
        if (plan.get("provider"), plan.get("n"), plan.get("seed")) != (PROCESS, BLOCK, SEED + b):
            raise SystemExit(f"{path}: not loop_bnn.py's block {b} (plan {plan})")
        xs.append(ds.read("inputs"))
        ys.append(ds.read("targets").ravel())
        n += len(ys[-1])
        b += 1
    return np.concatenate(xs), np.concatenate(ys)


def subsets(args) -> tuple[dict[int, Path], np.ndarray, np.ndarray]:
    """As loop_bnn.subsets: the test rows, and per size a dataset of the ⌈n/0.8⌉ rows after
    them (written into --workdir, never next to the blocks)."""
    x, y = read_blocks(Path(args.blocks), args.test + math.ceil(max(args.sizes) / 0.8))
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    return write_subsets(x, y, args.test, args.sizes, workdir)


def card(path: Path, args) -> FitCard:
    return FitCard.model_validate(
        {
            "data": {"path": str(path)},
            "model": {"kind": "bdt", **TREES},
            "preprocessing": {"target_transform": "log", "features": args.features},
            "training": {"max_minutes": args.minutes, "threads": 1, "seed": 0},
        }
    )


def load_fitted(c: FitCard, out_dir: Path) -> TreeRegressor:
    """The trees a finished or time-limited fit left in ``out_dir``, without training more
    (as ``TreeRun.train`` returns them: cut at the best round once finished)."""
    run = TreeRun(c, out_dir)
    if not run.try_resume():
        raise SystemExit(f"{out_dir}: no fit to time again (run without --retime first)")
    st, booster = run.state, run.booster
    best = booster[: st.best_iteration + 1] if st.finished else booster
    return TreeRegressor(best, run.pre, run.columns, run.target)


def retime(args, results: dict, files: dict[int, Path], x: np.ndarray) -> None:
    """Time the fits of --sizes again; the first timing stays as us_per_point_first."""
    for n, path in files.items():
        res = results.get(str(n), {}).get(LABEL)
        if res is None:
            raise SystemExit(f"{args.out}: no BDT result for {n} points to time again")
        model = load_fitted(card(path, args), Path(args.workdir) / f"bdt-{n}-{args.minutes:g}")
        res.setdefault("us_per_point_first", res["us_per_point"])
        res.setdefault("loadavg_first_timing", res.get("loadavg_at_start"))
        res["us_per_point"] = time_per_point_us(model.predict, x[:2000], repeats=3)
        res["loadavg_at_timing"] = os.getloadavg()[0]
        print(f"{n}: {res['us_per_point']:.1f} µs/pt (first {res['us_per_point_first']:.1f})")


def scores(model, x: np.ndarray, y: np.ndarray) -> dict:
    """loop_bnn.py's precision and timing, and the surrogates page's digits, R_1 and size."""
    mean = model.predict(x)[0]
    m = regression_metrics(mean, y)
    return {
        **precision(mean, y),
        "mean_digits": m.mean_digits,
        "worst_digits": m.worst_digits,
        "r_1": m.r_1,
        "us_per_point": time_per_point_us(lambda a: model.predict(a), x[:2000], repeats=3),
        "size_bytes": model_size_bytes(model),
    }


def main(argv=None) -> None:
    args = parse(argv)
    pin_threads(1)
    torch.set_num_threads(1)
    out = Path(args.out)
    prev = json.loads(out.read_text()) if out.exists() else {}
    results = prev.get("results", {})  # keep the sizes of earlier (interrupted) runs
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    args.commands = prev.get("commands", [prev["command"]] if "command" in prev else [])
    args.commands.append(command)
    files, x_test, y_test = subsets(args)
    if args.retime:
        retime(args, results, files, x_test)
        files = {}
    for n, path in files.items():
        load = os.getloadavg()[0]
        c = card(path, args)
        t0, c0 = time.perf_counter(), time.process_time()
        model = fit_trees(c, Path(args.workdir) / f"bdt-{n}-{args.minutes:g}")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        member = model.info["members"][0]
        res = scores(model, x_test, y_test)
        res |= {
            "train_s": member["train_s"],
            "fit_wall_s": wall,  # data matrices included
            "fit_cpu_s": cpu,  # this process's CPU time (a resumed fit: the last part only)
            "rounds": member["rounds"],
            "best_iteration": member["best_iteration"],
            "stop": member["stop"],
            "threads": 1,
            "loadavg_at_start": load,  # 1-minute load average before the fit
            "command": command,
        }
        results[str(n)] = {LABEL: res}
        save(args, results, len(y_test))
        print(
            f"{n}: q68|Δ| {res['q68_abs_delta']:.2e}, top 1 % q68 "
            f"{res['top1pct_q68_abs_delta']:.2e}, R_1 {res['r_1']:.3f}, "
            f"{res['us_per_point']:.1f} µs/pt, {res['rounds']} rounds ({res['stop']}), "
            f"{res['train_s']:.0f} s",
            flush=True,
        )
    if args.retime:
        save(args, results, len(y_test))


def save(args, results: dict, test_points: int) -> None:
    write_json(
        args.out,
        {
            "process": PROCESS,
            "results": results,
            "test_points": test_points,
            "trees": TREES,
            "args": {k: v for k, v in vars(args).items() if k != "commands"},
            "commands": args.commands,  # every run that wrote this file, in order
        },
    )


if __name__ == "__main__":
    main()
