"""Benchmark: peak resident memory of `hepemu predict` on a large CSV, streamed vs whole-file.

Writes a CSV of ROWS uniform points of the gg→HH box region (s12, s14, mH2; not kept), runs
``hepemu predict --model gghh-box-1l-regressor`` on it in a fresh process under
``/usr/bin/time -v`` (peak RSS) with this checkout's sources and, with ``--before SRC``, with
another checkout's (e.g. main before streaming), checks that both wrote the same bytes, prints
a table and writes benchmarks/results/streaming.json.

    python benchmarks/streaming.py                          # 10³ and 10⁶ rows, ~1 min on 1 core
    python benchmarks/streaming.py --before /path/to/main/src       # with the whole-file runs
    python benchmarks/streaming.py --rows 10000000 --append         # add the 10⁷-row check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import write_json
from rich.console import Console
from rich.table import Table

MODEL = "gghh-box-1l-regressor"
HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def write_input(path: Path, rows: int, seed: int = 0, block: int = 1_000_000) -> None:
    """ROWS uniform points of the box [-29, -4]³ as CSV (full precision), block by block."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as fh:
        fh.write("s12,s14,mH2\n")
        for a in range(0, rows, block):
            x = rng.uniform(-29.0, -4.0, (min(block, rows - a), 3))
            np.savetxt(fh, x, delimiter=",", fmt="%.17g")


def run_predict(src: Path, inp: Path, out: Path, extra: list[str]) -> dict:
    """Peak RSS (MB), wall seconds and output hash of one `hepemu predict` in a new process."""
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "hepemu.cli.main", "predict", "--model", MODEL,
           "-i", str(inp), "-o", str(out), "--threads", "1", "--force", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"predict failed ({src}):\n{proc.stderr[-2000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return {"peak_rss_mb": kb / 1024, "seconds": seconds, "sha256": digest}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000, 1_000_000])
    ap.add_argument("--before", type=Path, help="src/ of a checkout without streaming")
    ap.add_argument("--chunk-rows", type=int, default=None, help="streamed chunk (default 100k)")
    ap.add_argument("--no-save", action="store_true", help="print only")
    ap.add_argument("--append", action="store_true",
                    help="keep the saved runs of other row counts in the JSON file")
    args = ap.parse_args()
    runs = []
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            inp = Path(tmp) / "points.csv"
            write_input(inp, rows)
            size_mb = inp.stat().st_size / 2**20
            chunk = ["--chunk-rows", str(args.chunk_rows)] if args.chunk_rows else []
            after = run_predict(SRC, inp, Path(tmp) / "after.csv", chunk)
            runs.append({"rows": rows, "csv_mb": size_mb, "run": "after (streamed)", **after})
            if args.before is not None:
                before = run_predict(args.before, inp, Path(tmp) / "before.csv", [])
                runs.append({"rows": rows, "csv_mb": size_mb, "run": "before (whole file)",
                             **before, "same_output_as_after": before["sha256"] == after["sha256"]})
    table = Table(title=f"hepemu predict --model {MODEL} --threads 1: peak resident memory")
    for c in ("rows", "CSV [MB]", "run", "peak RSS [MB]", "seconds", "output sha256"):
        table.add_column(c)
    for r in runs:
        table.add_row(str(r["rows"]), f"{r['csv_mb']:.0f}", r["run"], f"{r['peak_rss_mb']:.0f}",
                      f"{r['seconds']:.1f}", r["sha256"][:16])
    Console().print(table)
    same = all(r.get("same_output_as_after", True) for r in runs)
    if args.before is not None:
        print(f"same output bytes before and after: {same}")
    out = HERE / "results" / "streaming.json"
    if args.append and out.exists():
        measured = {(r["rows"], r["run"]) for r in runs}
        kept = [r for r in json.loads(out.read_text())["runs"]
                if (r["rows"], r["run"]) not in measured]
        runs = sorted(kept + runs, key=lambda r: (r["rows"], r["run"]))
        same = all(r.get("same_output_as_after", True) for r in runs)
    if not args.no_save:
        write_json(
            out,
            {"model": MODEL, "threads": 1, "chunk_rows": args.chunk_rows or 100_000,
             "runs": runs, "same_output": same},
        )


if __name__ == "__main__":
    main()
