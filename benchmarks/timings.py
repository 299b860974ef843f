"""Benchmark: the wall-clock times the test suite used to assert (issue 26), measured here.

The tests keep their functional checks (refused before any work, no Dask client made, the
schedule ran out, the median ignores an outlier); how long each takes on this machine is
measured here, as medians of repeats (the CLI cases after one warm-up call that pays
the imports, as the in-process tests did), next to the bound the old test asserted:

- ``hepemu data generate`` into a directory, 50 000 integrals asked: refused (was < 20 s);
- ``hepemu data generate`` with an unreachable ``--scheduler``: refused (was < 10 s);
- a network run with a 0.6 s time-based lr schedule: its training time (was < 5 s);
- ``time_per_point_us`` of a 10 ms sleep on 100 points, one 300 ms outlier (was < 2000 µs);
- ``hepemu run --quick`` as a subprocess: its recorded ``wall_s`` (was < 120 s; once, as it
  costs ~30 s to a few minutes; ``--skip-quick`` leaves it out).

Prints a table, writes benchmarks/results/timings.json (with the hardware).

    python benchmarks/timings.py                      # ~1–3 minutes on 2 cores
    python benchmarks/timings.py --repeats 1 --skip-quick --out /tmp/timings.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import median_seconds, timed, write_json
from rich.console import Console
from rich.table import Table

console = Console()


def quiet_cli(*args: object) -> int:
    """``hepemu *args`` in-process with its output swallowed; the exit code."""
    from hepemu.cli.main import run_cli

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return run_cli([str(a) for a in args])


def refuse_directory(work: Path) -> Callable[[], None]:
    target = work / "dir"
    target.mkdir(exist_ok=True)
    args = ("data", "generate", "--provider", "gghh-box-1l/integral", "--n", "50000")

    def run() -> None:
        assert quiet_cli(*args, "--out", target) != 0, "generation into a directory ran"

    return run


def refuse_scheduler(work: Path) -> Callable[[], None]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    args = ("data", "generate", "--provider", "gghh-box-1l", "--n", "10", "--executor", "dask")

    def run() -> None:
        out = work / "F.h5"
        assert quiet_cli(*args, "--out", out, "--scheduler", f"tcp://127.0.0.1:{port}") != 0
        assert not out.exists()

    return run


def time_schedule(work: Path, record: dict) -> Callable[[], None]:
    """A network run ended by a 0.6 s time-based lr schedule (as tests/test_fit.py)."""
    from hepemu.data.dataset import Dataset, write_dataset
    from hepemu.training.fit import MemberTrainer
    from hepemu.training.fit_config import FitCard
    from hepemu.training.fit_data import fit_preprocessing

    path = work / "D.h5"
    x = np.random.default_rng(5).random((6000, 3))
    y = np.exp(3.0 * x[:, 0]) * (1.0 + x[:, 1] ** 2) / (1.0 + 0.5 * x[:, 2])
    write_dataset(path, x, y, {"columns": ["a", "b", "c"], "target_columns": ["f"]})
    card = FitCard.model_validate(
        {
            "data": {"path": str(path)},
            "model": {"kind": "skdnn", "width": 32, "blocks": 2},
            "preprocessing": {"target_transform": "log"},
            "training": {
                "epochs": 10_000,
                "batch_size": 128,
                "patience": 40,
                "threads": 1,
                "lr": 1e-3,
                "lr_min": 1e-6,
                "decay_minutes": 0.01,
            },
        }
    )
    pre = fit_preprocessing(card, Dataset.open(path))
    runs = iter(range(10**6))

    def run() -> None:
        st = MemberTrainer(card, pre, work / f"run{next(runs)}", seed=0).train()
        assert st.finished and st.stop_reason.startswith("lr schedule done")
        record.setdefault("elapsed_s", []).append(st.elapsed_s)

    return run


def timer_on_sleep(record: dict) -> Callable[[], None]:
    """``time_per_point_us`` of a 10 ms sleep on 100 points; the ideal reading is 100 µs."""
    from hepemu.evaluation.regression import time_per_point_us

    def run() -> None:
        calls = {"n": 0}

        def fn(x):
            calls["n"] += 1
            time.sleep(0.3 if calls["n"] == 2 else 0.01)

        record.setdefault("us_per_point", []).append(
            time_per_point_us(fn, np.zeros((100, 2)), repeats=5)
        )

    return run


def quick_run(work: Path) -> dict:
    """``hepemu run --quick`` once as a subprocess: its wall time and the recorded wall_s."""
    out = work / "quick"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "hepemu.cli.main", "run", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"hepemu run --quick failed: {proc.stderr[-2000:]}")
    summary = json.loads((out / "summary.json").read_text())
    return {"process_s": wall, "wall_s": summary["run"]["wall_s"]}


def row(case: str, seconds: float, times: list, old: str, value: float, limit: float) -> dict:
    return {
        "case": case,
        "median_s": seconds,
        "times_s": times,
        "measured": value,
        "old_test_bound": old,
        "within_old_bound": bool(value < limit),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip-quick", action="store_true", help="leave out `hepemu run --quick`")
    ap.add_argument("--out", default="benchmarks/results/timings.json")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        med, times = timed(refuse_directory(work), args.repeats)  # after a warm-up call
        rows.append(row("generate into a directory: refused", med, times, "< 20 s", med, 20))
        med, times = timed(refuse_scheduler(work), args.repeats)
        rows.append(row("unreachable --scheduler: refused", med, times, "< 10 s", med, 10))
        rec: dict = {}
        med, times = median_seconds(time_schedule(work, rec), args.repeats)
        el = float(np.median(rec["elapsed_s"]))
        rows.append(row("0.6 s lr schedule: training time", med, times, "< 5 s", el, 5))
        rows[-1]["elapsed_s"] = rec["elapsed_s"]
        rec = {}
        med, times = median_seconds(timer_on_sleep(rec), args.repeats)
        us = float(np.median(rec["us_per_point"]))
        rows.append(row("time_per_point_us of a 10 ms sleep", med, times, "< 2000 µs", us, 2000))
        rows[-1]["us_per_point"] = rec["us_per_point"]
        if not args.skip_quick:
            q = quick_run(work)
            rows.append(
                row(
                    "hepemu run --quick",
                    q["process_s"],
                    [q["process_s"]],
                    "< 120 s",
                    q["wall_s"],
                    120,
                )
            )
    table = Table(title=f"wall-clock times the tests used to assert (median of {args.repeats})")
    for col in ("case", "median call [s]", "measured", "old test bound", "within"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["case"],
            f"{r['median_s']:.3f}",
            f"{r['measured']:.4g}",
            r["old_test_bound"],
            "yes" if r["within_old_bound"] else "NO",
        )
    console.print(table)
    console.print(
        "measured: the call's median wall time; for the schedule the trainer's own elapsed_s, "
        "for the timer its µs per point (ideal 100), for the quick run its recorded wall_s"
    )
    write_json(args.out, {"repeats": args.repeats, "rows": rows})
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
