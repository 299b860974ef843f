"""Benchmark: integration networks on the gg→HH one-loop box vs Gauss–Legendre and QMC.

One run measures everything docs/results/integrals.md quotes about the INN and writes it
to benchmarks/results/inn_gghh.json (write the results pages with benchmarks/results_pages.py):

- precision of the shipped replica set (and of its single replicas / first two) on unseen
  points, error-bar coverage on further points;
- a short equal-budget training run per activation;
- throughput against the strongest baselines we could write, all on the SAME points, with the
  SAME number of threads (``--threads``, pinned for torch, OpenMP and BLAS): the library's
  Gauss–Legendre and lattice QMC (both broadcast over the nodes) and hand-written versions
  that use that the box's F is linear in the invariants (F = A(x) + s·B(x): one matrix
  product per sector); every rule at a ladder of sizes, so that each method is compared at
  the INN's own digits (smallest size reaching them, and the rate interpolated to them);
- the whole box (four sectors) by Gauss–Legendre at pySecDec's digits, and pySecDec itself
  when it is installed (otherwise the results page quotes an earlier pySecDec run, saying so);
- subset-derivative pass vs nested autograd, and torch.compile of the training loss.

    python benchmarks/inn_gghh.py --threads 1  # the quoted run, ~10 min on 2 cores
    python benchmarks/inn_gghh.py --quick                 # smoke test, ~1 min, not for quoting
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import pin_threads, timed, write_json

RESULTS = Path(__file__).with_name("results")
# the pySecDec run quoted when pySecDec is not installed (copied from an earlier inn_gghh run)
PYSECDEC_FALLBACK = RESULTS / "pysecdec_gghh_epsrel1e-4.json"


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="threads for every method")
    ap.add_argument("--integral", default="gghh-box-1l")
    ap.add_argument("--model", default="gghh-box-1l", help="shipped model or file to time")
    ap.add_argument("--configs", default="gelu:3x64,tanh:3x64,sigmoid:3x64,softsign:3x64")
    ap.add_argument("--minutes", type=float, default=1.0, help="training minutes per config")
    ap.add_argument("--ansatz", default="anchored")
    ap.add_argument("--korobov", type=int, default=1)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--points", type=int, default=2000, help="unseen points (precision, timing)")
    ap.add_argument("--calibration-points", type=int, default=2000)
    ap.add_argument("--gl-orders", default="3-16", help="Gauss–Legendre nodes per axis, a-b")
    ap.add_argument("--box-gl-orders", default="6-20", help="the same for the whole box")
    ap.add_argument("--qmc-shifts", type=int, default=4)
    ap.add_argument("--qmc-max", type=int, default=32768, help="largest QMC lattice tried")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--deriv-batch", type=int, default=4096)
    ap.add_argument("--compile-steps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--skip-compile", action="store_true")
    ap.add_argument("--skip-pysecdec", action="store_true")
    ap.add_argument("--pysecdec-points", type=int, default=20)
    ap.add_argument("--pysecdec-epsrel", type=float, default=1e-4)
    ap.add_argument("--quick", action="store_true", help="tiny settings for a smoke test")
    ap.add_argument("--workdir", default="runs/bench_inn")
    ap.add_argument("--out", default=None, help="default results/inn_gghh.json (quick: /tmp)")
    args = ap.parse_args(argv)
    if args.quick:
        args.points, args.calibration_points, args.repeats = 200, 200, 2
        args.minutes, args.configs = 0.05, "gelu:2x16"
        args.gl_orders, args.box_gl_orders, args.qmc_max = "6-12", "8-16", 4096
        args.deriv_batch, args.compile_steps, args.pysecdec_points = 256, 3, 3
    if args.out is None:
        args.out = "/tmp/inn_gghh_quick.json" if args.quick else str(RESULTS / "inn_gghh.json")
    return args


def orders(text: str) -> list[int]:
    lo, hi = (int(v) for v in text.split("-"))
    return list(range(lo, hi + 1))


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    pin_threads(ARGS.threads)  # restarts the interpreter once, before NumPy/torch load

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
import torch  # noqa: E402
from inn_error_calibration import calibration  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from hepemu.evaluation.inn_eval import ReferenceSet, evaluate  # noqa: E402
from hepemu.evaluation.metrics import mean_digits  # noqa: E402
from hepemu.models.inn import INN, nested_autograd_derivative  # noqa: E402
from hepemu.models.inn_surrogate import INNSurrogate  # noqa: E402
from hepemu.physics.integrals.gghh import GGHH_BOX_FULL, box_F  # noqa: E402
from hepemu.physics.integrals.quadrature import (  # noqa: E402
    cbc_generating_vector,
    gauss_legendre_nodes,
    integrate_gauss_legendre,
    integrate_qmc,
)
from hepemu.physics.integrals.registry import get_integral  # noqa: E402
from hepemu.physics.integrals.transforms import korobov  # noqa: E402
from hepemu.registry import load_model  # noqa: E402
from hepemu.training.inn_config import INNTrainConfig  # noqa: E402
from hepemu.training.inn_train import INNTrainer  # noqa: E402

console = Console()


# ---------------------------------------------------------------------------------------
# hand-written baselines: F linear in the invariants
# ---------------------------------------------------------------------------------------
# column maps (x1, x2, x3, x4) of the primary sectors, as in gghh.full_box_integrand
SECTOR_X4 = ((0, 1, 2, None),)  # the shipped integral: sector x4 = 1
ALL_SECTORS = ((None, 0, 1, 2), (0, None, 1, 2), (0, 1, None, 2), (0, 1, 2, None))
BLOCK = 65_536  # evaluations per block, as in the library


def linear_coefficients(x: np.ndarray, sectors) -> list[tuple[np.ndarray, np.ndarray]]:
    """(A, B) per sector with F(s; x) = A(x) + s @ B(x) on the nodes x (P, 3).

    box_F (gghh.py; Bentley 2024, eq. 1.2) is linear in (s12, s14, mH2): A = F(0; x) and
    B_j = F(e_j; x) − A, taken from box_F itself so that no formula is retyped.
    """
    out = []
    for cols in sectors:
        xs = tuple(1.0 if c is None else x[:, c] for c in cols)
        a = box_F(np.zeros((1, 3)), xs)
        b = np.stack([box_F(np.eye(3)[j : j + 1], xs) - a for j in range(3)])
        out.append((np.broadcast_to(a, (len(x),)).copy(), b))
    return out


def linear_rule(s: np.ndarray, coeffs, w: np.ndarray) -> np.ndarray:
    """Σ_nodes w · Σ_sectors 1/F², F = A + s @ B: one matrix product per sector and block."""
    p = len(w)
    out = np.empty(len(s))
    step = max(1, BLOCK // p)
    for start in range(0, len(s), step):
        ss = s[start : start + step]
        total = None
        for a, b in coeffs:
            f = ss @ b
            f += a
            np.multiply(f, f, out=f)
            np.reciprocal(f, out=f)
            total = f if total is None else np.add(total, f, out=total)
        out[start : start + step] = total @ w
    return out


def linear_gl(s: np.ndarray, n: int, sectors, cache: dict) -> np.ndarray:
    """n³ Gauss–Legendre with the linear form; A, B on the nodes cached like the nodes."""
    key = (n, sectors)
    if key not in cache:
        x, w = gauss_legendre_nodes(n, 3)
        cache[key] = (linear_coefficients(x, sectors), np.array(w))
    coeffs, w = cache[key]
    return linear_rule(s, coeffs, w)


def linear_qmc(s, n: int, shifts: int, seed: int, sectors, order: int = 3) -> np.ndarray:
    """The library's lattice QMC (same lattice, shifts, Korobov order) with the linear form."""
    rng = np.random.default_rng(seed)
    z = cbc_generating_vector(n, 3)
    base = (np.arange(n)[:, None] * z[None, :] % n) / n
    est = np.empty((len(s), shifts))
    for j, shift in enumerate(rng.random((shifts, 3))):
        x, w = korobov(np.mod(base + shift, 1.0), order)
        est[:, j] = linear_rule(s, linear_coefficients(x, sectors), np.prod(w, axis=1) / n)
    return est.mean(axis=1)


