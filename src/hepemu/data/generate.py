"""Chunked, resumable generation of truth datasets.

Points are drawn per chunk from a seed derived from (seed, chunk index), so any executor and
any interruption give the same points; every finished chunk is written atomically to
``<out>.parts/chunk-NNNNN.npz``; when all chunks exist they are assembled into the HDF5
dataset, whose content hash is therefore identical for serial, parallel and resumed runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hepemu.data.dataset import write_dataset
from hepemu.data.samplers import to_box
from hepemu.physics.integrals.registry import get_integral


@dataclass(frozen=True)
class GenerationPlan:
    """What to generate: provider, number of points, chunking and seed."""

    provider: str
    n: int
    chunk: int
    seed: int

    @property
    def n_chunks(self) -> int:
        return -(-self.n // self.chunk)

    def chunk_size(self, i: int) -> int:
        return min(self.chunk, self.n - i * self.chunk)


def integral_chunk(plan: GenerationPlan, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (s, x) uniform on the region × [0,1]^k and integrand values for chunk ``i``."""
    integ = get_integral(plan.provider)
    rng = np.random.default_rng([plan.seed, i])
    u = rng.random((plan.chunk_size(i), integ.n_params + integ.dim))
    s = to_box(u[:, : integ.n_params], integ.lows, integ.highs)
    x = u[:, integ.n_params :]
    return np.hstack([s, x]), integ(s, x)


def chunk_path(out: Path, i: int) -> Path:
    return Path(str(out) + ".parts") / f"chunk-{i:05d}.npz"


def run_chunk(plan: GenerationPlan, out: Path, i: int) -> int:
    """Evaluate chunk ``i`` and write it atomically; NaN/inf rows are dropped and counted."""
    x, y = integral_chunk(plan, i)
    good = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
    path = chunk_path(out, i)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
    np.savez(tmp, inputs=x[good], targets=y[good], rejected=np.count_nonzero(~good))
    os.replace(tmp, path)
    return i


def pending_chunks(plan: GenerationPlan, out: Path) -> list[int]:
    return [i for i in range(plan.n_chunks) if not chunk_path(out, i).exists()]


def generate(
    plan: GenerationPlan,
    out: str | Path,
    executor: str = "serial",
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
) -> str:
    """Generate (or resume) the dataset ``out``; returns its content hash.

    ``executor`` is ``serial``, ``processes`` (local worker processes) or ``dask`` (a Dask
    LocalCluster of ``workers`` processes, or the running cluster at ``scheduler``; the
    workers must see ``out``'s folder, e.g. a shared file system).
    """
    out = Path(out).resolve()
    todo = pending_chunks(plan, out)
    done = plan.n_chunks - len(todo)
    for _ in _execute(plan, out, todo, executor, workers, scheduler):
        done += 1
        if progress is not None:
            progress(done, plan.n_chunks)
    xs, ys, rejected = [], [], 0
    for i in range(plan.n_chunks):
        with np.load(chunk_path(out, i)) as z:
            xs.append(z["inputs"])
            ys.append(z["targets"])
            rejected += int(z["rejected"])
    integ = get_integral(plan.provider)
    meta = {
        "provider": plan.provider,
        "description": integ.description,
        "columns": [*integ.param_names, *(f"x{j + 1}" for j in range(integ.dim))],
        "fixed": integ.fixed,
        "region": dict(zip(integ.param_names, integ.param_ranges, strict=True)),
        "sampler": "uniform",
        "seed": plan.seed,
        "chunk": plan.chunk,
        "rejected_nonfinite": rejected,
        "generator": "hepemu.physics.integrals",
    }
    return write_dataset(out, np.concatenate(xs), np.concatenate(ys), meta)


EXECUTORS = ("serial", "processes", "dask")


def _execute(plan, out, todo, executor, workers, scheduler=None) -> Iterator[int]:
    if executor == "serial":
        for i in todo:
            yield run_chunk(plan, out, i)
    elif executor == "processes":
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(run_chunk, [plan] * len(todo), [out] * len(todo), todo)
    elif executor == "dask":
        yield from _execute_dask(plan, out, todo, workers, scheduler)
    else:
        raise ValueError(f"unknown executor {executor!r} {EXECUTORS}")


def _execute_dask(plan, out, todo, workers, scheduler) -> Iterator[int]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError("the dask executor needs: pip install 'dask[distributed]'") from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(scheduler if scheduler is not None else cluster)
    try:
        futures = [client.submit(run_chunk, plan, out, i, pure=False, retries=2) for i in todo]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
