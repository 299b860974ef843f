"""Dying workers: a chunk whose worker process is killed is run again (same hash); a chunk
that kills its worker every time is isolated and reported, not retried forever."""

from __future__ import annotations

import numpy as np
import pytest

from hepemu.data.executors import WorkerLost, map_unordered
from hepemu.data.generate import GenerationError, GenerationPlan, chunk_inputs, chunk_path
from hepemu.data.generate import generate as generate_dataset

PLAN = GenerationPlan("providers_for_tests:killing", n=40, chunk=10, seed=3)


def test_a_worker_killed_mid_chunk_is_replaced_and_the_hash_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.delenv("HEPEMU_TEST_KILL_AT", raising=False)
    monkeypatch.delenv("HEPEMU_TEST_KILL_ONCE", raising=False)
    lone = generate_dataset(PLAN, tmp_path / "lone.h5", "processes", workers=2)
    marker = tmp_path / "killed-once"
    monkeypatch.setenv("HEPEMU_TEST_KILL_ONCE", str(marker))
    assert generate_dataset(PLAN, tmp_path / "killed.h5", "processes", workers=2) == lone
    assert marker.exists()  # a worker really was SIGKILLed mid-chunk


def test_a_chunk_that_kills_its_worker_every_time_is_isolated(tmp_path, monkeypatch):
    monkeypatch.delenv("HEPEMU_TEST_KILL_ONCE", raising=False)
    provider = PLAN.make_provider()
    x0 = [chunk_inputs(PLAN, provider, i)[0][:, 0] for i in range(PLAN.n_chunks)]
    deadly = int(np.argmax([c.max() for c in x0]))  # the one chunk holding the largest x0
    monkeypatch.setenv("HEPEMU_TEST_KILL_AT", repr(float(x0[deadly].max())))
    out = tmp_path / "d.h5"
    with pytest.raises(GenerationError) as exc:
        generate_dataset(PLAN, out, "processes", workers=2)
    msg = str(exc.value)
    assert f"1 of {PLAN.n_chunks} chunks failed" in msg
    assert f"chunk {deadly}: its worker process died on each of 3 attempts" in msg
    kept = [i for i in range(PLAN.n_chunks) if chunk_path(out, i).exists()]
    assert kept == [i for i in range(PLAN.n_chunks) if i != deadly]  # the others are kept
    monkeypatch.delenv("HEPEMU_TEST_KILL_AT")  # "fixed": the rerun resumes to a lone run's hash
    resumed = generate_dataset(PLAN, out, "processes", workers=2)
    assert resumed == generate_dataset(PLAN, tmp_path / "lone.h5")


def _exit_on(i: int, deadly: int) -> int:
    import os

    if i == deadly:
        os._exit(3)
    return i


def test_map_unordered_gives_up_a_task_that_kills_its_worker(monkeypatch):
    done = []
    with pytest.raises(WorkerLost) as exc:
        for r in map_unordered(_exit_on, [(i, 2) for i in range(5)], "processes", 2, retries=1):
            done.append(r)
    assert sorted(done) == [0, 1, 3, 4] and exc.value.tasks == [(2, 2)]
    assert exc.value.attempts == 2
    stand_in = list(map_unordered(_exit_on, [(0, 0), (1, 0)], "processes", 2,
                                  lost=lambda args, n: ("lost", args, n)))
    assert sorted(stand_in, key=str) == [("lost", (0, 0), 1), 1]


def test_dask_gives_up_a_task_whose_workers_die(monkeypatch):
    """Dask restarts a dead worker and reschedules its task; after its allowed failures the
    task is given up (KilledWorker) and reported like the processes executor's."""
    pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        stand_in = list(map_unordered(_exit_on, [(0, 1), (1, 1), (2, 1)], "dask", 2,
                                      lost=lambda args, n: ("lost", args)))
    assert sorted(stand_in, key=str) == [("lost", (1, 1)), 0, 2]
