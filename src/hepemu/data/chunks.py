"""One chunk of a generation run: its points, its truth values, retries, and the bisection
that isolates the points a provider fails on. Each chunk is written atomically to
``<out>.parts/chunk-NNNNN.npz`` (failures to ``<out>.failed/``)."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hepemu.data.generation_plan import GenerationPlan
from hepemu.data.nodes import (
    DESIGNS,
    affine_box,
    check_design,
    check_sparse_design,
    unit_design,
)
from hepemu.data.samplers import chunk_of_points
from hepemu.fileio import atomic_path
from hepemu.physics.providers import TruthProvider

MAX_OFFENDERS = 16  # bisection stops after isolating this many failing points per chunk


@dataclass
class ChunkResult:
    """Outcome of one chunk task."""

    index: int
    ok: bool
    attempts: int
    n_points: int
    error: str = ""
    offenders: list[int] = field(default_factory=list)
    saved: bool = False  # the chunk's points and the offenders are in failed_path


def parts_dir(out: Path) -> Path:
    return Path(str(out) + ".parts")


def chunk_path(out: Path, i: int) -> Path:
    return parts_dir(out) / f"chunk-{i:05d}.npz"


def failed_path(out: Path, i: int) -> Path:
    return Path(str(out) + ".failed") / f"chunk-{i:05d}.npz"


def chunk_inputs(plan: GenerationPlan, provider: TruthProvider, i: int):
    """Sampled inputs of chunk ``i`` and the mask of those passing the provider's cuts."""
    if plan.sampler in DESIGNS:
        box = affine_box(provider)
        if plan.level is not None:
            maps = check_sparse_design(plan.level, plan.axis_maps, box)
        else:
            maps = check_design(plan.nodes, plan.axis_maps, box)[1]
        start, count = i * plan.chunk, plan.chunk_size(i)
        return provider.from_unit(unit_design(plan.nodes, maps, box, start, count, plan.level))
    u = chunk_of_points(
        plan.sampler, provider.unit_dim, plan.seed, i, i * plan.chunk, plan.chunk_size(i), plan.n
    )
    return provider.from_unit(u)


def _kept_inputs(plan: GenerationPlan, i: int) -> tuple[TruthProvider, np.ndarray, int]:
    """The provider, the inputs of chunk ``i`` that pass its cuts, and how many were cut."""
    provider = plan.make_provider()
    x, keep = chunk_inputs(plan, provider, i)
    return provider, x[keep], int(np.count_nonzero(~keep))


def save_npz(path: Path, **arrays) -> None:
    """Save ``arrays`` to ``path`` with ``np.savez``, atomically (hepemu.fileio)."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def _find_offenders(provider: TruthProvider, x: np.ndarray, limit: int) -> list[int]:
    """Indices of rows of ``x`` on which ``provider`` raises (bisection, at most ``limit``)."""
    found: list[int] = []
    stack = [np.arange(len(x))]
    while stack and len(found) < limit:
        idx = stack.pop()
        if len(idx) == 0:
            continue
        try:
            provider(x[idx])
            continue
        except Exception:  # noqa: BLE001 - any provider error marks these rows
            pass
        if len(idx) == 1:
            found.append(int(idx[0]))
        else:
            stack += [idx[len(idx) // 2 :], idx[: len(idx) // 2]]
    return sorted(found)


def run_chunk(plan: GenerationPlan, out: Path, i: int, retries: int = 2) -> ChunkResult:
    """Evaluate chunk ``i`` (retrying ``retries`` times) and write it atomically."""
    error = ""
    for attempt in range(1, retries + 2):
        try:
            provider, x, n_cut = _kept_inputs(plan, i)
            y = np.asarray(provider(x), dtype=float) if len(x) else np.empty(0)
            _write_chunk(out, i, x, y, n_cut)
            failed_path(out, i).unlink(missing_ok=True)
            return ChunkResult(i, True, attempt, len(x))
        except Exception:  # noqa: BLE001 - reported below, with the points
            error = traceback.format_exc()
    return _report_failed_chunk(plan, out, i, retries + 1, error)


def _write_chunk(out, i, x, y, n_cut: int, error_x=None) -> None:
    bad = ~(np.isfinite(y) & np.all(np.isfinite(x), axis=1))
    empty = np.empty((0, x.shape[1]))
    save_npz(
        chunk_path(out, i),
        inputs=x[~bad],
        targets=y[~bad],
        nonfinite_inputs=x[bad],
        nonfinite_targets=y[bad],
        error_inputs=empty if error_x is None else error_x,
        n_cut=n_cut,
    )


def _report_failed_chunk(plan, out, i, attempts, error) -> ChunkResult:
    short = error.strip().splitlines()[-1]
    try:
        provider, x, n_cut = _kept_inputs(plan, i)
    except Exception:  # noqa: BLE001 - the sampler or cuts themselves fail: save nothing more
        return ChunkResult(i, False, attempts, 0, short)
    bad = _find_offenders(provider, x, MAX_OFFENDERS)
    save_npz(
        failed_path(out, i), inputs=x, offenders=np.array(bad, dtype=int), error=np.array(error)
    )
    if len(bad) >= MAX_OFFENDERS:
        short += f" (bisection stopped after {MAX_OFFENDERS} offending points: too many to skip)"
    elif not bad:
        short += " (no single point fails on its own: the failure is not point-wise)"
    if plan.on_error == "skip" and 0 < len(bad) < MAX_OFFENDERS:
        good = np.setdiff1d(np.arange(len(x)), bad)
        try:
            y = np.asarray(provider(x[good]), dtype=float)
        except Exception:  # noqa: BLE001 - still failing without the isolated points
            return ChunkResult(i, False, attempts, 0, short, bad, saved=True)
        _write_chunk(out, i, x[good], y, n_cut, error_x=x[bad])
        return ChunkResult(i, True, attempts, len(good), short, bad, saved=True)
    return ChunkResult(i, False, attempts, 0, short, bad, saved=True)


def pending_chunks(plan: GenerationPlan, out: Path) -> list[int]:
    return [i for i in range(plan.n_chunks) if not chunk_path(out, i).exists()]