# ---------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------
def rate_row(label: str, setting, fn, ref: np.ndarray, repeats: int, **extra) -> dict:
    est = fn()
    med, times = timed(fn, repeats)
    row = {
        "method": label,
        "setting": setting,
        "digits": mean_digits(est, ref),
        "per_s": len(ref) / med,
        "median_s": med,
        "times_s": times,
        **extra,
    }
    console.print(
        f"  {label:12s} {setting!s:>12s}  {row['digits']:6.3f} digits  {row['per_s']:10.4g}/s"
    )
    return row, est


def ladder(
    label, settings, make_fn, ref, repeats, stop_digits, check=None, extra_of=None
) -> tuple[list[dict], dict]:
    """Rows for increasing sizes and their estimates; stops once two sizes reach stop_digits.

    ``check``: estimates of another method by size, compared with ours (max relative
    difference); ``extra_of(size)``: more entries for a size's row.
    """
    rows, ests, past = [], {}, 0
    for setting in settings:
        extra = extra_of(setting) if extra_of is not None else {}
        row, est = rate_row(label, setting, make_fn(setting), ref, repeats, **extra)
        if check is not None:
            row["max_rel_diff_vs_library"] = float(np.max(np.abs(est / check[setting] - 1)))
        rows.append(row)
        ests[setting] = est
        past += row["digits"] >= stop_digits
        if past >= 2:
            break
    return rows, ests


