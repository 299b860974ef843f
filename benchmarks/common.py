"""Helpers shared by the benchmark scripts: hardware description, medians, JSON output."""

from __future__ import annotations

import json
import os
import platform
import statistics
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
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        pass
    return info


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
