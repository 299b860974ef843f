"""What machine a measurement ran on: CPU model, usable cores, load, library versions.

The one place for it: the main job's report and the benchmarks' JSON both describe their
machine with these functions.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo``; the platform's processor name elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cores_available() -> int:
    """CPU cores this process may run on (its affinity mask; os.cpu_count() elsewhere)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_average() -> float | None:
    """1-minute load average, rounded to 0.01 (None where the platform has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def hardware() -> dict[str, Any]:
    """CPU model, core counts, load, thread variables, Python and (if importable) torch/CUDA
    and NumPy versions: the machine record of a benchmark's JSON."""
    info: dict[str, Any] = {
        "cpu": cpu_name(),
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
