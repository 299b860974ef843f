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
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

EXECUTORS = ("serial", "processes", "dask")


class WorkerLost(RuntimeError):
    """Tasks that killed their worker process every time they were tried."""

    def __init__(self, tasks: list[tuple], attempts: int) -> None:
        self.tasks, self.attempts = tasks, attempts
        super().__init__(
            f"{len(tasks)} task(s) killed their worker process {attempts} time(s) each (a crash "
            "in native code, os._exit, or the out-of-memory killer); not retried again"
        )


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
    lost: Callable[[tuple, int], Any] | None = None,
) -> Iterator[Any]:
    """Yield ``fn(*args)`` for every ``args`` in ``tasks``, in order of completion.

    ``processes`` starts ``workers`` fresh (spawned) Python processes, safe with torch and
    CUDA, which end with this process even when it is SIGKILLed; ``dask`` starts a
    LocalCluster of ``workers`` processes, or connects to the scheduler at ``scheduler``.
    A task whose worker process dies (SIGKILL, ``os._exit``, a segfault, the OOM killer) is
    run again alone in a fresh worker, so that a death there is its own, up to ``retries`` + 1
    times (dask: until its ``allowed-failures``, then its ``KilledWorker``). A task that kills its
    worker every time is given up: ``lost(args, attempts)`` is yielded for it (its result's
    stand-in), or, without ``lost``, :class:`WorkerLost` is raised once every other task is
    done. ``fn`` must be importable (a module-level function) for
    the parallel executors; the serial executor runs tasks in this process.
    """
    check_executor(executor)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if executor == "serial":
        for args in tasks:
            yield fn(*args)
        return
    given_up: list[tuple] = []
    if executor == "processes":
        runs = _map_processes(fn, tasks, workers, retries)
    else:
        runs = _map_dask(fn, tasks, workers, scheduler, retries)
    for ok, value in runs:
        if ok:
            yield value
        elif lost is not None:
            yield lost(value, retries + 1)
        else:
            given_up.append(value)
    if given_up:
        raise WorkerLost(given_up, retries + 1)


def _map_processes(fn, tasks, workers: int, retries: int) -> Iterator[tuple[bool, Any]]:
    """(True, result) per task, (False, args) for a task that killed its worker every time.

    Tasks run in a pool with at most ``workers`` in flight; when a worker dies the pool
    breaks and the tasks in flight become suspects, each rerun alone in a one-worker pool
    (a death there is that task's own) before the rest go on in a fresh pool.
    """
    queue = deque(enumerate(tasks))
    suspects: deque = deque()
    deaths: dict[int, int] = {}
    while queue or suspects:
        if not suspects:
            suspects.extend((yield from _pool_run(fn, queue, workers)))
            continue
        k, args = suspects.popleft()
        if not (yield from _pool_run(fn, deque([(k, args)]), 1)):
            continue
        deaths[k] = deaths.get(k, 0) + 1
        if deaths[k] > retries:
            yield False, args
        else:
            suspects.appendleft((k, args))


def _pool_run(fn, queue: deque, workers: int) -> Generator[tuple[bool, Any], None, list]:
    """Run the tasks of ``queue`` in one pool, yielding (True, result); returns the tasks
    in flight when a worker died (the pool is then broken; the rest stay in ``queue``)."""
    ctx = multiprocessing.get_context("spawn")
    on_main = threading.current_thread() is threading.main_thread()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_die_with_parent,
        initargs=(os.getpid(), on_main),
    )
    running: dict = {}
    try:
        while queue or running:
            while queue and len(running) < workers:
                k, args = queue.popleft()
                running[pool.submit(fn, *args)] = (k, args)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = []
            for fut in done:
                item = running.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    broken.append(item)
                    continue
                yield True, result
            if broken:
                return broken + list(running.values())
        return []
    finally:  # on an error (or an abandoned generator) do not wait for queued tasks
        pool.shutdown(wait=True, cancel_futures=True)


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


def _map_dask(fn, tasks, workers, scheduler, retries) -> Iterator[tuple[bool, Any]]:
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
        futures = {
            client.submit(fn, *args, pure=False, retries=retries): args for args in tasks
        }
        for fut in as_completed(futures):
            try:
                yield True, fut.result()
            except Exception as exc:  # noqa: BLE001 - only a dead worker is given up here
                if type(exc).__name__ != "KilledWorker":
                    raise
                yield False, futures[fut]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