def at_digits(rows: list[dict], target: float) -> dict:
    """Smallest size reaching ``target`` digits and the rate log-interpolated to ``target``.

    The interpolation is between that size and the one before it (which is below target).
    """
    first = next((i for i, r in enumerate(rows) if r["digits"] >= target), None)
    if first is None:
        return {"reached": False, "target": target}
    hit = rows[first]
    out = {
        "reached": True,
        "target": target,
        "setting": hit["setting"],
        "digits": hit["digits"],
        "per_s": hit["per_s"],
        "interp_per_s": None,
        "below": None,
    }
    if first > 0:
        lo = rows[first - 1]
        f = (target - lo["digits"]) / (hit["digits"] - lo["digits"])
        out["interp_per_s"] = math.exp(
            math.log(lo["per_s"]) + f * (math.log(hit["per_s"]) - math.log(lo["per_s"]))
        )
        out["below"] = {"setting": lo["setting"], "digits": lo["digits"], "per_s": lo["per_s"]}
    return out


def qmc_sizes(n_max: int) -> list[int]:
    sizes, j = [], 0
    while True:
        n = int(sp.prevprime(int(round(32 * 2 ** (j / 2))) + 1))
        if n > n_max:
            return sizes
        if n not in sizes:
            sizes.append(n)
        j += 1


def throughput(args, refset, integral, surrogate) -> dict:
    s, ref = refset.s, refset.ref
    r = args.repeats
    res: dict = {"points": len(s), "threads": args.threads, "repeats": r}

    console.print("[bold]INN[/] (replica subsets of the shipped set)")
    inn = {}
    subsets = {"1": surrogate.replicas[:1], str(surrogate.n_replicas): surrogate.replicas}
    if surrogate.n_replicas > 2:
        subsets["2"] = surrogate.replicas[:2]
    for key, reps in sorted(subsets.items(), key=lambda kv: int(kv[0])):
        sur = INNSurrogate(integral, reps, surrogate.normalisation, surrogate.korobov_order)
        inn[key], _ = rate_row(
            f"INN×{key}", f"{key} replicas", lambda m=sur: m.predict(s)[0], ref, r
        )
    res["inn"] = inn
    targets = {key: row["digits"] for key, row in inn.items()}
    stop = max(targets.values()) + 0.3

    console.print("[bold]Gauss–Legendre[/], sector x4 = 1")
    gl_lib, lib_est = ladder(
        "GL library",
        orders(args.gl_orders),
        lambda n: lambda: integrate_gauss_legendre(integral, s, 3, n),
        ref,
        r,
        stop,
    )
    cache: dict = {}
    gl_lin, _ = ladder(
        "GL linear",
        [row["setting"] for row in gl_lib],
        lambda n: lambda: linear_gl(s, n, SECTOR_X4, cache),
        ref,
        r,
        1e9,
        lib_est,
    )

    console.print(f"[bold]lattice QMC[/] (Korobov 3, {args.qmc_shifts} shifts), sector x4 = 1")
    qmc_lib, qmc_est = ladder(
        "QMC library",
        qmc_sizes(args.qmc_max),
        lambda n: (
            lambda: integrate_qmc(integral, s, 3, n=n, n_shifts=args.qmc_shifts, seed=1).value
        ),
        ref,
        r,
        stop,
        extra_of=lambda n: {
            "shifts": args.qmc_shifts,
            "evaluations_per_point": n * args.qmc_shifts,
        },
    )
    qmc_lin, _ = ladder(
        "QMC linear",
        [row["setting"] for row in qmc_lib],
        lambda n: lambda: linear_qmc(s, n, args.qmc_shifts, 1, SECTOR_X4),
        ref,
        r,
        1e9,
        qmc_est,
    )
    res["ladders"] = {"gl": gl_lib, "gl_linear": gl_lin, "qmc": qmc_lib, "qmc_linear": qmc_lin}
    res["at_inn_digits"] = {
        key: {m: at_digits(rows, d) for m, rows in res["ladders"].items()}
        for key, d in targets.items()
    }
    return res


