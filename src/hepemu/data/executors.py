"""Run independent tasks serially, in local worker processes, or on a Dask cluster.

One function, ``map_unordered``, is used by data generation (one chunk per task) and by
replica training (one model per task); results are yielded as tasks finish.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
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
    CUDA, which end with this process even when it is SIGKILLed; ``dask`` starts a
    LocalCluster of ``workers`` processes, or connects to the scheduler at ``scheduler``,
    and resubmits a task whose worker died ``retries`` times.
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
        on_main = threading.current_thread() is threading.main_thread()
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_die_with_parent,
            initargs=(os.getpid(), on_main),
        )
        try:
            futures = [pool.submit(fn, *args) for args in tasks]
            for fut in as_completed(futures):
                yield fut.result()
        finally:  # on an error (or an abandoned generator) do not wait for queued tasks
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        yield from _map_dask(fn, tasks, workers, scheduler, retries)


PARENT_POLL_S = 1.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int, pdeathsig: bool = True) -> None:
    """Worker initializer: end this worker when the process that started it is gone.

    Otherwise a SIGKILLed parent leaves its workers behind (each holds both ends of the
    task queue, so it never sees end-of-file and waits for tasks forever), and with them
    the multiprocessing resource tracker, which lives while any of them holds its pipe.
    On Linux the kernel sends SIGKILL at once (``PR_SET_PDEATHSIG``; only when the pool
    was started from the main thread, as the signal follows the exit of the starting
    thread); everywhere a daemon thread checks ``os.getppid()`` every second.
    """
    if pdeathsig and sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the thread below still works
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(
        target=_exit_when_orphaned, args=(parent_pid,), name="hepemu-parent-watch", daemon=True
    ).start()


def _exit_when_orphaned(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


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
