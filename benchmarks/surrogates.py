"""Benchmark: "which surrogate?" — the one-loop gg→HH box I(s12, s14, mH²) (3D) and a smooth
5-D function on a box, with the kinds that do not apply said and why.

Box: Chebyshev interpolants (kind ``chebyshev``) on n³ Lobatto nodes and Smolyak sparse grids
(kind ``sparse-grid``) of level L, axes linear or in log|s|, labelled by 40³ Gauss–Legendre,
against the shipped integration network (``gghh-box-1l``), the shipped regressor
(``gghh-box-1l-regressor``) and a DNN fitted to as many labels as the 14³ interpolant used
(equal truth calls), all scored on the same fresh points against 48³ GL. 5-D: no physics
truth of hepemu is a box in 5 D (gg → γγg lives on a phase space with cuts), so the same
kinds are compared on an analytic function with a pole outside [0, 1]⁵
(:data:`SMOOTH5`). Columns: mean / boundary-layer / worst digits, R_1, R_0.1, 68 % quantile
of |δ|, coverage of σ at 1σ and 2σ, µs per point, model size, truth calls (labels of I;
integrand evaluations for the network trained on the integrand) and build CPU time (one
thread). The shipped models' build costs are those recorded in their manifest descriptions
(not re-run). Writes benchmarks/results/surrogates.json as {"box-1l": {row: {...}},
"smooth-5d": {...}, "not_applicable": {job: why}} and prints the tables. The two-loop double
box (3D) has its own script, benchmarks/surrogates_dbox.py (its labels cost minutes).

    python benchmarks/surrogates.py                 # ~6 min on 2 cores (2 min of DNN fits)
    python benchmarks/surrogates.py --quick         # smoke test, no DNN fit
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import pin_threads, write_json
from rich.console import Console
from rich.table import Table

from hepemu.data.generate import GenerationPlan, generate
from hepemu.evaluation.regression import evaluate_surrogate
from hepemu.models.calibration import ONE_SIGMA_TARGET
from hepemu.models.chebyshev import interpolate
from hepemu.models.sparse_grid import sparse_interpolate
from hepemu.physics.providers import FunctionProvider, get_provider
from hepemu.registry import load_model
from hepemu.training.fit import fit_networks
from hepemu.training.fit_config import FitCard

console = Console(width=160)
BOX = np.array([(-30.0, -3.0)] * 3)
COLUMNS = ["s12", "s14", "mH2"]
LABEL_GL, REFERENCE_GL = 40, 48
# integrand evaluations of the shipped INN: 4 replicas × (70k steps × 4096 + 4k × 16384)
INN_INTEGRAND_CALLS = 4 * (70_000 * 4096 + 4_000 * 16_384)
UNIT5 = np.array([(0.0, 1.0)] * 5)
WEIGHTS5 = np.array([0.3, 0.5, 0.2, 0.4, 0.6])

# where a tensor or sparse grid does not apply, and why (printed on the results page)
NOT_APPLICABLE = {
    "one-loop g g → γ γ g \\|M\\|² (5D)": (
        "a phase space with photon and jet cuts, sampled by RAMBO: no box of "
        "parameters, so no tensor or sparse grid (`data generate` refuses a chebyshev or "
        "sparse-grid design for it); "
        "networks (`ggyyg-1l-bnn`) are the tool"
    ),
    "e⁺e⁻ → dd̄gg \\|M\\|² (8D), e⁺e⁻ → dd̄ggg (11D)": (
        "RAMBO phase space with a jet cut (Durham or y_min) and soft/collinear poles at its edge: "
        "not a box and "
        "not smooth up to it; a tensor grid of 4 nodes per axis would already need 4⁸ = 65 536 "
        "and 4¹¹ ≈ 4.2 × 10⁶ labels; the dipole emulators `ee4j`, `ee5j` are the tool"
    ),
}


def smooth5(x: np.ndarray) -> np.ndarray:
    """An analytic function on [0, 1]⁵, not separable, its pole outside the box."""
    return 1.0 / (1.5 + x @ WEIGHTS5 + 0.5 * np.prod(x, axis=1))


SMOOTH5 = FunctionProvider("smooth5", smooth5, ((0.0, 1.0),) * 5, "benchmarks/surrogates.py")


def uniform(n: int, seed: int, box: np.ndarray = BOX) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return box[:, 0] + np.ptp(box, axis=1) * rng.random((n, len(box)))


def row(model, x, y, box: np.ndarray = BOX, **extra) -> dict:
    """The metrics of ``model`` on (x, y) and the row's own entries (``build_s``: one thread,
    so CPU-min = build_s / 60)."""
    with torch.inference_mode():
        m, delta = evaluate_surrogate(model, x, y, box=box, timing_points=len(x))
    d = m.as_dict()
    keep = ("mean_digits", "mean_digits_boundary", "worst_digits", "r_1", "r_0_1")
    return {k: d[k] for k in keep} | {
        "q68_abs_delta": float(np.quantile(np.abs(delta), 0.68)),
        "coverage_1sigma": d["coverage_1sigma"],
        "coverage_2sigma": d["coverage_2sigma"],
        "us_per_point": d["us_per_point"],
        "size_bytes": d["size_bytes"],
        "parameters": model.n_parameters,
        **extra,
        **({"cpu_min": extra["build_s"] / 60} if "build_s" in extra else {}),
    }


def counted(fn):
    """``fn`` and a dict counting the rows it was called on."""
    calls = {"n": 0}

    def call(x: np.ndarray) -> np.ndarray:
        calls["n"] += len(x)
        return fn(x)

    return call, calls


def grid_row(kind: str, size, maps: str, calib: tuple, x, y, **options) -> dict:
    """A ``chebyshev`` (``size`` nodes per axis) or ``sparse-grid`` (level ``size``;
    ``options``: tolerance, max_nodes) interpolant of log I, σ calibrated on ``calib``."""
    labels, calls = counted(get_provider("gghh-box-1l/integral", {"nodes": LABEL_GL}))
    t0 = time.perf_counter()
    common = {"transform": "log", "input_columns": COLUMNS, "target": "I"}
    if kind == "chebyshev":
        model = interpolate(labels, BOX, (size,) * 3, maps=(maps,) * 3, **common)
    else:
        model = sparse_interpolate(labels, BOX, size, (maps,) * 3, **common, **options)
    build_s = time.perf_counter() - t0
    model.calibrate(*calib, ONE_SIGMA_TARGET)
    how = "one DCT" if kind == "chebyshev" else "Smolyak surpluses"
    if options:
        how += f", adaptive to {options['tolerance']:g}"
    return row(
        model,
        x,
        y,
        truth_calls=calls["n"],
        calibration_calls=len(calib[0]),
        integrand_calls=calls["n"] * LABEL_GL**3,
        build_s=build_s,
        build=f"labels (40³ GL) + {how}; σ calibrated on the calibration points",
    )


def dnn_row(provider: str, options: tuple, n_labels: int, minutes: float, x, y, box, workdir):
    """A DNN (3×128 SiLU; log I ÷ GL3 for the box) fitted for ``minutes`` (2 members) to
    ``n_labels`` uniform labels of ``provider``."""
    data = workdir / f"equal-{n_labels}.h5"
    t0 = time.perf_counter()
    generate(GenerationPlan(provider, n_labels, n_labels, 3, options), data)
    label_s = time.perf_counter() - t0
    box_truth = provider.startswith("gghh")
    card = FitCard.model_validate(
        {
            "data": {"path": str(data)},
            "model": {"kind": "dnn", "hidden": [128, 128, 128], "activation": "silu"},
            "preprocessing": {
                "target_transform": "log",
                "reference": "gl3" if box_truth else None,
            },
            "training": {
                "epochs": 100000,
                "batch_size": 64,
                "patience": 400,
                "max_minutes": minutes,
                "members": 2,
                "threads": 1,
                "device": "cpu",
            },
        }
    )
    t0 = time.perf_counter()
    model = fit_networks(card, workdir / f"dnn-{n_labels}")
    return row(
        model,
        x,
        y,
        box,
        truth_calls=n_labels,
        build_s=label_s + time.perf_counter() - t0,
        build=f"2 DNNs fitted {minutes:g} min each to {n_labels} uniform labels (80 % train)",
    )


def box_rows(args, workdir: Path) -> dict[str, dict]:
    """The rows of the one-loop box (see the module docstring)."""
    reference = get_provider("gghh-box-1l/integral", {"nodes": REFERENCE_GL})
    x, xc = uniform(args.points, 2028), uniform(100 if args.quick else 500, 2029)
    t0 = time.perf_counter()
    y, yc = reference(x), reference(xc)
    console.print(f"reference: {len(x) + len(xc)} points in {time.perf_counter() - t0:.1f} s")
    rows: dict[str, dict] = {}
    for maps in ("linear", "log"):
        for n in (6, 10, 14) if args.quick else (6, 10, 14, 18):
            rows[f"chebyshev {n}³ ({maps})"] = grid_row("chebyshev", n, maps, (xc, yc), x, y)
    for level in (5, 6, 7) if args.quick else (5, 6, 7, 8):
        rows[f"sparse grid level {level} (log)"] = grid_row(
            "sparse-grid", level, "log", (xc, yc), x, y
        )
    rows["sparse grid adaptive ≤ 14³ labels (log)"] = grid_row(
        "sparse-grid", 3, "log", (xc, yc), x, y, tolerance=1e-13, max_nodes=14**3
    )
    rows["shipped gghh-box-1l-chebyshev"] = row(
        load_model("gghh-box-1l-chebyshev"),
        x,
        y,
        truth_calls=14**3,
        integrand_calls=14**3 * LABEL_GL**3,
        build="cards/gghh_box_chebyshev.toml (~4 s + 4 s)",
    )
    rows["shipped gghh-box-1l (INN)"] = row(
        load_model("gghh-box-1l"),
        x,
        y,
        truth_calls=0,
        integrand_calls=INN_INTEGRAND_CALLS,
        cpu_min=180.0,
        build="4 replicas, ~90 CPU-min per pair (manifest); trained on the integrand",
    )
    rows["shipped gghh-box-1l-regressor"] = row(
        load_model("gghh-box-1l-regressor"),
        x,
        y,
        truth_calls=300_000,
        integrand_calls=300_000 * 20**3,
        cpu_min=44.0,
        build="4 DNNs, ~22 min on 2 cores, 300k labels by 20³ GL (manifest)",
    )
    if not args.quick:
        rows["DNN at equal truth calls (14³)"] = dnn_row(
            "gghh-box-1l/integral",
            (("nodes", LABEL_GL),),
            14**3,
            args.dnn_minutes,
            x,
            y,
            BOX,
            workdir,
        )
    return rows


def smooth5_rows(args, workdir: Path) -> dict[str, dict]:
    """The rows of the 5-D function: tensor Chebyshev, sparse grids, a DNN at equal labels."""
    x, xc = uniform(args.points, 2030, UNIT5), uniform(500, 2031, UNIT5)
    y, yc = smooth5(x), smooth5(xc)
    rows: dict[str, dict] = {}
    builds = {f"chebyshev {n}⁵": ("chebyshev", n, {}) for n in (5, 7)}
    builds |= {f"sparse grid level {lv}": ("sparse-grid", lv, {}) for lv in (4, 5, 6)}
    builds["sparse grid adaptive ≤ 5⁵ labels"] = (
        "sparse-grid",
        2,
        {"tolerance": 1e-12, "max_nodes": 5**5},
    )
    for name, (kind, size, opts) in builds.items():
        labels, calls = counted(smooth5)
        t0 = time.perf_counter()
        if kind == "chebyshev":
            model = interpolate(labels, UNIT5, (size,) * 5)
        else:
            model = sparse_interpolate(labels, UNIT5, size, **opts)
        build_s = time.perf_counter() - t0
        model.calibrate(xc, yc, ONE_SIGMA_TARGET)
        rows[name] = row(model, x, y, UNIT5, truth_calls=calls["n"], build_s=build_s)
    if not args.quick:
        rows["DNN at equal truth calls (5⁵)"] = dnn_row(
            "surrogates:SMOOTH5", (), 5**5, args.dnn_minutes, x, y, UNIT5, workdir
        )
    return rows


def print_table(title: str, rows: dict[str, dict]) -> None:
    table = Table(title=title)
    cols = ("model", "digits", "worst", "R_1", "q68 |δ|", "cover 1σ", "µs/pt", "bytes")
    for col in (*cols, "truth calls", "CPU-min"):
        table.add_column(col)
    for name, r in rows.items():
        table.add_row(
            name,
            f"{r['mean_digits']:.2f}",
            f"{r['worst_digits']:.2f}",
            f"{r['r_1']:.4f}",
            f"{r['q68_abs_delta']:.1e}",
            f"{r['coverage_1sigma']:.2f}" if r["coverage_1sigma"] is not None else "—",
            f"{r['us_per_point']:.2f}",
            str(r["size_bytes"]),
            str(r["truth_calls"]),
            f"{r.get('cpu_min', float('nan')):.3f}",
        )
    console.print(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--dnn-minutes", type=float, default=0.5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="benchmarks/results/surrogates.json")
    args = ap.parse_args()
    pin_threads(args.threads)
    torch.set_num_threads(args.threads)
    if args.quick:
        args.points = 200
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        box = box_rows(args, Path(tmp))
        print_table(f"gg→HH box, {args.points} fresh points, truth {REFERENCE_GL}³ GL", box)
        five = smooth5_rows(args, Path(tmp))
        print_table(f"smooth 5-D function, {args.points} fresh points", five)
    write_json(
        args.out,
        {
            "box-1l": box,
            "smooth-5d": five,
            "not_applicable": NOT_APPLICABLE,
            "points": args.points,
            "reference": f"{REFERENCE_GL}³ GL",
            "labels": f"{LABEL_GL}³ GL",
            "threads": args.threads,
            "dnn_minutes": args.dnn_minutes,
            "wall_s": time.perf_counter() - t0,
        },
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
