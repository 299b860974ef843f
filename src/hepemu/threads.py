"""How many torch threads to use.

On a small shared machine, torch's OpenMP threads spin-wait for each other: when another
process holds a core, a two-thread evaluation was measured ~100× slower than one thread. The
default therefore counts only the cores that are not busy (CPU affinity minus the 1-minute
load average), and ``HEPEMU_THREADS`` or an explicit request overrides it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from hepemu.machine import cores_available as available_cores  # CPUs this process may use

ENV = "HEPEMU_THREADS"


def choose_threads(requested: int | None = None) -> int:
    """``requested`` if > 0, else ``$HEPEMU_THREADS``, else the cores that are not busy (≥ 1)."""
    if requested:
        return int(requested)
    env = os.environ.get(ENV, "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"{ENV} must be a positive integer, got {env!r}") from None
        if n < 1:
            raise ValueError(f"{ENV} must be a positive integer, got {env!r}")
        return n
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    return max(1, min(available_cores(), int(available_cores() - load + 0.5)))


def set_threads(requested: int | None = None) -> int:
    """Set torch's intra-op threads to :func:`choose_threads` and return the number."""
    import torch

    n = choose_threads(requested)
    torch.set_num_threads(n)
    return n


@contextmanager
def fixed_threads(n: int) -> Iterator[None]:
    """Run the block with exactly ``n`` torch threads, then restore the previous number:
    float32 networks give last-bit differences between thread counts, so work whose result
    must not depend on the machine's load (an event run's chunks) fixes its threads."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
