"""A resumable, parallel event-generation run: set-up once, then independent chunks.

The run directory holds ``setup.json`` (provider, surrogate, mode, seed, guard, maxima) and
``vegas_grid.npy`` (the adapted map), written once; each chunk of trials is an independent
task (its own seed) whose events and counts land atomically in ``chunkNNNNN.npz``. A rerun
finds the set-up and the finished chunks and goes on; chunks spread over the executors of
``hepemu.data.executors`` (serial, processes, Dask) like ``data generate``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np

from hepemu.applications.unweighting import (
    EventBatch,
    PhaseSpace,
    UnweightingStats,
    adapt_vegas,
    pilot_maxima,
    unweight_one_stage,
    unweight_two_stage,
)
from hepemu.data.executors import map_unordered
from hepemu.fileio import atomic_path, write_atomic
from hepemu.threads import fixed_threads

MODES = ("two-stage", "one-stage")


# torch threads of every surrogate evaluation in a run: a float32 network's last bits depend on
# the thread count, so a fixed count keeps a run's events the same whatever the machine's load
# when it is resumed (parallelism comes from --executor processes|dask)
EVENT_THREADS = 1


@dataclass(frozen=True)
class EventRunSetup:
    """What every chunk of a run shares; a rerun must ask for the same."""

    provider: str
    options: dict
    surrogate: str
    mode: str = "two-stage"
    seed: int = 0
    chunk_trials: int = 50_000
    pilot_points: int = 50_000
    surrogate_pilot_points: int = 0  # s_max over this many points (surrogate only) if larger
    vegas_points: int = 20_000
    vegas_iterations: int = 5
    w_max: float = 0.0
    s_max: float = 0.0
    x_max: float = 0.0
    collider: dict | None = None  # hadron collisions: applications.collider.Collider's fields
    guard_max_rel_sigma: float | None = None  # guard: the truth where σ/|mean| ≥ it (or outside)

    def request(self) -> dict:
        """The fields a user chooses (not the maxima found by the pilot run)."""
        d = asdict(self)
        for k in ("w_max", "s_max", "x_max"):
            d.pop(k)
        return d


@cache
def _load(provider: str, options: str, surrogate: str, collider: str = "null"):
    from hepemu.physics.providers import get_provider
    from hepemu.registry import load_model

    truth, model = get_provider(provider, json.loads(options)), load_model(surrogate)
    if json.loads(collider) is None and getattr(truth, "hadronic_sqrt_s", None) is not None:
        raise ValueError(
            f"{provider} with option hadronic_sqrt_s gives images of pp phase space, not "
            "partonic events: add --collider pp (or leave the option out for a partonic run)"
        )
    if json.loads(collider) is not None:  # folded with parton densities
        from hepemu.applications.collider import hadronic

        return hadronic(truth, model, json.loads(collider))
    return truth, model


def provider_and_surrogate(setup: EventRunSetup):
    """The run's truth provider and surrogate (folded with parton densities at a hadron
    collider), loaded once per process."""
    collider = json.dumps(setup.collider, sort_keys=True)
    return _load(
        setup.provider, json.dumps(setup.options, sort_keys=True), setup.surrogate, collider
    )


def _space(setup: EventRunSetup, run_dir: Path):
    import vegas

    provider, surrogate = provider_and_surrogate(setup)
    grid = np.load(run_dir / "vegas_grid.npy")
    return PhaseSpace(provider, vegas.AdaptiveMap(grid)), surrogate


def prepare(run_dir: str | Path, setup: EventRunSetup) -> EventRunSetup:
    """Adapt the vegas map and find the maxima (pilot run), or reuse a run's set-up.

    Raises ``ValueError`` if ``run_dir`` holds a run with other settings.
    """
    if setup.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {setup.mode!r}")
    if setup.guard_max_rel_sigma is not None:
        if setup.mode != "two-stage":
            raise ValueError("a guard applies to the two-stage mode only")
        if not setup.guard_max_rel_sigma >= 0:
            raise ValueError(f"the guard's threshold must be ≥ 0, got {setup.guard_max_rel_sigma}")
    run_dir = Path(run_dir)
    path = run_dir / "setup.json"
    if path.exists():
        found = EventRunSetup(**json.loads(path.read_text()))
        if found.request() != setup.request():
            diff = {k: v for k, v in setup.request().items() if found.request()[k] != v}
            raise ValueError(
                f"{run_dir} holds a run with other settings ({', '.join(diff)}); "
                "use another output or remove it"
            )
        return found
    run_dir.mkdir(parents=True, exist_ok=True)
    provider, surrogate = provider_and_surrogate(setup)
    with fixed_threads(EVENT_THREADS):
        vmap = adapt_vegas(
            provider, surrogate, setup.vegas_points, setup.vegas_iterations, seed=setup.seed
        )
    with atomic_path(run_dir / "vegas_grid.npy") as tmp, open(tmp, "wb") as fh:
        np.save(fh, vmap.extract_grid())
    space, _ = _space(setup, run_dir)  # the map as chunks will rebuild it
    rng = np.random.default_rng([setup.seed, 1 << 30])
    with fixed_threads(EVENT_THREADS):
        maxima = pilot_maxima(
            space,
            surrogate,
            setup.pilot_points,
            rng,
            guard=setup.guard_max_rel_sigma,
            surrogate_n=setup.surrogate_pilot_points,
        )
    done = EventRunSetup(**{**setup.request(), **maxima})
    write_atomic(path, json.dumps(asdict(done), indent=1).encode())
    return done


def run_chunk(run_dir: str, index: int) -> dict:
    """Unweight one chunk of trials (seeded by the run's seed and ``index``); saves it."""
    run_dir = Path(run_dir)
    setup = EventRunSetup(**json.loads((run_dir / "setup.json").read_text()))
    space, surrogate = _space(setup, run_dir)
    rng = np.random.default_rng([setup.seed, index])
    with fixed_threads(EVENT_THREADS):
        if setup.mode == "two-stage":
            batch = unweight_two_stage(
                space,
                surrogate,
                setup.s_max,
                setup.x_max,
                setup.chunk_trials,
                rng,
                guard=setup.guard_max_rel_sigma,
            )
        else:
            batch = unweight_one_stage(space, setup.w_max, setup.chunk_trials, rng)
    stats = asdict(batch.stats)
    path = run_dir / f"chunk{index:05d}.npz"
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, inputs=batch.inputs, weights=batch.weights, stats=json.dumps(stats))
    return stats


