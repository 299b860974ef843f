"""Benchmark: the factorisation-aware ME emulator against the best plain regressor.

Per process (ee3j, ee4j, ee5j: e⁺e⁻ → d d̄ + 1…3 g, pyamplicol truth, √s = 1 TeV, RAMBO with
every s_ij/s > y_cut) both models are fitted by the one trainer to the same dataset under the
same wall-clock budget: the dipole emulator (Maître & Truong) and the best regressor of
benchmarks/regressors.py (DNN on log s_ij, ÷ antenna-q2, log target), and the paper's
baseline, a DNN fitting arcsinh |M|² from the momenta directly. On the test split:
fractions of points outside 0.1 % / 1 % / 5 %, median |δ|, the cross section (flat RAMBO:
the mean |M|²) against the truth's with its Monte Carlo error, and µs per point of both models
and of pyamplicol (same thread count). With --extrapolate Y, both are also scored on points
with Y < min s_ij/s < y_cut, outside the region they were trained on; on --trajectories
random straight lines through RAMBO's cube (no cuts), accuracy per unresolved region
(inside the cut, single, single+single, double, double+single: the paper's Table 2).

With --members N the dipole model is an ensemble (its first network alone is scored too, the
same budget as the other rows; the calibrated error bar's coverage is recorded); --cut-grid
trains one dipole network per further cut and scores all of them per bin of min s_ij/s on
one sample (the extrapolation table); --ship saves each dipole ensemble into the registry.

    python benchmarks/me_emulator.py --processes ee3j,ee4j --minutes 10
    python benchmarks/me_emulator.py --quick            # smoke test
Writes benchmarks/results/me_emulator.json as {process: {model: {...}}, "args": …}.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from common import pin_threads, write_json
from rich.console import Console
from rich.table import Table

from hepemu.data.dataset import Dataset
from hepemu.data.generate import GenerationPlan, generate
from hepemu.data.samplers import straight_lines
from hepemu.evaluation.regression import evaluate_surrogate, time_per_point_us
from hepemu.models.regressor import NetworkRegressor
from hepemu.physics.cuts import REGIONS, unresolved_regions
from hepemu.physics.features import DIPOLE_FEATURES
from hepemu.physics.kinematics import min_pair_ratio
from hepemu.physics.providers import get_provider
from hepemu.physics.tree.amplicol import NAMED_PROCESSES
from hepemu.training.fit import fit_networks
from hepemu.training.fit_config import FitCard

console = Console(width=150)


def cards(path: Path, args) -> dict[str, tuple[str, FitCard]]:
    """{label: (run-directory tag, card)} of the models selected by --models."""
    training = {
        "epochs": 100_000,  # the wall-clock budget ends the run
        **(
            {"decay_minutes": args.minutes}
            if args.decay_by_time
            else {"decay_epochs": args.decay_epochs}
        ),
        "batch_size": args.batch_size,
        "patience": 10_000,
        "max_minutes": args.minutes,
        "threads": args.threads,
        "seed": 0,
    }
    dipole = {
        "data": {"path": str(path)},
        "model": {
            "kind": "dipole",
            "hidden": args.hidden,
            "activation": args.activation,
            "penalty": args.penalty,
        },
        "preprocessing": {
            "target_transform": "arcsinh",
            "arcsinh_scale": "min",
            "features": args.dipole_features,
        },
        "training": {**training, "members": args.members},
    }
    direct = {
        "data": {"path": str(path)},
        "model": {"kind": "dnn", "hidden": args.hidden, "activation": args.activation},
        "preprocessing": {"target_transform": "arcsinh", "arcsinh_scale": "min"},
        "training": training,
    }
    baseline = {
        "data": {"path": str(path)},
        "model": {"kind": "dnn", "hidden": args.hidden, "activation": "silu"},
        "preprocessing": {
            "target_transform": "log",
            "reference": "antenna-q2",
            "canonicalise": ["gluon-order"],
            "features": "invariants",
        },
        "training": training,
    }
    out = {
        "dipole": ("dipole emulator", dipole),
        "direct": ("DNN, arcsinh |M|² (momenta)", direct),
        "best": ("DNN ÷ antenna-q2 (log s_ij)", baseline),
    }
    tags = {"dipole": f"dipole-{args.dipole_features}", "direct": "direct", "best": "best"}
    return {
        name: (tags[k], FitCard.model_validate(c))
        for k, (name, c) in out.items()
        if k in args.models
    }


def xsec_curve(pred: np.ndarray, y: np.ndarray) -> list[dict]:
    """Emulator vs truth cross section (flat weights: mean |M|²) on the first n test points,
    n = 10³, 10⁴, … , all, beside the truth's Monte Carlo error at that n."""
    out = []
    for n in [*(10**k for k in range(3, 9) if 10**k < len(y)), len(y)]:
        p, t = pred[:n], y[:n]
        out.append(
            {
                "n": int(n),
                "rel_diff": float(p.mean() / t.mean() - 1),
                "mc_rel_err": float(t.std(ddof=1) / np.sqrt(n) / t.mean()),
            }
        )
    return out


