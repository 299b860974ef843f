"""Benchmark: integration networks on the gg→HH one-loop box vs Gauss–Legendre and QMC.

Prints a table and writes benchmarks/results/inn_gghh.json. Default: a few CPU minutes.

    python benchmarks/inn_gghh.py                      # quick grid, 1 min per config
    python benchmarks/inn_gghh.py --minutes 20 --configs gelu:3x130,tanh:3x130   # fuller
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from common import write_json
from rich.console import Console
from rich.table import Table

from hepemu.evaluation.inn_eval import ReferenceSet, evaluate, median_time
from hepemu.evaluation.metrics import p_values
from hepemu.models.inn import INN, nested_autograd_derivative
from hepemu.models.inn_surrogate import INNSurrogate
from hepemu.physics.integrals.quadrature import integrate_gauss_legendre, integrate_qmc
from hepemu.physics.integrals.registry import get_integral
from hepemu.registry import load_model
from hepemu.training.inn_config import INNTrainConfig
from hepemu.training.inn_train import INNTrainer

console = Console()


def parse_configs(text: str) -> list[tuple[str, list[int]]]:
    out = []
    for item in text.split(","):
        act, arch = item.split(":")
        depth, width = arch.lower().split("x")
        out.append((act, [int(width)] * int(depth)))
    return out


def train_grid(args, refset, integral) -> list[dict]:
    rows = []
    for act, hidden in parse_configs(args.configs):
        cfg = INNTrainConfig(
            integral=integral.name,
            activation=act,
            hidden=hidden,
            ansatz=args.ansatz,
            korobov_order=args.korobov,
            dtype=args.dtype,
            batch_size=args.batch,
            steps=10**7,
            val_every=100,
            device=args.device,
            seed=args.seed,
        )
        trainer = INNTrainer(cfg, Path(args.workdir) / f"{act}-{len(hidden)}x{hidden[0]}")
        t0 = time.perf_counter()
        trainer.train(max_seconds=60 * args.minutes)
        net = trainer.best_network().cpu().double()
        sur = INNSurrogate(integral, [net], cfg.normalisation, cfg.korobov_order)
        summ, _, _ = evaluate(sur, refset)
        rows.append(
            {
                "activation": act,
                "architecture": f"{len(hidden)}x{hidden[0]}",
                "steps": trainer.state.step,
                "train_s": time.perf_counter() - t0,
                "mean_digits": summ.mean_digits,
                "boundary_digits": summ.mean_digits_boundary,
            }
        )
        console.print(rows[-1])
    return rows


def cheapest_to_reach(target: float, candidates, digits_fn):
    """First candidate (ascending cost) whose mean digits reach ``target``."""
    for c in candidates:
        d = digits_fn(c)
        if d >= target:
            return c, d
    return None, None


def throughput(args, refset, integral, surrogate) -> dict:
    s = refset.s[: args.timing_points]
    ref = refset.ref[: args.timing_points]
    res = {}
    inn_digits = float(-p_values(surrogate.predict(s)[0], ref).mean())
    res["inn"] = {
        "digits": inn_digits,
        "per_s": len(s) / median_time(lambda: surrogate.predict(s), args.repeats),
    }
    if torch.cuda.is_available():
        gpu = INNSurrogate(
            integral,
            [r for r in surrogate.replicas],
            surrogate.normalisation,
            surrogate.korobov_order,
        ).to("cuda")
        res["inn_cuda"] = {"per_s": len(s) / median_time(lambda: gpu.predict(s), args.repeats)}
        surrogate.to("cpu")
    target = args.target_digits

    def gl_dig(n):
        return float(-p_values(integrate_gauss_legendre(integral, s, integral.dim, n), ref).mean())

    for label, tgt in (("gl_at_target", target), ("gl_at_inn", inn_digits)):
        n, d = cheapest_to_reach(tgt, range(3, 41), gl_dig)
        if n is not None:
            t = median_time(
                lambda n=n: integrate_gauss_legendre(integral, s, integral.dim, n), args.repeats
            )
            res[label] = {"nodes": f"{n}^3", "digits": d, "per_s": len(s) / t}

    def qmc_dig(n):
        q = integrate_qmc(integral, s, integral.dim, n=n, n_shifts=args.qmc_shifts, seed=1)
        return float(-p_values(q.value, ref).mean())

    primes = [31, 61, 127, 251, 503, 1009, 2003, 4001, 8009, 16007, 32003]
    n, d = cheapest_to_reach(target, primes, qmc_dig)
    if n is not None:
        t = median_time(
            lambda: integrate_qmc(integral, s, integral.dim, n=n, n_shifts=args.qmc_shifts),
            args.repeats,
        )
        res["qmc_at_target"] = {
            "lattice": n,
            "shifts": args.qmc_shifts,
            "digits": d,
            "per_s": len(s) / t,
        }
    res["pysecdec"] = pysecdec_timing(args)
    return res


def pysecdec_timing(args) -> dict | None:
    """Run benchmarks/pysecdec_gghh.py in this same run when pySecDec is installed.

    pySecDec integrates the whole box (all sectors) at the requested relative accuracy; its
    per-point time is reported beside the INN's for the single-sector benchmark.
    """
    try:
        import pySecDec  # noqa: F401
    except ImportError:
        return {"status": "pySecDec not installed (pip install pysecdec; needs g++ and make)"}
    out = Path(args.workdir) / "pysecdec_in_inn_bench.json"
    cmd = [
        sys.executable,
        str(Path(__file__).with_name("pysecdec_gghh.py")),
        "--points",
        str(args.pysecdec_points),
        "--epsrel",
        str(args.pysecdec_epsrel),
        "--minn",
        "1000",
        "--threads",
        "1",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"status": f"pySecDec run failed: {proc.stderr[-500:]}"}
    summary = json.loads(out.read_text())["summary"]
    return {
        "status": "measured",
        "epsrel": args.pysecdec_epsrel,
        "digits": summary["mean_digits_vs_gl"],
        "per_s": 1e3 / summary["median_ms_per_point"],
        "summary": summary,
    }


def _fit_step(net, deriv, s, x) -> None:
    net.zero_grad()
    deriv(s, x).square().mean().backward()


def derivative_speedup(args) -> list[dict]:
    """Forward+backward time of the subset-derivative pass vs nested autograd."""
    rows = []
    for k in (3, 6):
        torch.manual_seed(0)
        net = INN(3, k, (64, 64, 64), "gelu")
        s = torch.rand(args.deriv_batch, 3) * 2 - 1
        x = torch.rand(args.deriv_batch, k)
        tf = median_time(lambda n=net, s=s, x=x: _fit_step(n, n.derivative, s, x), args.repeats)
        ts = median_time(
            lambda n=net, s=s, x=x: _fit_step(
                n, lambda a, b: nested_autograd_derivative(n, a, b), s, x
            ),
            args.repeats,
        )
        rows.append(
            {
                "k": k,
                "batch": args.deriv_batch,
                "subset_s": tf,
                "nested_autograd_s": ts,
                "speedup": ts / tf,
            }
        )
        console.print(rows[-1])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--integral", default="gghh-box-1l")
    ap.add_argument("--model", default="gghh-box-1l", help="shipped model or file to time")
    ap.add_argument("--configs", default="gelu:3x64,tanh:3x64,sigmoid:3x64,softsign:3x64")
    ap.add_argument("--minutes", type=float, default=1.0, help="training minutes per config")
    ap.add_argument("--ansatz", default="anchored")
    ap.add_argument("--korobov", type=int, default=1)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--timing-points", type=int, default=1000)
    ap.add_argument("--target-digits", type=float, default=4.0)
    ap.add_argument("--qmc-shifts", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--deriv-batch", type=int, default=4096)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--pysecdec-points", type=int, default=20)
    ap.add_argument("--pysecdec-epsrel", type=float, default=1e-4)
    ap.add_argument("--workdir", default="runs/bench_inn")
    ap.add_argument("--out", default="benchmarks/results/inn_gghh.json")
    args = ap.parse_args()

    integral = get_integral(args.integral)
    console.print(f"reference set: {args.points} points, GL 32³ …")
    refset = ReferenceSet.make(integral, args.points, seed=777)
    surrogate = load_model(args.model)
    shipped, _, _ = evaluate(surrogate, refset)
    grid = [] if args.skip_training else train_grid(args, refset, integral)
    thr = throughput(args, refset, integral, surrogate)
    speed = derivative_speedup(args)

    t = Table(title=f"INN on {integral.name}: {args.points} unseen points")
    for c in ("model", "steps", "train time", "mean digits", "boundary digits"):
        t.add_column(c)
    t.add_row(
        f"shipped ({surrogate.n_replicas} replicas)",
        "-",
        "-",
        f"{shipped.mean_digits:.2f}",
        f"{shipped.mean_digits_boundary:.2f}",
    )
    for r in grid:
        t.add_row(
            f"{r['activation']} {r['architecture']}",
            str(r["steps"]),
            f"{r['train_s']:.0f} s",
            f"{r['mean_digits']:.2f}",
            f"{r['boundary_digits']:.2f}",
        )
    console.print(t)
    t2 = Table(title="throughput, same machine, same run (median of repeats)")
    for c in ("method", "setting", "mean digits", "integrals/s", "INN speed-up"):
        t2.add_column(c)
    inn_rate = thr["inn"]["per_s"]
    for key, v in thr.items():
        if not isinstance(v, dict) or "per_s" not in v:
            continue
        setting = v.get("nodes") or (f"n={v['lattice']}×{v['shifts']}" if "lattice" in v else "")
        if key == "pysecdec":
            setting = f"epsrel {v['epsrel']:g}, whole box"
        t2.add_row(
            key,
            setting,
            f"{v.get('digits', float('nan')):.2f}",
            f"{v['per_s']:.3g}",
            f"{inn_rate / v['per_s']:.2f}×",
        )
    console.print(t2)
    result = {
        "args": vars(args),
        "shipped": shipped.as_dict(),
        "shipped_info": surrogate.info,
        "training_grid": grid,
        "throughput": thr,
        "derivative_speedup": speed,
    }
    write_json(args.out, result)
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
