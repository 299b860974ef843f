"""Run independent tasks serially, in local worker processes, or on a Dask cluster.

One function, ``map_unordered``, is used by data generation (one chunk per task) and by
replica training (one model per task); results are yielded as tasks finish.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

EXECUTORS = ("serial", "processes", "dask")


def check_executor(name: str) -> str:
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    return name


def map_unordered(
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    executor: str = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    retries: int = 0,
) -> Iterator[Any]:
    """Yield ``fn(*args)`` for every ``args`` in ``tasks``, in order of completion.

    ``processes`` starts ``workers`` fresh (spawned) Python processes, safe with torch and
    CUDA; ``dask`` starts a LocalCluster of ``workers`` processes, or connects to the
    scheduler at ``scheduler``, and resubmits a task whose worker died ``retries`` times.
    ``fn`` must be importable (a module-level function) for the parallel executors.
    """
    check_executor(executor)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if executor == "serial":
        for args in tasks:
            yield fn(*args)
    elif executor == "processes":
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        try:
            futures = [pool.submit(fn, *args) for args in tasks]
            for fut in as_completed(futures):
                yield fut.result()
        finally:  # on an error (or an abandoned generator) do not wait for queued tasks
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        yield from _map_dask(fn, tasks, workers, scheduler, retries)


def _map_dask(fn, tasks, workers, scheduler, retries) -> Iterator[Any]:
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
        futures = [client.submit(fn, *args, pure=False, retries=retries) for args in tasks]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