def scores(sur, x: np.ndarray, y: np.ndarray, timing: bool) -> dict:
    m, delta = evaluate_surrogate(sur, x, y, timing_points=10_000 if timing else 0)
    a = np.abs(delta)
    pred, sigma = sur.predict(x)
    mc = float(np.std(y, ddof=1) / np.sqrt(len(y)) / np.mean(y))
    return {
        "points": len(y),
        "out_0p1": float(np.mean(a > 1e-3)),
        "out_1": float(np.mean(a > 1e-2)),
        "out_5": float(np.mean(a > 5e-2)),
        "median_abs_delta": float(np.median(a)),
        "xsec_rel_diff": float(np.mean(pred) / np.mean(y) - 1),
        "xsec_mc_rel_err": mc,
        "xsec_vs_points": xsec_curve(pred, y),
        "us_per_point": m.us_per_point,
        "MB": None if m.size_bytes is None else m.size_bytes / 2**20,
        # ensembles: share of points whose calibrated error bar covers the truth (68 % aimed)
        "coverage_1sigma": (
            float(np.mean(np.abs(pred - y) <= sigma)) if np.isfinite(sigma).all() else None
        ),
    }


def trajectories(process: str, args) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straight lines in RAMBO's unit cube mapped to phase space, no cuts (MT appendix C):
    inputs, truth and the unresolved region of every point relative to the training cut."""
    prov = get_provider(process)
    u = straight_lines(args.trajectories, 200, prov.unit_dim, np.random.default_rng(9))
    x, kept = prov.from_unit(u.reshape(-1, prov.unit_dim))
    x = x[kept]
    region = unresolved_regions(x.reshape(len(x), -1, 4)[:, 2:], args.y_cut)
    return x, np.asarray(prov(x), dtype=float), region


def trajectory_scores(sur, x: np.ndarray, y: np.ndarray, region: np.ndarray) -> dict:
    """Per region: fraction of trajectory points, and of them outside 0.1 % / 1 % / 5 %."""
    try:
        pred = sur.predict(x)[0]
    except ValueError:  # features undefined at some degenerate point: score point by point
        pred = np.array([_safe(sur, row) for row in x])
    a = np.abs(pred / y - 1)
    a = np.where(np.isfinite(a), a, np.inf)
    out = {}
    for r in REGIONS:
        m = region == r
        if m.any():
            out[r] = {
                "fraction": float(m.mean()),
                "out_0p1": float(np.mean(a[m] > 1e-3)),
                "out_1": float(np.mean(a[m] > 1e-2)),
                "out_5": float(np.mean(a[m] > 5e-2)),
            }
    return out


def _safe(sur, row: np.ndarray) -> float:
    try:
        return float(sur.predict(row[None])[0][0])
    except ValueError:
        return float("nan")


def dataset(
    process: str, y_min: float, points: int, seed: int, workdir: Path, kind: str = ""
) -> Path:
    """Generate (or reuse) a RAMBO dataset with every s_ij/s > y_min; ``kind`` "test" names
    the evaluation samples below the training cut."""
    path = workdir / f"{process}-{y_min:g}-{kind}{points}.h5"
    plan = GenerationPlan(process, points, 100_000, seed=seed, options=(("y_min", y_min),))
    generate(plan, path)
    return path


def read_xy(path: Path, split: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    ds = Dataset.open(path)
    rows = ds.split(split) if split else None
    return ds.read("inputs", rows), ds.read("targets", rows).ravel()


def run_dir(workdir: Path, process: str, cut: float, tag: str, args) -> Path:
    """One fit's directory: everything its checkpoint depends on is in the name."""
    decay = "t" if args.decay_by_time else f"e{args.decay_epochs}"
    return workdir / (
        f"{process}-{cut:g}-{args.points}-{tag}-{args.activation}-{args.minutes:g}-{decay}"
    )


def cut_bins(cuts: list[float]) -> list[tuple[float, float]]:
    """Bins of min s_ij/s between consecutive training cuts, the last one open."""
    edges = sorted(set(cuts))
    return list(zip(edges, [*edges[1:], np.inf], strict=True))


MIN_BIN_POINTS = 100  # fewer points in a bin of min s_ij/s: no score


