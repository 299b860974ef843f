"""Helpers shared by the benchmark scripts: hardware description, medians, JSON output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path


def hardware() -> dict:
    """CPU model, core count, Python and (if importable) torch/CUDA."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    try:
        info["cpu_affinity"] = len(os.sched_getaffinity(0))
        info["loadavg"] = os.getloadavg()
    except (AttributeError, OSError):
        pass
    info["thread_env"] = {v: os.environ.get(v) for v in THREAD_VARS}
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["torch_version"] = torch.__version__
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        pass
    try:
        import numpy

        info["numpy_version"] = numpy.__version__
    except ImportError:
        pass
    return info


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    result = {**result, "hardware": hardware(), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path.write_text(json.dumps(result, indent=1, default=_plain))


def _plain(obj: object) -> object:
    """NumPy scalars and arrays as Python numbers and lists; anything else as text."""
    return obj.tolist() if hasattr(obj, "tolist") else str(obj)