def whole_box(args, s: np.ndarray, pysecdec: dict) -> dict:
    """Whole box (4 sectors) by Gauss–Legendre at pySecDec's digits, on the same points."""
    console.print("[bold]whole box[/] (four primary sectors): Gauss–Legendre")
    ref = integrate_gauss_legendre(GGHH_BOX_FULL, s, 3, 32)
    target = pysecdec.get("digits")
    stop = target if target is not None else 6.0
    r = args.repeats
    lib, est_lib = ladder(
        "box GL lib",
        orders(args.box_gl_orders),
        lambda n: lambda: integrate_gauss_legendre(GGHH_BOX_FULL, s, 3, n),
        ref,
        r,
        stop,
    )
    cache: dict = {}
    lin, _ = ladder(
        "box GL lin",
        [row["setting"] for row in lib],
        lambda n: lambda: linear_gl(s, n, ALL_SECTORS, cache),
        ref,
        r,
        1e9,
        est_lib,
    )
    out = {"points": len(s), "reference": "Gauss-Legendre 32^3", "gl": lib, "gl_linear": lin}
    if target is not None:
        out["at_pysecdec_digits"] = {
            "gl": at_digits(lib, target),
            "gl_linear": at_digits(lin, target),
        }
    return out


def pysecdec_timing(args) -> dict:
    """pySecDec (whole box) in this run when installed; otherwise the committed earlier run."""
    try:
        import pySecDec  # noqa: F401
    except ImportError:
        if not PYSECDEC_FALLBACK.exists():
            return {"status": "pySecDec not installed and no earlier run committed"}
        old = json.loads(PYSECDEC_FALLBACK.read_text())
        return {
            "status": "not installed here: values from an earlier run",
            "source": str(PYSECDEC_FALLBACK.relative_to(RESULTS.parent.parent)),
            "created": old.get("created"),
            **{k: old["pysecdec"][k] for k in ("epsrel", "digits", "per_s")},
            "threads": old.get("threads"),
            "minn": old.get("minn"),
            "points": old["pysecdec"]["summary"]["points"],
        }
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
        str(args.threads),
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"status": f"pySecDec run failed: {proc.stderr[-500:]}"}
    full = json.loads(out.read_text())
    summary = full["summary"]
    return {
        "status": "measured in this run",
        "epsrel": args.pysecdec_epsrel,
        "digits": summary["mean_digits_vs_gl"],
        "per_s": 1e3 / summary["median_ms_per_point"],
        "threads": args.threads,
        "minn": 1000,
        "points": summary["points"],
        "version": full["versions"]["pysecdec"],
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
        tf, _ = timed(lambda n=net, s=s, x=x: _fit_step(n, n.derivative, s, x), args.repeats)
        ts, _ = timed(
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


def compile_speedup(args) -> dict:
    """Adam steps/s on the shipped recipe's loss, eager vs torch.compile (what the trainer
    does with ``compile = true``); the first compiled call (compilation) is timed apart."""
    cfg = INNTrainConfig(
        integral=args.integral,
        activation="gelu",
        hidden=[64, 64, 64],
        ansatz="anchored",
        korobov_order=1,
        dtype="float32",
        batch_size=args.batch,
        steps=10,
        device="cpu",
        threads=args.threads,
        val_points=16,
        seed=args.seed,
    )
    trainer = INNTrainer(cfg, Path(args.workdir) / "compile")
    batch = trainer.make_batch(*trainer.sampler.draw())

    def steps(loss_fn):
        for _ in range(args.compile_steps):
            trainer.opt.zero_grad(set_to_none=True)
            loss_fn(*batch).backward()
            trainer.opt.step()

    eager, _ = timed(lambda: steps(trainer.loss), args.repeats)
    compiled = torch.compile(trainer.loss)
    t0 = time.perf_counter()
    compiled(*batch).backward()
    first = time.perf_counter() - t0
    comp, _ = timed(lambda: steps(compiled), args.repeats)
    out = {
        "batch": args.batch,
        "steps_per_repeat": args.compile_steps,
        "eager_steps_per_s": args.compile_steps / eager,
        "compiled_steps_per_s": args.compile_steps / comp,
        "speedup": eager / comp,
        "first_compiled_call_s": first,
    }
    console.print(out)
    return out


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
            device="cpu",
            threads=args.threads,
            seed=args.seed,
        )
        out_dir = Path(args.workdir) / f"{act}-{len(hidden)}x{hidden[0]}"
        shutil.rmtree(out_dir, ignore_errors=True)  # a fresh start, never a resumed one
        trainer = INNTrainer(cfg, out_dir)
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


def precision(surrogate, refset) -> dict:
    """Shipped set, its first two replicas and each replica alone, on the same points.

    Error-bar coverage is computed here from the replica values (standard error of the mean
    = spread/√n, the spread, twice the spread), whatever σ ``predict`` returns.
    """
    integral = surrogate.integral
    out = {}
    subsets = {f"all {surrogate.n_replicas}": surrogate.replicas}
    if surrogate.n_replicas > 2:
        subsets["first 2"] = surrogate.replicas[:2]
    for i, rep in enumerate(surrogate.replicas):
        subsets[f"replica {i}"] = [rep]
    for name, reps in subsets.items():
        sur = INNSurrogate(integral, reps, surrogate.normalisation, surrogate.korobov_order)
        summ, _, _ = evaluate(sur, refset)
        row = summ.as_dict()
        row.pop("frac_error_covered", None)  # depends on what predict() calls σ
        if len(reps) > 1:
            vals = sur.replica_integrals(refset.s)
            err = np.abs(vals.mean(axis=0) - refset.ref)
            spread = vals.std(axis=0, ddof=1)
            row["coverage"] = {
                "sem (spread/sqrt(n))": float(np.mean(err < spread / np.sqrt(len(reps)))),
                "replica spread": float(np.mean(err < spread)),
                "2 x replica spread": float(np.mean(err < 2 * spread)),
            }
        out[name] = row
    return out


def print_tables(result: dict) -> None:
    thr = result["throughput"]
    t = Table(
        title=f"throughput, {thr['points']} points, {thr['threads']} thread(s), "
        f"median of {thr['repeats']}"
    )
    for c in ("method", "size", "digits", "integrals/s"):
        t.add_column(c)
    for row in thr["inn"].values():
        t.add_row(row["method"], str(row["setting"]), f"{row['digits']:.2f}", f"{row['per_s']:.3g}")
    for rows in thr["ladders"].values():
        for row in rows:
            t.add_row(
                row["method"], str(row["setting"]), f"{row['digits']:.2f}", f"{row['per_s']:.3g}"
            )
    console.print(t)
    t2 = Table(title="at the INN's digits: INN rate / method rate (>1: INN faster)")
    for c in ("INN", "digits", "method", "smallest size", "its digits", "ratio", "interp. ratio"):
        t2.add_column(c)
    for key, per in thr["at_inn_digits"].items():
        inn = thr["inn"][key]
        for method, m in per.items():
            if not m["reached"]:
                t2.add_row(key, f"{inn['digits']:.2f}", method, "not reached", "", "", "")
                continue
            ip = m["interp_per_s"]
            t2.add_row(
                key,
                f"{inn['digits']:.2f}",
                method,
                str(m["setting"]),
                f"{m['digits']:.2f}",
                f"{inn['per_s'] / m['per_s']:.2f}",
                f"{inn['per_s'] / ip:.2f}" if ip else "-",
            )
    console.print(t2)


def main(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    np.seterr(all="ignore")
    t_start = time.perf_counter()
    integral = get_integral(args.integral)
    console.print(f"{args.threads} thread(s); reference set: {args.points} points, GL 32³ …")
    refset = ReferenceSet.make(integral, args.points, seed=777)
    surrogate = load_model(args.model)
    prec = precision(surrogate, refset)
    calib = calibration(surrogate, args.calibration_points, seed=4242)
    console.print({"calibration": calib})
    grid = [] if args.skip_training else train_grid(args, refset, integral)
    thr = throughput(args, refset, integral, surrogate)
    psd = {"status": "skipped"} if args.skip_pysecdec else pysecdec_timing(args)
    console.print({"pysecdec": {k: v for k, v in psd.items() if k != "summary"}})
    box = whole_box(args, refset.s, psd)
    speed = derivative_speedup(args)
    comp = None if args.skip_compile else compile_speedup(args)
    result = {
        "args": vars(args),
        "threads": args.threads,
        "precision": prec,
        "calibration": calib,
        "shipped_info": surrogate.info,
        "training_grid": grid,
        "throughput": thr,
        "pysecdec": psd,
        "whole_box": box,
        "derivative_speedup": speed,
        "compile_speedup": comp,
        "wall_s": time.perf_counter() - t_start,
    }
    print_tables(result)
    write_json(args.out, result)
    console.print(f"wrote {args.out} ({result['wall_s']:.0f} s)")


if __name__ == "__main__":
    main(ARGS)