def binned_scores(sur, x: np.ndarray, y: np.ndarray, ratio: np.ndarray, bins) -> dict:
    """Scores per bin of min s_ij/s, keyed "lo–hi"."""
    out = {}
    for lo, hi in bins:
        m = (ratio >= lo) & (ratio < hi)
        if m.sum() >= MIN_BIN_POINTS:
            out[bin_key(lo, hi)] = scores(sur, x[m], y[m], timing=False)
    return out


def bin_key(lo: float, hi: float) -> str:
    return f"{lo:g}-{hi:g}"


def cut_grid(process: str, args, workdir: Path, main_dipole) -> dict:
    """The dipole model trained at each cut of --cut-grid (one network each; at --y-cut the
    first member of the main run's ensemble), scored in every bin of min s_ij/s on one
    sample generated at the lowest cut: the extrapolation table (trained at 10⁻² → scored
    at 10⁻³, 10⁻⁴, and back)."""
    cuts = sorted({args.y_cut, *args.cut_grid})
    gx, gy = read_xy(dataset(process, cuts[0], args.points // 4, 8, workdir, "test"))
    ratio = min_pair_ratio(gx.reshape(len(gx), -1, 4))
    bins = cut_bins(cuts)
    single = argparse.Namespace(**{**vars(args), "members": 1, "models": ["dipole"]})
    grid = {}
    for c in cuts:
        if c == args.y_cut and main_dipole is not None:  # its first member: one net per row
            sur = first_member(main_dipole)
        else:
            path = dataset(process, c, args.points, 7, workdir)
            tag, card = next(iter(cards(path, single).values()))
            sur = fit_networks(card, run_dir(workdir, process, c, tag, args))
        grid[f"{c:g}"] = binned_scores(sur, gx, gy, ratio, bins)
        console.print(
            f"  trained at y_cut {c:g}: "
            + ", ".join(f"{b} {r['out_1']:.3f}" for b, r in grid[f"{c:g}"].items())
        )
    return grid


def first_member(m: NetworkRegressor) -> NetworkRegressor:
    return NetworkRegressor(m.members[:1], m.spec, m.pre, m.input_columns, m.target)


def ship(process: str, sur, args) -> dict:
    """Save the process's dipole ensemble into the package registry under its name."""
    from hepemu.registry import _pretrained_dir, register

    path = _pretrained_dir() / f"{process}.safetensors"
    sur.save(path)
    desc = (
        f"{NAMED_PROCESSES[process]} at sqrt(s) = 1 TeV (pyamplicol truth), "
        f"y_cut {args.y_cut:g}: factorisation-aware dipole emulator (Maitre & Truong), "
        f"ensemble of {args.members} DNNs ({'x'.join(map(str, args.hidden))} {args.activation}, "
        f"{args.dipole_features}), {args.minutes:g} CPU-min each on {args.points} RAMBO points "
        "(benchmarks/me_emulator.py); error bar = ensemble spread calibrated to 68 % on the "
        "validation split"
    )
    return register(process, path, desc)


def run_process(process: str, args, workdir: Path) -> dict:
    console.print(f"[bold]{process}[/]: {args.points} points, y_cut {args.y_cut:g}")
    path = dataset(process, args.y_cut, args.points, 7, workdir)
    x, y = read_xy(path, "test")
    far = None
    if args.extrapolate:
        fx, fy = read_xy(dataset(process, args.extrapolate, args.points // 4, 8, workdir, "test"))
        outside = min_pair_ratio(fx.reshape(len(fx), -1, 4)) < args.y_cut
        far = (fx[outside], fy[outside])
    prov = get_provider(process)
    out: dict = {
        "pyamplicol": {"us_per_point": time_per_point_us(prov, x[:10_000], 5)},
    }
    traj = trajectories(process, args) if args.trajectories else None
    dipole = None
    for name, (tag, cfg) in cards(path, args).items():
        if cfg.training.members > 1:
            tag += f"-x{cfg.training.members}"
        t0 = time.perf_counter()
        sur = fit_networks(cfg, run_dir(workdir, process, args.y_cut, tag, args))
        row = scores(sur, x, y, timing=True)
        row["train_s"] = time.perf_counter() - t0
        if far is not None:
            row["extrapolated"] = scores(sur, *far, timing=False)
        if traj is not None:
            row["trajectories"] = trajectory_scores(sur, *traj)
        out[name] = row
        console.print(f"  {name:30s} {row}")
        if cfg.model.kind == "dipole":
            dipole = sur
            if sur.n_members > 1:  # the same budget as each other model: one member
                first = first_member(sur)
                out[f"{name}, 1 member"] = scores(first, x, y, timing=False)
    if args.cut_grid:
        out["cut_grid"] = cut_grid(process, args, workdir, dipole)
    if args.ship and dipole is not None:
        out["shipped"] = ship(process, dipole, args)
    return out


def print_table(process: str, res: dict) -> None:
    t = Table(title=f"{process}: fractions of test points outside 0.1 % / 1 % / 5 %")
    for c in ("model", ">0.1%", ">1%", ">5%", "median|δ|", "σ diff", "MC err", "µs/pt", "train s"):
        t.add_column(c)
    for name, r in res.items():
        if name in ("cut_grid", "shipped"):
            continue
        if "out_1" not in r:
            t.add_row(name, "", "", "", "", "", "", f"{r['us_per_point']:.2f}", "")
            continue
        t.add_row(
            name,
            f"{r['out_0p1']:.4f}",
            f"{r['out_1']:.4f}",
            f"{r['out_5']:.4f}",
            f"{r['median_abs_delta']:.1e}",
            f"{r['xsec_rel_diff']:+.1e}",
            f"{r['xsec_mc_rel_err']:.1e}",
            "" if r["us_per_point"] is None else f"{r['us_per_point']:.2f}",
            f"{r['train_s']:.0f}" if "train_s" in r else "",
        )
        if "extrapolated" in r:
            e = r["extrapolated"]
            t.add_row(
                "  ↳ below y_cut",
                f"{e['out_0p1']:.4f}",
                f"{e['out_1']:.4f}",
                f"{e['out_5']:.4f}",
                f"{e['median_abs_delta']:.1e}",
                f"{e['xsec_rel_diff']:+.1e}",
                f"{e['xsec_mc_rel_err']:.1e}",
                "",
                "",
            )
    console.print(t)
    if "cut_grid" in res:
        g = Table(title=f"{process}: dipole model, points outside 1 % per bin of min s_ij/s")
        bins = list(next(iter(res["cut_grid"].values())))
        for c in ("trained at y_cut", *bins):
            g.add_column(c)
        for cut, row in res["cut_grid"].items():
            g.add_row(cut, *(f"{row[b]['out_1']:.4f}" if b in row else "–" for b in bins))
        console.print(g)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", default="ee3j,ee4j,ee5j")
    ap.add_argument("--models", default="dipole,direct,best", help="dipole, direct, best")
    ap.add_argument("--dipole-features", default="ee-dipoles", choices=list(DIPOLE_FEATURES))
    ap.add_argument("--y-cut", type=float, default=1e-3)
    ap.add_argument("--extrapolate", type=float, default=1e-4, help="0 to skip")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--trajectories", type=int, default=50, help="lines of 200 points; 0: none")
    ap.add_argument("--minutes", type=float, default=10.0, help="wall-clock budget per fit")
    ap.add_argument("--decay-epochs", type=int, default=100)
    ap.add_argument(
        "--decay-by-time",
        action="store_true",
        help="cool lr → lr_min over each fit's --minutes instead of --decay-epochs",
    )
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--hidden", default="128,128,128")
    ap.add_argument("--activation", default="tanh")
    ap.add_argument("--penalty", type=float, default=1e-3)
    ap.add_argument("--members", type=int, default=1, help="ensemble size of the dipole model")
    ap.add_argument(
        "--cut-grid", default="", help="further training cuts of the dipole model, e.g. 1e-2,1e-4"
    )
    ap.add_argument(
        "--ship", action="store_true", help="save each dipole ensemble into the package registry"
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", default="runs/bench_me_emulator")
    ap.add_argument("--out", default="benchmarks/results/me_emulator.json")
    ap.add_argument("--quick", action="store_true", help="tiny settings for a smoke test")
    args = ap.parse_args()
    if args.ship and (args.quick or args.members < 2 or "dipole" not in args.models.split(",")):
        ap.error("--ship needs the dipole model as an ensemble (--members ≥ 2), not --quick")
    if args.ship and set(args.processes.split(",")) - set(NAMED_PROCESSES):
        ap.error(f"--ship names models after the processes {', '.join(NAMED_PROCESSES)}")
    if args.quick:
        args.points, args.minutes, args.decay_epochs = 20_000, 0.1, 5
        args.out = "/tmp/me_emulator_quick.json"
    args.hidden = [int(h) for h in args.hidden.split(",")]
    args.models = args.models.split(",")
    args.cut_grid = [float(c) for c in args.cut_grid.split(",") if c]
    pin_threads(args.threads)
    torch.set_num_threads(args.threads)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = {}
    for process in args.processes.split(","):
        results[process] = run_process(process, args, workdir)
        print_table(process, results[process])
    command = shlex.join(["python", "benchmarks/me_emulator.py", *sys.argv[1:]])
    write_json(
        args.out,
        {**results, "args": vars(args), "command": command, "wall_s": time.perf_counter() - t0},
    )
    console.print(f"wrote {args.out} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
