"""Benchmark: "which surrogate?" for the two-loop gg→HH double box I(s12, s14, mH²) (3D), and
the accuracy and cost of its labelling rule.

Rule: the sector-wise tensor Gauss–Legendre rule in u with x = u² (provider option
``rule = "gl-u2"``) at n nodes per axis, and plain GL in x at 11, against the same rule at
``--reference-nodes`` on 12 points (the six corners of the box where |s| = 30 or 3 meet and
six uniform ones), with seconds per point on one thread (the 12 points as one batch, the
per-rule tables included). Surrogates: Chebyshev interpolants of log I on n³ Lobatto nodes
(log|s| axes) built by ``hepemu fit`` from the node datasets ``runs/dbox/nodes<n>-14.h5``
(labelled at ``--label-nodes`` 14 per axis) that ``scripts/label_dbox.sh`` wrote (``hepemu data
generate``, one thread; its wall times in ``runs/dbox/times.jsonl`` are the labelling cost), σ
calibrated on ``calib-16.h5`` and every model scored on ``test-16.h5`` (fresh uniform points
labelled by the finer rule, ``--fine-nodes`` 16, so that σ and the score see the labels' own
error too; ``mean_digits_vs_rule`` scores against the labelling rule's values, test-14.h5); the
shipped ``gghh-dbox-2l-chebyshev``; and the k = 6 INN of benchmarks/inn_dbox.py as recorded in
inn_dbox.json (not re-run). Writes benchmarks/results/surrogates_dbox.json.

    STEPS="n12@14 test@14 calib@16 test@16" scripts/label_dbox.sh   # the labels (~55 CPU-min)
    python benchmarks/surrogates_dbox.py                    # ~5 min (the rule check)
    python benchmarks/surrogates_dbox.py --no-rule-check    # seconds: the interpolants only
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import pin_threads, write_json
from rich.table import Table
from surrogates import console, row

from hepemu.data.dataset import Dataset
from hepemu.physics.integrals.gghh2l import double_box_sectors
from hepemu.physics.integrals.tensor_rule import gauss_legendre_u2, tensor_rule_sums
from hepemu.registry import load_model
from hepemu.training.fit_chebyshev import fit_chebyshev
from hepemu.training.fit_config import FitCard

BOX = np.array([(-30.0, -3.0)] * 3)
RESULTS = Path(__file__).parent / "results"


def rule_check(reference_nodes: int, nodes: tuple[int, ...]) -> dict:
    """Relative errors of the x = u² rule at ``nodes`` (and plain GL at 11) against
    ``reference_nodes``, and seconds per point (12 points in one batch, one thread)."""
    ss = double_box_sectors()
    corners = np.array(
        [[-30, -30, -30], [-3, -3, -3], [-30, -3, -3], [-3, -30, -30], [-30, -30, -3]]
        + [[-3, -3, -30]],
        dtype=float,
    )
    s = np.vstack([corners, np.random.default_rng(5).uniform(-30, -3, (6, 3))])
    t0 = time.perf_counter()
    ref = tensor_rule_sums(ss, s, *gauss_legendre_u2(reference_nodes))
    out = {"points": s.tolist(), "reference": ref.tolist(), "reference_nodes": reference_nodes}
    out["reference_s_per_point"] = (time.perf_counter() - t0) / len(s)
    t, w = np.polynomial.legendre.leggauss(11)
    rules = {f"u² {n}": gauss_legendre_u2(n) for n in nodes} | {
        "plain 11": (0.5 * (t + 1), 0.5 * w)
    }
    out["rules"] = {}
    for name, (x, wx) in rules.items():
        t0 = time.perf_counter()
        err = np.abs(tensor_rule_sums(ss, s, x, wx) / ref - 1)
        out["rules"][name] = {
            "max_rel_error": float(err.max()),
            "median_rel_error": float(np.median(err)),
            "mean_rel_error": float(err.mean()),
            "s_per_point": (time.perf_counter() - t0) / len(s),
        }
        console.print(name, out["rules"][name])
    return out


def labelling_seconds(path: Path) -> dict[str, float]:
    """Wall seconds per dataset name from label.sh's times.jsonl (resumed runs add up)."""
    out: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            out[rec["name"]] = out.get(rec["name"], 0.0) + rec["seconds"]
    return out


def xy(path: Path) -> tuple[np.ndarray, np.ndarray]:
    ds = Dataset.open(path)
    return ds.read("inputs").reshape(ds.n, -1), ds.read("targets").reshape(ds.n, -1)[:, 0]


def suffix(nodes: int) -> str:
    """label_dbox.sh's file suffix for labels at ``nodes`` per axis (13: the default, none)."""
    return "" if nodes == 13 else f"-{nodes}"


