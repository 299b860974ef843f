"""Benchmark: integration networks where quadrature gets expensive — the two-loop gg→HH
double box — and INNs as control variates (issue 16).

Measured in one run, on one machine, every method with the same threads:

1. Truth of the double box (30 sectors on [0,1]⁶, `gghh-dbox-2l`): lattice QMC (8 random
   shifts, Korobov 3) and tensor Gauss–Legendre at a ladder of sizes, each rule applied to a
   batch of parameter points at once; digits against a 100003 × 8 lattice reference; time per
   parameter point; the pySecDec value at (−10, −5, −4) as an absolute check.
2. Control variate with the shipped one-loop INN (`gghh-box-1l`) over the region: the variance
   ratio Var(f − ∂³N)/Var(f) (plain Monte Carlo needs that many times fewer integrand calls
   at equal error), and QMC errors with and without it at equal lattice size.
3. A double-box INN (k = 6 mixed derivatives) trained for --minutes on this machine: digits
   on unseen points, time per point, and the same control-variate numbers.
4. Training-step cost of the k = 6 derivative against k = 3 and nested autograd.
5. The one-loop INN's throughput through `predict` (NumPy in and out) and through its
   device-resident graph (`INNSurrogate.graph`, a tensor in and out), float32 and float64.

    python benchmarks/inn_dbox.py                    # the named run (~25 min on 2 cores)
    python benchmarks/inn_dbox.py --quick            # smoke test
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from common import pin_threads, write_json
from rich.console import Console
from rich.table import Table

from hepemu.evaluation.metrics import digits

console = Console()
PYSECDEC = (np.array([[-10.0, -5.0, -4.0]]), -9.18759027342678e-3)  # issue 16, ± 6.8e-12


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--points", type=int, default=16, help="double-box parameter points")
    ap.add_argument("--qmc", default="1009,10007,30011", help="lattice sizes to time")
    ap.add_argument("--gl", default="3,4,5,6", help="Gauss–Legendre nodes per axis to time")
    ap.add_argument("--ref-points", type=int, default=100003, help="reference lattice size")
    ap.add_argument("--box-points", type=int, default=64, help="one-loop region points")
    ap.add_argument("--mc-samples", type=int, default=4096, help="samples per variance")
    ap.add_argument("--minutes", type=float, default=10.0, help="double-box INN training")
    ap.add_argument("--hidden", default="32,32,32")
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--workdir", default="runs/bench_dbox")
    ap.add_argument("--out", default="benchmarks/results/inn_dbox.json")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.points, args.qmc, args.gl, args.ref_points = 3, "1009", "3", 10007
        args.box_points, args.mc_samples, args.minutes = 4, 512, 0.3
        args.workdir, args.out = "runs/bench_dbox_quick", "runs/bench_dbox_quick/inn_dbox.json"
    return args


def truth_costs(args, integral) -> tuple[dict, np.ndarray, np.ndarray]:
    """QMC and GL ladders on the same parameter points against a fine lattice."""
    from hepemu.physics.integrals.quadrature import integrate_gauss_legendre, integrate_qmc

    # the pySecDec point first (an absolute check), then uniform points of the region
    s = np.vstack(
        [PYSECDEC[0], integral.sample_params(args.points - 1, np.random.default_rng(2026))]
    )
    t0 = time.perf_counter()
    ref = integrate_qmc(integral, s, 6, n=args.ref_points, n_shifts=8)
    ref_s = time.perf_counter() - t0
    rows = []
    for n in map(int, args.qmc.split(",")):
        t0 = time.perf_counter()
        res = integrate_qmc(integral, s, 6, n=n, n_shifts=8, seed=1)
        dt = time.perf_counter() - t0
        d = digits(res.value, ref.value)
        rows.append(_rule_row(f"QMC {n} x 8", n * 8, dt, args.points, d))
    for n in map(int, args.gl.split(",")):
        t0 = time.perf_counter()
        val = integrate_gauss_legendre(integral, s, 6, n)
        dt = time.perf_counter() - t0
        rows.append(_rule_row(f"GL {n}^6", n**6, dt, args.points, digits(val, ref.value)))
    out = {
        "points": args.points,
        "reference": f"QMC {args.ref_points} x 8",
        "reference_s_per_point": ref_s / args.points,
        "reference_median_rel_error": float(np.median(ref.error / np.abs(ref.value))),
        "rules": rows,
        "pysecdec_check": {
            "point": PYSECDEC[0][0].tolist(),
            "pysecdec": PYSECDEC[1],
            "ours": float(ref.value[0]),
            "ours_error": float(ref.error[0]),
            "pull": float((ref.value[0] - PYSECDEC[1]) / ref.error[0]),
        },
    }
    return out, s, ref.value


def _rule_row(name, evaluations, seconds, points, d) -> dict:
    return {
        "rule": name,
        "evaluations_per_point": int(evaluations),
        "s_per_point": seconds / points,
        "mean_digits": float(np.mean(d)),
        "worst_digits": float(np.min(d)),
    }


def control_variate(model, s: np.ndarray, args, ref: np.ndarray | None = None) -> dict:
    """Variance ratio by plain MC and QMC errors with and without the network, at s."""
    from hepemu.applications.control_variate import control_variate_integrals, variance_ratio
    from hepemu.physics.integrals.quadrature import integrate_qmc

    ratio, _ = variance_ratio(model, s, points=args.mc_samples)
    n = int(args.qmc.split(",")[0])
    k = model.integral.dim
    t0 = time.perf_counter()
    cv = control_variate_integrals(model, s, n=n, n_shifts=8)
    cv_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    plain = integrate_qmc(model.integral, s, k, n=n, n_shifts=8)
    plain_s = time.perf_counter() - t0
    out = {
        "points": len(s),
        "variance_ratio_median": float(np.median(ratio)),
        "variance_ratio_worst": float(np.max(ratio)),
        "variance_reduction_median": float(1 / np.median(ratio)),
        "qmc_points": n,
        "qmc_rel_error_plain_median": float(np.median(plain.error / np.abs(plain.value))),
        "qmc_rel_error_cv_median": float(np.median(cv.error / np.abs(cv.value))),
        "qmc_s_per_point_plain": plain_s / len(s),
        "qmc_s_per_point_cv": cv_s / len(s),
    }
    if ref is not None:
        out["cv_pull_abs_median"] = float(np.median(np.abs(cv.value - ref) / cv.error))
        out["network_mean_digits"] = float(np.mean(digits(cv.network, ref)))
    return out


def train_dbox(
    args,
    s: np.ndarray,
    ref: np.ndarray,
    integral: str = "gghh-dbox-2l",
    minutes: float | None = None,
    workdir: Path | None = None,
) -> tuple[dict, object]:
    """Train one double-box INN (``integral``: the whole box or a sector subset) for
    ``minutes`` (default ``args.minutes``); digits against ``ref`` at s, µs per point."""
    from hepemu.training.inn_config import INNTrainConfig
    from hepemu.training.inn_train import train_replicas

    minutes = args.minutes if minutes is None else minutes
    cfg = INNTrainConfig(
        integral=integral,
        hidden=[int(h) for h in args.hidden.split(",")],
        activation="gelu",
        ansatz="anchored",
        korobov_order=1,
        normalisation="gl2",  # 2⁶ nodes per point: the 3⁶ of gl3 cost more than the network
        batch_size=args.batch,
        steps=1_000_000,
        lr=2e-3,
        val_points=16,
        val_every=100,
        threads=args.threads,
    )
    t0 = time.perf_counter()
    workdir = Path(args.workdir) / "inn" if workdir is None else workdir
    model = train_replicas(cfg, workdir, 1, max_seconds=60 * minutes)
    train_s = time.perf_counter() - t0
    steps = model.info["replicas"][0]["steps"]
    mean, _ = model.predict(s)
    d = digits(mean, ref)
    timing = model.integral.sample_params(2000, np.random.default_rng(5))
    t0 = time.perf_counter()
    model.predict(timing)  # per point over 2000 points (numpy in and out, normaliser included)
    us = 1e6 * (time.perf_counter() - t0) / len(timing)
    return {
        "hidden": cfg.hidden,
        "normalisation": cfg.normalisation,
        "batch": cfg.batch_size,
        "train_s": train_s,
        "steps": steps,
        "s_per_step": model.info["replicas"][0]["train_time_s"] / max(steps, 1),
        "mean_digits": float(np.mean(d)),
        "worst_digits": float(np.min(d)),
        "us_per_point": us,
    }, model


def step_costs(args) -> list[dict]:
    """Adam-step cost (forward + backward of the k-th mixed derivative) for k = 3 and 6."""
    import torch

    from hepemu.models.inn import INN, nested_autograd_derivative

    rows = []
    hidden = tuple(int(h) for h in args.hidden.split(","))
    for k in (3, 6):
        torch.manual_seed(0)
        net = INN(3, k, hidden, "gelu")
        s, x = torch.rand(args.batch, 3) * 2 - 1, torch.rand(args.batch, k)
        row = {"k": k, "batch": args.batch, "hidden": list(hidden)}
        for name, fn in (
            ("subset_s", net.derivative),
            ("nested_autograd_s", lambda a, b, n=net: nested_autograd_derivative(n, a, b)),
        ):
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                net.zero_grad()
                fn(s, x).square().mean().backward()
                times.append(time.perf_counter() - t0)
            row[name] = float(np.median(times))
        rows.append(row)
    return rows


def graph_throughput(args) -> dict:
    """Integrals per second of the shipped box INN: predict vs its torch graph (CPU here)."""
    import torch

    from hepemu.registry import load_model

    model = load_model("gghh-box-1l")
    n = 65536 if not args.quick else 4096
    s = model.integral.sample_params(n, np.random.default_rng(6))
    out = {"points": n}

    def rate(fn) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return n / float(np.median(times))

    out["predict_per_s"] = rate(lambda: model.predict(s))
    for name, dtype in (("float32", torch.float32), ("float64", torch.float64)):
        graph, st = model.graph(dtype), torch.tensor(s, dtype=dtype)
        with torch.no_grad():
            out[f"graph_{name}_per_s"] = rate(lambda g=graph, x=st: g(x))
    return out


def main(argv=None) -> None:
    args = parse(argv)
    pin_threads(args.threads)
    from hepemu.physics.integrals.registry import get_integral
    from hepemu.registry import load_model

    dbox = get_integral("gghh-dbox-2l")
    result: dict = {"command": "python " + shlex.join(sys.argv), "args": vars(args)}
    console.print("[bold]1. double-box truth[/]")
    result["truth"], s, ref = truth_costs(args, dbox)
    console.print("[bold]2. control variate, one-loop box[/]")
    box = load_model("gghh-box-1l")
    s_box = box.integral.sample_params(args.box_points, np.random.default_rng(31))
    result["box_control_variate"] = control_variate(box, s_box, args)
    console.print("[bold]3. double-box INN[/]")
    result["dbox_inn"], model = train_dbox(args, s, ref)
    result["dbox_control_variate"] = control_variate(model, s, args, ref)
    console.print("[bold]4. training-step cost[/]")
    result["step_costs"] = step_costs(args)
    console.print("[bold]5. device-resident path[/]")
    result["box_graph_throughput"] = graph_throughput(args)
    write_json(args.out, result)
    report(result)


def report(r: dict) -> None:
    t = Table(title=f"double box: rules vs {r['truth']['reference']} ({r['truth']['points']} pts)")
    for c in ("rule", "calls/point", "s/point", "mean digits", "worst"):
        t.add_column(c)
    for row in r["truth"]["rules"]:
        t.add_row(
            row["rule"],
            f"{row['evaluations_per_point']:.3g}",
            f"{row['s_per_point']:.3g}",
            f"{row['mean_digits']:.2f}",
            f"{row['worst_digits']:.2f}",
        )
    inn = r["dbox_inn"]
    t.add_row(
        f"INN {inn['hidden']} ({inn['steps']} steps)",
        "—",
        f"{inn['us_per_point'] * 1e-6:.3g}",
        f"{inn['mean_digits']:.2f}",
        f"{inn['worst_digits']:.2f}",
    )
    console.print(t)
    console.print(r["truth"]["pysecdec_check"])
    for key in ("box_control_variate", "dbox_control_variate"):
        console.print(key, r[key])
    console.print(r["step_costs"])
    console.print(r["box_graph_throughput"])


if __name__ == "__main__":
    main()