def finished_chunks(run_dir: str | Path) -> list[int]:
    return sorted(int(p.stem[5:]) for p in Path(run_dir).glob("chunk[0-9][0-9][0-9][0-9][0-9].npz"))


def _chunk_stats(run_dir: Path, index: int) -> UnweightingStats:
    with np.load(run_dir / f"chunk{index:05d}.npz") as z:
        return UnweightingStats(**json.loads(str(z["stats"])))


def run_prefix(run_dir: str | Path, n_events: int | None) -> tuple[list[int], UnweightingStats]:
    """The chunks a run of ``n_events`` events uses: the shortest run of finished chunks
    0, 1, 2, … holding ``n_events`` events (all consecutive finished chunks if there are not
    enough, or with ``n_events`` None), and their summed counts. Chunks beyond it (a parallel
    batch's overshoot) are kept but not used, so the events and σ of a run do not depend on
    how it was batched, spread over workers, interrupted or resumed."""
    run_dir = Path(run_dir)
    done, used, total = set(finished_chunks(run_dir)), [], UnweightingStats()
    while len(used) in done and (n_events is None or total.events < n_events):
        total = total + _chunk_stats(run_dir, len(used))
        used.append(len(used))
    return used, total


def generate_events(
    run_dir: str | Path,
    n_events: int,
    executor: str = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    progress=None,
) -> UnweightingStats:
    """Run chunks until chunks 0, 1, 2, … hold at least ``n_events`` events; returns the
    counts of those chunks (:func:`run_prefix`). Chunks missing below the last finished one
    (a parallel run interrupted) are run first.

    ``progress(stats)`` is called with the running totals after every chunk.
    """
    run_dir = Path(run_dir)
    used, total = run_prefix(run_dir, n_events)
    if progress is not None:
        progress(total)
    while total.events < n_events:
        done = finished_chunks(run_dir)
        per_chunk = max(total.events / len(used), 1.0) if used else None
        wanted = 1 if per_chunk is None else int(np.ceil((n_events - total.events) / per_chunk))
        batch = max(1, min(wanted, 4 * workers if executor != "serial" else wanted, 64))
        gaps = sorted(set(range(len(used), max(done, default=-1) + 1)) - set(done))
        start = max(done, default=-1) + 1
        todo = (gaps + list(range(start, start + batch)))[: max(batch, len(gaps))]
        tasks = [(str(run_dir), i) for i in todo]
        running = total
        for stats in map_unordered(run_chunk, tasks, executor, workers, scheduler):
            running = running + UnweightingStats(**stats)
            if progress is not None:
                progress(running)
        used, total = run_prefix(run_dir, n_events)
    return total


def iter_events(
    run_dir: str | Path, n_events: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(inputs, weights) of the first ``n_events`` events of the run's chunks
    (:func:`run_prefix`), one chunk at a time: what :func:`collect` concatenates."""
    run_dir = Path(run_dir)
    used, _ = run_prefix(run_dir, n_events)
    left = n_events
    for i in used:
        with np.load(run_dir / f"chunk{i:05d}.npz") as z:
            x, w = z["inputs"], z["weights"]
        if left is not None:
            x, w = x[:left], w[:left]
            left -= len(w)
        yield x, w


def event_weights(run_dir: str | Path, n_events: int | None = None) -> np.ndarray:
    """The weights of the events :func:`iter_events` yields (8 bytes per event)."""
    parts = [w for _, w in iter_events(run_dir, n_events)]
    return np.concatenate(parts) if parts else np.empty(0)


def collect(
    run_dir: str | Path, n_events: int | None = None
) -> tuple[EventBatch, UnweightingStats]:
    """The first ``n_events`` events of the run's chunks (:func:`run_prefix`, in chunk
    order), and the counts of those chunks (the cross section uses every trial of them)."""
    run_dir = Path(run_dir)
    inputs, weights = [], []
    used, total = run_prefix(run_dir, n_events)
    for i in used:
        with np.load(run_dir / f"chunk{i:05d}.npz") as z:
            inputs.append(z["inputs"])
            weights.append(z["weights"])
    if not inputs:
        raise ValueError(f"{run_dir} holds no finished chunks")
    x, w = np.concatenate(inputs), np.concatenate(weights)
    if n_events is not None:
        x, w = x[:n_events], w[:n_events]
    return EventBatch(x, w, total), total