def digits(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(-np.mean(np.log10(np.abs(pred / truth - 1) + 1e-300)))


def chebyshev_rows(args, times: dict[str, float]) -> tuple[dict, dict]:
    """One row per node dataset: ``hepemu fit`` (kind chebyshev, log target), σ calibrated
    on the calibration points by the finer rule, scored on the test points by the finer rule
    (and, ``mean_digits_vs_rule``, against the labelling rule's own values there)."""
    fine = f"-{args.fine_nodes}"
    test = args.data / f"test{fine}.h5"
    calib = args.data / f"calib{fine}.h5"
    x, y = xy(test)
    own = args.data / f"test{suffix(args.label_nodes)}.h5"  # the labelling rule's own values
    x13, y13 = xy(own)
    if not np.array_equal(x, x13):
        raise SystemExit(f"{test} and {own.name} hold different points")
    err = np.abs(y13 / y - 1)
    label_error = {
        "points": len(y),
        "mean_digits": digits(y13, y),
        "median_rel_error": float(np.median(err)),
        "max_rel_error": float(err.max()),
        "fine_nodes": args.fine_nodes,
    }
    rows: dict[str, dict] = {}
    pattern = rf"nodes(\d+){suffix(args.label_nodes)}"
    files = [p for p in args.data.glob("nodes*.h5") if re.fullmatch(pattern, p.stem)]
    for path in sorted(files, key=lambda p: int(re.fullmatch(pattern, p.stem)[1])):
        card = FitCard.model_validate(
            {
                "data": {"path": str(path)},
                "model": {"kind": "chebyshev", "calibration_data": str(calib)},
                "preprocessing": {"target_transform": "log"},
            }
        )
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            model = fit_chebyshev(card, tmp)
            fit_s = time.perf_counter() - t0
        n = Dataset.open(path).n
        label_s = times.get(path.stem, float("nan"))
        rows[f"chebyshev {round(n ** (1 / 3))}³ (log)"] = row(
            model,
            x,
            y,
            BOX,
            mean_digits_vs_rule=digits(model.predict(x13)[0], y13),
            truth_calls=n,
            label_s=label_s,
            label_s_per_point=label_s / n,
            build_s=label_s + fit_s,
            build=f"{n} labels ({args.rule}, one thread) + one DCT; σ on {calib.name}",
        )
    if args.shipped:
        shipped = load_model("gghh-dbox-2l-chebyshev")
        rows["shipped gghh-dbox-2l-chebyshev"] = row(
            shipped,
            x,
            y,
            BOX,
            mean_digits_vs_rule=digits(shipped.predict(x13)[0], y13),
            truth_calls=args.shipped_nodes**3,
            build="cards/gghh_dbox_chebyshev.toml (labels as the row above)",
        )
    inn = json.loads((RESULTS / "inn_dbox.json").read_text())
    net = inn["dbox_inn"]
    rows["k = 6 INN (inn_dbox.json)"] = {
        "mean_digits": net["mean_digits"],
        "mean_digits_boundary": None,
        "worst_digits": net["worst_digits"],
        "r_1": None,
        "r_0_1": None,
        "q68_abs_delta": None,
        "coverage_1sigma": None,
        "coverage_2sigma": None,
        "us_per_point": net["us_per_point"],
        "size_bytes": None,
        "truth_calls": 0,
        "cpu_min": net["train_s"] * inn["args"]["threads"] / 60,
        "build": f"{inn['command']}: {net['steps']} steps, {net['train_s'] / 60:.0f} min on "
        f"{inn['args']['threads']} threads; scored on {inn['truth']['points']} points "
        f"against {inn['truth']['reference']}",
    }
    per_label = {
        name: times[name] / Dataset.open(args.data / f"{name}.h5").n
        for name in times
        if (args.data / f"{name}.h5").exists()
    }
    return rows, {"label_s_per_point": per_label, "label_error": label_error}


def print_rows(title: str, rows: dict[str, dict]) -> None:
    table = Table(title=title)
    cols = ("model", "digits", "worst", "q68 |δ|", "cover 1σ / 2σ", "µs/pt", "labels", "CPU-min")
    for col in cols:
        table.add_column(col)
    for name, r in rows.items():
        cover = r["coverage_1sigma"]
        table.add_row(
            name,
            f"{r['mean_digits']:.2f}",
            f"{r['worst_digits']:.2f}",
            "—" if r["q68_abs_delta"] is None else f"{r['q68_abs_delta']:.1e}",
            "—" if cover is None else f"{cover:.2f} / {r['coverage_2sigma']:.2f}",
            f"{r['us_per_point']:.2f}",
            str(r["truth_calls"]),
            f"{r.get('cpu_min', float('nan')):.1f}",
        )
    console.print(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("runs/dbox"))
    ap.add_argument("--label-nodes", type=int, default=14, help="nodes of nodes<k>-N.h5")
    ap.add_argument("--reference-nodes", type=int, default=18)
    ap.add_argument("--fine-nodes", type=int, default=16, help="nodes of test-N.h5, calib-N.h5")
    ap.add_argument("--no-rule-check", dest="rule_check", action="store_false")
    ap.add_argument("--no-shipped", dest="shipped", action="store_false")
    ap.add_argument("--shipped-nodes", type=int, default=12)
    ap.add_argument("--out", default="benchmarks/results/surrogates_dbox.json")
    args = ap.parse_args()
    args.rule = f"x = u² GL {args.label_nodes}⁶ per sector"
    pin_threads(1)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    old = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    if args.rule_check:
        rule = rule_check(args.reference_nodes, (8, 10, 11, 12, 13, 14, 16))
    else:
        rule = old.get("rule")
    times = labelling_seconds(args.data / "times.jsonl")
    rows, extra = chebyshev_rows(args, times)
    console.print(extra)
    npts = extra["label_error"]["points"]
    print_rows(f"gg→HH double box, {npts} fresh points, truth {args.fine_nodes} nodes", rows)
    write_json(
        args.out,
        {
            "dbox-2l": rows,
            "rule": rule,
            "labels": args.rule,
            **extra,
            "truth": f"the same rule at {args.fine_nodes} nodes per axis",
            "points": npts,
            "calibration_points": Dataset.open(args.data / f"calib-{args.fine_nodes}.h5").n,
            "threads": 1,
            "wall_s": time.perf_counter() - t0,
        },
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
