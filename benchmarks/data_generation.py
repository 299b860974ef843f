"""Benchmark: truth-data generation (serial vs local workers vs Dask) and streaming reads.

Generation: points/s for the gg→HH box integrand and for e⁺e⁻ → qq̄g on RAMBO phase space
with a Durham 3-jet cut, each with the serial executor, 2 local worker processes and a Dask
LocalCluster of 2 workers (medians of repeats; every run writes a fresh file; the hashes of
all executors are checked to be equal). Reading: shuffled mini-batches per second from an
HDF5 file many times larger than the reader's shuffle buffer, against shuffled batches from
an in-memory array (the upper bound). Prints a table, writes benchmarks/results/.

    python benchmarks/data_generation.py                  # a few minutes on 2 cores
    python benchmarks/data_generation.py --scale 10 --repeats 5 --workers 16
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from common import median_seconds, write_json
from rich.console import Console
from rich.table import Table

from hepemu.data.dataset import write_dataset
from hepemu.data.generate import GenerationPlan, generate
from hepemu.data.streaming import iter_batches

console = Console()

# label: (provider, options, points, chunk); the integral values cost ~0.6 ms per point
CASES = {
    "gghh-box-1l (integrand)": ("gghh-box-1l", (), 1_000_000, 50_000),
    "ee-qqg, Durham ycut 0.01": ("ee-qqg", (("ycut", 0.01),), 400_000, 25_000),
    "gghh-box-1l/integral (GL 24^3)": ("gghh-box-1l/integral", (), 40_000, 2_000),
}


def time_executor(plan: GenerationPlan, executor: str, args, work: Path) -> tuple[float, list, str]:
    """Median wall time of generating ``plan`` afresh with ``executor``, and the hash."""
    runs = iter(range(10**6))
    digest = {}

    def run() -> None:
        out = work / f"{executor}-{next(runs)}.h5"
        digest["hash"] = generate(plan, out, executor, workers=args.workers)
        shutil.rmtree(str(out) + ".parts", ignore_errors=True)
        out.unlink()

    med, times = median_seconds(run, args.repeats)
    return med, times, digest["hash"]


def bench_generation(args, work: Path) -> list[dict]:
    rows = []
    for label, (provider, options, points, chunk) in CASES.items():
        n = max(1, int(points * args.scale))
        plan = GenerationPlan(provider, n, min(chunk, n), seed=1, options=options)
        serial_s = None
        hashes = set()
        for executor in args.executors:
            med, times, digest = time_executor(plan, executor, args, work)
            serial_s = serial_s or med
            hashes.add(digest)
            rows.append(
                {
                    "provider": label,
                    "executor": executor,
                    "workers": 1 if executor == "serial" else args.workers,
                    "points": plan.n,
                    "chunk": plan.chunk,
                    "median_s": med,
                    "times_s": times,
                    "points_per_s": plan.n / med,
                    "speedup_vs_first": serial_s / med,
                    "hash": digest,
                }
            )
        if len(hashes) != 1:
            raise SystemExit(f"executors disagree for {label}: {hashes}")
    return rows


def bench_reader(args, work: Path) -> dict:
    rng = np.random.default_rng(0)
    x = rng.random((args.read_rows, 7))
    y = rng.random(args.read_rows)
    path = work / "read.h5"
    write_dataset(path, x, y, {"generator": "benchmark"})
    size_mb = path.stat().st_size / 2**20

    def epoch_file() -> int:
        return sum(1 for _ in iter_batches(path, args.batch, buffer_rows=args.buffer_rows))

    def epoch_memory() -> int:
        perm = np.random.default_rng(1).permutation(len(x))
        count = 0
        for i in range(0, len(x), args.batch):
            sel = perm[i : i + args.batch]
            _ = (x[sel], y[sel])
            count += 1
        return count

    n_batches = epoch_file()
    t_file, times_file = median_seconds(epoch_file, args.repeats)
    t_mem, _ = median_seconds(epoch_memory, args.repeats)
    return {
        "rows": args.read_rows,
        "file_mb": size_mb,
        "raw_mb": (x.nbytes + y.nbytes) / 2**20,
        "buffer_rows": args.buffer_rows,
        "file_over_buffer": args.read_rows / args.buffer_rows,
        "batch": args.batch,
        "batches_per_epoch": n_batches,
        "file_batches_per_s": n_batches / t_file,
        "file_rows_per_s": args.read_rows / t_file,
        "memory_batches_per_s": n_batches / t_mem,
        "times_s": times_file,
        "page_cache": "warm (the file was just written)",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the point counts")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--executors", nargs="+", default=["serial", "processes", "dask"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--read-rows", type=int, default=2_000_000)
    ap.add_argument("--buffer-rows", type=int, default=131_072)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--out", default="benchmarks/results/data_generation.json")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hepemu-bench-"))
    try:
        t0 = time.perf_counter()
        gen = bench_generation(args, work)
        read = bench_reader(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    t1 = Table(title=f"generation (median of {args.repeats}; hashes equal across executors)")
    for col in ("provider", "points", "executor", "workers", "median s", "points/s", "speed-up"):
        t1.add_column(col)
    for r in gen:
        t1.add_row(
            r["provider"],
            str(r["points"]),
            r["executor"],
            str(r["workers"]),
            f"{r['median_s']:.2f}",
            f"{r['points_per_s']:.3g}",
            f"{r['speedup_vs_first']:.2f}×",
        )
    console.print(t1)
    t2 = Table(title="streaming reader (shuffled batches, one epoch)")
    for col in ("rows", "file MB", "file/buffer", "batch", "batches/s", "rows/s", "in-memory"):
        t2.add_column(col)
    t2.add_row(
        str(read["rows"]),
        f"{read['file_mb']:.0f}",
        f"{read['file_over_buffer']:.0f}×",
        str(read["batch"]),
        f"{read['file_batches_per_s']:.0f}",
        f"{read['file_rows_per_s']:.3g}",
        f"{read['memory_batches_per_s']:.0f} batches/s",
    )
    console.print(t2)
    write_json(
        args.out,
        {"args": vars(args), "generation": gen, "reader": read, "wall_s": time.perf_counter() - t0},
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
