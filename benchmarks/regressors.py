"""Benchmark: the high-precision regressor suite (DNN, sk-DNN, BDT) on hepemu's own truths.

Per task, every model family is fitted by the one trainer to the same dataset (its stored
split) under the same wall-clock budget, with and without the task's reference function,
and scored on the test split: R_1, R_0.1 (fractions with |δ| < 1 %, 0.1 %), μ_δ, σ_δ, mean
digits, training time, µs per point (1 thread unless --threads) and size. The 3D task also
times the shipped INN and Gauss–Legendre at equal digits on the same points. Prints a table
per task and writes benchmarks/results/regressors.json as
{task: {model: {R1, R0p1, mu, sigma, digits, train_s, us_per_point, MB, …}}}.

    python benchmarks/regressors.py                    # ~35 min on 2 cores (1.5 min per fit)
    python benchmarks/regressors.py --minutes 5 --tasks 3d
    python benchmarks/regressors.py --quick            # smoke test
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from common import pin_threads, write_json
from rich.console import Console
from rich.table import Table

from hepemu.data.dataset import Dataset
from hepemu.data.generate import GenerationPlan, generate
from hepemu.evaluation.regression import error_map, evaluate_surrogate
from hepemu.training.fit import dataset_columns, fit_networks
from hepemu.training.fit_config import FitCard

console = Console(width=150)

# task → (provider, options, reference, canonicalise, what, input features)
TASKS = {
    "3d": ("gghh-box-1l/integral", (("nodes", 20),), "gl3", [], "gg→HH box I(s12, s14, mH²)", None),
    "5d": (
        "ee-qqg",
        (("y_min", 0.01),),
        "antenna",
        ["beam-azimuth"],
        "e⁺e⁻→qq̄g |M|², √s=91.2",
        None,
    ),
    "8d": (
        "ee4j",
        (("y_min", 0.001),),
        "antenna-q2",
        ["gluon-order"],
        "e⁺e⁻→dd̄gg |M|² (pyamplicol), √s=1 TeV, inputs log s_ij",
        "invariants",
    ),
}
MODELS = {
    "DNN": {"kind": "dnn", "hidden": [128, 128, 128], "activation": "silu"},
    "sk-DNN": {"kind": "skdnn", "width": 64, "blocks": 4, "activation": "leaky_relu"},
    "BDT": {"kind": "bdt", "max_depth": 12, "learning_rate": 0.05, "n_estimators": 20000},
}


def dataset(task: str, n: int, workdir: Path) -> Path:
    provider, options, *_ = TASKS[task]
    out = workdir / f"{task}-{n}.h5"
    generate(GenerationPlan(provider, n, 50_000, seed=7, options=options), out)
    return out


def card(
    path: Path, model: dict, reference: str | None, canon: list, features: str | None, args
) -> FitCard:
    training = {
        "epochs": 100_000,  # the wall-clock budget ends the run; the schedule cools in time
        "decay_epochs": args.decay_epochs,
        "batch_size": 1024,
        "patience": 10_000,
        "max_minutes": args.minutes,
        "threads": args.threads,
        "seed": 0,
    }
    return FitCard.model_validate(
        {
            "data": {"path": str(path)},
            "model": model,
            "preprocessing": {
                "target_transform": "log",
                "reference": reference,
                "canonicalise": canon if reference else [],
                "features": features,
            },
            "training": training,
        }
    )


def fit(cfg: FitCard, out: Path):
    if cfg.model.kind == "bdt":
        from hepemu.training.fit_trees import fit_trees

        return fit_trees(cfg, out)
    return fit_networks(cfg, out)


def row_of(metrics, train_s: float) -> dict:
    m = metrics.as_dict()
    return {
        "R1": m["r_1"],
        "R0p1": m["r_0_1"],
        "mu": m["mu_delta"],
        "sigma": m["sigma_delta"],
        "digits": m["mean_digits"],
        "digits_boundary": m["mean_digits_boundary"],
        "worst_digits": m["worst_digits"],
        "train_s": train_s,
        "us_per_point": m["us_per_point"],
        "MB": None if m["size_bytes"] is None else m["size_bytes"] / 2**20,
        "test_points": m["n_points"],
    }


def run_task(task: str, args, workdir: Path) -> dict:
    provider, options, reference, canon, what, features = TASKS[task]
    console.print(f"[bold]{task}[/]: {what} — {args.points} points")
    path = dataset(task, args.points, workdir)
    ds = Dataset.open(path)
    cols, _ = dataset_columns(ds)
    rows = ds.split("test")
    x, y = ds.read("inputs", rows), ds.read("targets", rows)
    box = None
    if provider.endswith("/integral"):
        from hepemu.physics.integrals.registry import get_integral

        box = np.array(get_integral(provider.removesuffix("/integral")).param_ranges)
    results: dict = {}
    best = None
    for name, model in MODELS.items():
        if name not in args.models:
            continue
        for ref in [r for v, r in (("raw", None), ("ref", reference)) if v in args.variants]:
            label = f"{name}" + (f" ÷ {ref}" if ref else " (raw)")
            tag = f"{ref or 'raw'}" + (f"-{features}" if features else "")  # a new card: new dir
            out = workdir / f"{task}-{args.points}-{name}-{tag}-{args.minutes:g}min"
            t0 = time.perf_counter()
            sur = fit(card(path, model, ref, canon, features, args), out)
            train_s = time.perf_counter() - t0
            metrics, delta = evaluate_surrogate(sur, x, y, box=box)
            results[label] = row_of(metrics, train_s)
            console.print(f"  {label:22s} {results[label]}")
            if best is None or metrics.mean_digits > best[1]:
                best = (label, metrics.mean_digits, delta, sur)
    if best is not None:
        png = Path(args.figures) / f"regressors-{task}-error-map.png"
        error_map(x, best[2], cols, png, title=f"{task}: {best[0]}, median |δ| per bin")
        results["_best"] = {"model": best[0], "error_map": str(png)}
    if task == "3d":
        results.update(inn_and_quadrature(x, y, best, args))
    return results


def inn_and_quadrature(x: np.ndarray, y: np.ndarray, best, args) -> dict:
    """The shipped INN and Gauss–Legendre on the same test points (same threads)."""
    from hepemu.evaluation.regression import regression_metrics, time_per_point_us
    from hepemu.physics.integrals.quadrature import integrate_gauss_legendre
    from hepemu.physics.integrals.registry import get_integral
    from hepemu.registry import load_model

    integ = get_integral("gghh-box-1l")
    box = np.array(integ.param_ranges)
    out = {}
    from hepemu.registry import manifest

    inn = load_model("gghh-box-1l")
    m, _ = evaluate_surrogate(inn, x, y, box=box)
    out["INN (shipped, 4 replicas)"] = row_of(m, float("nan"))
    if "gghh-box-1l-regressor" in manifest():  # trained far longer than the budget above
        reg = load_model("gghh-box-1l-regressor")
        m, _ = evaluate_surrogate(reg, x, y, box=box)
        out["regressor (shipped)"] = row_of(m, float("nan"))
    target = best[1] if best is not None else m.mean_digits
    for n in range(4, 17):
        est = integrate_gauss_legendre(integ, x, 3, n)
        g = regression_metrics(est, y, x=x, box=box)
        if g.mean_digits >= target or n == 16:
            g.us_per_point = time_per_point_us(
                lambda s, n=n: integrate_gauss_legendre(integ, s, 3, n), x[:10_000]
            )
            out[f"Gauss–Legendre {n}³ (≥ best model's digits)"] = row_of(g, 0.0)
            break
    return out


def print_table(task: str, res: dict) -> None:
    t = Table(title=f"{task} — {TASKS[task][4]}")
    for c in (
        "model",
        "R_1",
        "R_0.1",
        "μ_δ",
        "σ_δ",
        "digits",
        "boundary",
        "train s",
        "µs/pt",
        "MB",
    ):
        t.add_column(c)
    for name, r in res.items():
        if name.startswith("_"):
            continue
        t.add_row(
            name,
            f"{r['R1']:.4f}",
            f"{r['R0p1']:.4f}",
            f"{r['mu']:.1e}",
            f"{r['sigma']:.1e}",
            f"{r['digits']:.2f}",
            "" if not np.isfinite(r["digits_boundary"]) else f"{r['digits_boundary']:.2f}",
            f"{r['train_s']:.0f}",
            "" if r["us_per_point"] is None else f"{r['us_per_point']:.2f}",
            "" if r["MB"] is None else f"{r['MB']:.2f}",
        )
    console.print(t)


def merged(old: dict, new: dict, tasks: list[str]) -> dict:
    """``old`` with ``tasks`` replaced by those of ``new``; ``runs`` records, per task, the
    args, wall time and date of the run it came from."""
    runs = old.get("runs") or {
        t: {k: old[k] for k in ("args", "wall_s", "created") if k in old}
        for t, v in old.items()
        if isinstance(v, dict) and "_best" in v
    }
    runs = {
        **runs,
        **dict.fromkeys(tasks, {"args": new["args"], "wall_s": new["wall_s"], "created": _now()}),
    }
    keep = {t: old[t] for t in runs if t in old and t not in tasks}
    return {
        **keep,
        **{t: new[t] for t in tasks},
        "args": new["args"],
        "wall_s": new["wall_s"],
        "runs": runs,
    }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="3d,5d,8d")
    ap.add_argument("--models", default="DNN,sk-DNN,BDT")
    ap.add_argument("--variants", default="raw,ref", help="raw target, ÷ reference, or both")
    ap.add_argument("--points", type=int, default=300_000, help="dataset size per task")
    ap.add_argument("--minutes", type=float, default=1.5, help="wall-clock budget per fit")
    ap.add_argument("--decay-epochs", type=int, default=60, help="lr 1e-3 → 1e-6 over these")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workdir", default="runs/bench_regressors")
    ap.add_argument("--figures", default="benchmarks/results")
    ap.add_argument("--out", default="benchmarks/results/regressors.json")
    ap.add_argument(
        "--merge", action="store_true", help="replace only these tasks in an existing --out"
    )
    ap.add_argument("--quick", action="store_true", help="tiny settings for a smoke test")
    args = ap.parse_args()
    if args.quick:
        args.points, args.minutes, args.decay_epochs = 20_000, 0.1, 5
        args.out, args.figures = "/tmp/regressors_quick.json", "/tmp"
    pin_threads(args.threads)
    torch.set_num_threads(args.threads)
    args.models = args.models.split(",")
    args.variants = args.variants.split(",")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = {}
    for task in args.tasks.split(","):
        results[task] = run_task(task, args, workdir)
        print_table(task, results[task])
    doc = {**results, "args": vars(args), "wall_s": time.perf_counter() - t0}
    if args.merge and Path(args.out).exists():
        doc = merged(json.loads(Path(args.out).read_text()), doc, list(results))
    write_json(args.out, doc)
    console.print(f"wrote {args.out} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
