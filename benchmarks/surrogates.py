"""Benchmark: "which surrogate?" — first rows, the one-loop gg→HH box I(s12, s14, mH²) (3D).

Chebyshev interpolants (kind ``chebyshev``) on n³ Lobatto nodes, axes linear or in log|s|,
labelled by 40³ Gauss–Legendre, against the shipped integration network (``gghh-box-1l``), the
shipped regressor (``gghh-box-1l-regressor``) and a DNN fitted to as many labels as the 14³
interpolant used (equal truth calls), all scored on the same fresh points against 48³ GL:
mean / boundary-layer / worst digits, R_0.1, coverage of σ at 1σ and 2σ, µs per point, model
size, truth calls (labels of I; integrand evaluations for the network trained on the
integrand) and build time. The shipped models' build costs are those recorded in their
manifest descriptions (not re-run). Writes benchmarks/results/surrogates.json as
{"box-1l": {row: {...}}} and prints a table.

    python benchmarks/surrogates.py                 # ~3 min on 2 cores (1 min of DNN fit)
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
from hepemu.models.chebyshev import interpolate
from hepemu.physics.providers import get_provider
from hepemu.registry import load_model
from hepemu.training.fit import fit_networks
from hepemu.training.fit_config import FitCard

console = Console(width=160)
BOX = np.array([(-30.0, -3.0)] * 3)
COLUMNS = ["s12", "s14", "mH2"]
LABEL_GL, REFERENCE_GL = 40, 48
# integrand evaluations of the shipped INN: 4 replicas × (70k steps × 4096 + 4k × 16384)
INN_INTEGRAND_CALLS = 4 * (70_000 * 4096 + 4_000 * 16_384)


def uniform(n: int, seed: int) -> np.ndarray:
    return BOX[:, 0] + np.ptp(BOX, axis=1) * np.random.default_rng(seed).random((n, 3))


def row(model, x, y, **extra) -> dict:
    """The metrics of ``model`` on (x, y) and the row's own entries."""
    with torch.inference_mode():
        m, _ = evaluate_surrogate(model, x, y, box=BOX, timing_points=len(x))
    d = m.as_dict()
    keep = ("mean_digits", "mean_digits_boundary", "worst_digits", "r_0_1", "coverage_1sigma")
    return {k: d[k] for k in keep} | {
        "coverage_2sigma": d["coverage_2sigma"],
        "us_per_point": d["us_per_point"],
        "size_bytes": d["size_bytes"],
        "parameters": model.n_parameters,
        **extra,
    }


def chebyshev_row(n: int, maps: str, calib: tuple, x, y) -> dict:
    truth = get_provider("gghh-box-1l/integral", {"nodes": LABEL_GL})
    t0 = time.perf_counter()
    calls = {"n": 0}

    def labels(s: np.ndarray) -> np.ndarray:
        calls["n"] += len(s)
        return truth(s)

    model = interpolate(
        labels, BOX, (n,) * 3, maps=(maps,) * 3, transform="log", input_columns=COLUMNS, target="I"
    )
    build_s = time.perf_counter() - t0
    model.calibrate(*calib)
    return row(
        model,
        x,
        y,
        truth_calls=calls["n"],
        calibration_calls=len(calib[0]),
        integrand_calls=calls["n"] * LABEL_GL**3,
        build_s=build_s,
        build="labels (40³ GL) + one DCT; σ calibrated on the calibration points",
    )


def dnn_row(n_labels: int, minutes: float, x, y, workdir: Path) -> dict:
    """A DNN (3×128 SiLU, log I ÷ GL3) fitted for ``minutes`` to ``n_labels`` uniform labels."""
    data = workdir / "equal.h5"
    t0 = time.perf_counter()
    generate(
        GenerationPlan("gghh-box-1l/integral", n_labels, n_labels, 3, (("nodes", LABEL_GL),)), data
    )
    label_s = time.perf_counter() - t0
    card = FitCard.model_validate(
        {
            "data": {"path": str(data)},
            "model": {"kind": "dnn", "hidden": [128, 128, 128], "activation": "silu"},
            "preprocessing": {"target_transform": "log", "reference": "gl3"},
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
    model = fit_networks(card, workdir / "dnn")
    return row(
        model,
        x,
        y,
        truth_calls=n_labels,
        integrand_calls=n_labels * LABEL_GL**3,
        build_s=label_s + time.perf_counter() - t0,
        build=f"2 DNNs fitted {minutes:g} min each to {n_labels} uniform labels (80 % train)",
    )


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
    points = 200 if args.quick else args.points
    reference = get_provider("gghh-box-1l/integral", {"nodes": REFERENCE_GL})
    x, xc = uniform(points, 2028), uniform(500 if not args.quick else 100, 2029)
    t0 = time.perf_counter()
    y, yc = reference(x), reference(xc)
    console.print(
        f"reference: {points + len(xc)} points by {REFERENCE_GL}³ GL in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    rows: dict[str, dict] = {}
    sizes = (6, 10, 14) if args.quick else (6, 10, 14, 18)
    for maps in ("linear", "log"):
        for n in sizes:
            rows[f"chebyshev {n}³ ({maps})"] = chebyshev_row(n, maps, (xc, yc), x, y)
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
        build="4 replicas, ~90 CPU-min per pair (manifest); trained on the integrand",
    )
    rows["shipped gghh-box-1l-regressor"] = row(
        load_model("gghh-box-1l-regressor"),
        x,
        y,
        truth_calls=300_000,
        integrand_calls=300_000 * 20**3,
        build="4 DNNs, ~22 min on 2 cores, 300k labels by 20³ GL (manifest)",
    )
    if not args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            rows["DNN at equal truth calls (14³)"] = dnn_row(
                14**3, args.dnn_minutes, x, y, Path(tmp)
            )
    table = Table(title=f"gg→HH box, {points} fresh points, truth {REFERENCE_GL}³ GL")
    for col in (
        "model",
        "digits",
        "boundary",
        "worst",
        "cover 1σ",
        "cover 2σ",
        "µs/pt",
        "bytes",
        "truth calls",
        "build s",
    ):
        table.add_column(col)
    for name, r in rows.items():
        table.add_row(
            name,
            f"{r['mean_digits']:.2f}",
            f"{r['mean_digits_boundary']:.2f}",
            f"{r['worst_digits']:.2f}",
            f"{r['coverage_1sigma']:.2f}",
            f"{r['coverage_2sigma']:.2f}",
            f"{r['us_per_point']:.2f}",
            str(r["size_bytes"]),
            str(r["truth_calls"]),
            f"{r.get('build_s', float('nan')):.1f}",
        )
    console.print(table)
    write_json(
        args.out,
        {
            "box-1l": rows,
            "points": points,
            "reference": f"{REFERENCE_GL}³ GL",
            "labels": f"{LABEL_GL}³ GL",
            "threads": args.threads,
        },
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
