"""Helpers shared by the benchmark scripts: hardware description, medians, JSON output."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from hepemu.fileio import write_atomic
from hepemu.machine import THREAD_VARS, hardware

__all__ = ["THREAD_VARS", "hardware", "median_seconds", "pin_threads", "timed", "write_json"]


def pin_threads(threads: int) -> None:
    """Re-execute this script with every BLAS/OpenMP pool limited to ``threads``.

    The pools read their size when NumPy/torch are first imported, so the variables are set
    and the interpreter restarted (once) before anything else runs; torch's own pool is set
    with ``torch.set_num_threads`` by the caller.
    """
    want = str(threads)
    if all(os.environ.get(v) == want for v in THREAD_VARS):
        return
    env = {**os.environ, **dict.fromkeys(THREAD_VARS, want)}
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """One warm-up call, then the median and all wall-clock times of ``repeats`` calls."""
    fn()
    return median_seconds(fn, repeats)


def median_seconds(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Median and all wall-clock times of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def write_json(path: str | Path, result: dict) -> None:
    result = {**result, "hardware": hardware(), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    write_atomic(path, json.dumps(result, indent=1, default=_plain))


def _plain(obj: object) -> object:
    """NumPy scalars and arrays as Python numbers and lists; anything else as text."""
    return obj.tolist() if hasattr(obj, "tolist") else str(obj)
