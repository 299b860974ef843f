"""Chunked, resumable generation of truth datasets.

Points of chunk i are fixed by (sampler, seed, i): an independent uniform stream per chunk, or
rows of one scrambled Sobol sequence or one rank-1 lattice, so any executor and any
interruption give the same points; every finished chunk is written atomically to
``<out>.parts/chunk-NNNNN.npz``; when all chunks exist they are assembled into the HDF5
dataset, whose content hash is therefore identical for serial, parallel and resumed runs.

A chunk whose provider call raises is retried; if it still fails, the points that make it
fail are isolated by bisection and saved with the error to ``<out>.failed/`` and generation
stops with a ``GenerationError`` (or, with ``on_error="skip"``, those points are left out,
counted and saved beside the dataset). Rows with NaN/inf truth values are never kept: they
are counted in the metadata and saved to ``<out>.rejected.npz``.
"""

from __future__ import annotations

import json
import os
import shutil
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hepemu.data.dataset import DEFAULT_FRACTIONS, Dataset, DatasetError, write_dataset
from hepemu.data.executors import check_executor, map_unordered
from hepemu.data.nodes import DESIGNS, affine_box, check_design, unit_design
from hepemu.data.samplers import SAMPLERS, check_lattice_size, chunk_of_points
from hepemu.physics.providers import TruthProvider, get_provider

SAMPLER_NOTES = {
    "uniform": "uniform (numpy PCG64 seeded with [seed, chunk index])",
    "sobol": "scrambled Sobol (scipy.stats.qmc, seeded with seed), one sequence",
    "lattice": "randomly shifted rank-1 lattice of n points (fast-CBC vector, shift from seed)",
    "chebyshev": "tensor grid of Chebyshev-Lobatto nodes (plan: nodes, axis_maps), in C order",
}
MAX_OFFENDERS = 16  # bisection stops after isolating this many failing points per chunk


class GenerationError(RuntimeError):
    """Some chunks failed after their retries; their offending points were saved."""


@dataclass(frozen=True)
class GenerationPlan:
    """What to generate: provider (+ options), number of sampled points, chunking and seed."""

    provider: str
    n: int
    chunk: int
    seed: int
    options: tuple[tuple[str, Any], ...] = ()
    on_error: str = "stop"
    sampler: str = "uniform"
    nodes: tuple[int, ...] = ()  # sampler "chebyshev": Lobatto nodes per axis
    axis_maps: tuple[str, ...] = ()  # sampler "chebyshev": linear or log per axis

    def __post_init__(self) -> None:
        if self.n < 1 or self.chunk < 1:
            raise ValueError(f"n and chunk must be positive (n={self.n}, chunk={self.chunk})")
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")
        if self.on_error not in ("stop", "skip"):
            raise ValueError(f"on_error must be 'stop' or 'skip', got {self.on_error!r}")
        if self.sampler not in SAMPLERS + DESIGNS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose from {SAMPLERS + DESIGNS}")
        if (self.nodes or self.axis_maps) and self.sampler not in DESIGNS:
            raise ValueError(f"nodes and axis maps need the sampler chebyshev, not {self.sampler}")
        if self.sampler in DESIGNS and self.n != int(np.prod(self.nodes or [0])):
            raise ValueError(
                f"a chebyshev design of nodes {list(self.nodes)} has "
                f"{int(np.prod(self.nodes or [0]))} points, not n={self.n}"
            )
        if self.sampler == "lattice":
            check_lattice_size(self.n)
        if self.sampler == "sobol" and self.n & (self.n - 1):
            warnings.warn(
                f"a Sobol set is balanced only for n a power of 2 (n={self.n})", stacklevel=2
            )

    @property
    def n_chunks(self) -> int:
        return -(-self.n // self.chunk)

    def chunk_size(self, i: int) -> int:
        return min(self.chunk, self.n - i * self.chunk)

    def make_provider(self) -> TruthProvider:
        provider = get_provider(self.provider, dict(self.options))
        if self.sampler in DESIGNS:
            check_design(self.nodes, self.axis_maps, affine_box(provider))
        return provider

    def identity(self) -> dict:
        """What fixes the points and values of every chunk (checked when resuming; on_error
        may change between runs, e.g. a stopped run resumed with ``skip``)."""
        return {
            "provider": self.provider,
            "options": dict(self.options),
            "n": self.n,
            "chunk": self.chunk,
            "seed": self.seed,
            "sampler": self.sampler,
        } | ({"nodes": list(self.nodes), "axis_maps": list(self.axis_maps)} if self.nodes else {})


class GenerateCard(BaseModel):
    """The ``[generate]`` table of a TOML card (``[generate.options]`` for the provider)."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    n: int = Field(gt=0)
    out: Path
    chunk: int = Field(20000, gt=0)
    seed: int = Field(0, ge=0)
    options: dict[str, float | int | str] = {}
    executor: Literal["serial", "processes", "dask"] = "serial"
    workers: int = Field(2, gt=0)
    scheduler: str | None = None
    retries: int = Field(2, ge=0)
    on_error: Literal["stop", "skip"] = "stop"
    sampler: Literal["uniform", "sobol", "lattice", "chebyshev"] = "uniform"
    nodes: list[int] = []  # sampler chebyshev: Lobatto nodes per axis (n: their product)
    axis_maps: list[Literal["linear", "log"]] = []

    @model_validator(mode="before")
    @classmethod
    def _design_size(cls, data: Any) -> Any:
        """A chebyshev design without ``n``: n is the number of its nodes."""
        if isinstance(data, dict) and data.get("sampler") == "chebyshev" and "n" not in data:
            data = {**data, "n": int(np.prod(data.get("nodes") or [0]))}
        return data

    def plan(self) -> GenerationPlan:
        return GenerationPlan(
            self.provider,
            self.n,
            self.chunk,
            self.seed,
            tuple(sorted(self.options.items())),
            self.on_error,
            self.sampler,
            tuple(self.nodes),
            tuple(self.axis_maps),
        )


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
        maps = check_design(plan.nodes, plan.axis_maps, box)[1]
        u = unit_design(plan.nodes, maps, box, i * plan.chunk, plan.chunk_size(i))
        return provider.from_unit(u)
    u = chunk_of_points(
        plan.sampler, provider.unit_dim, plan.seed, i, i * plan.chunk, plan.chunk_size(i), plan.n
    )
    return provider.from_unit(u)


def _kept_inputs(plan: GenerationPlan, i: int) -> tuple[TruthProvider, np.ndarray, int]:
    """The provider, the inputs of chunk ``i`` that pass its cuts, and how many were cut."""
    provider = plan.make_provider()
    x, keep = chunk_inputs(plan, provider, i)
    return provider, x[keep], int(np.count_nonzero(~keep))


def _savez_atomic(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


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
    _savez_atomic(
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
    _savez_atomic(
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


def output_status(plan: GenerationPlan, out: str | Path) -> str:
    """What is at ``out`` now: ``"new"`` (nothing), ``"finished"`` (this plan's finished
    dataset), ``"other"`` (another dataset or any other file) or ``"directory"``."""
    out = Path(out)
    if out.is_dir():
        return "directory"
    if not out.exists():
        return "new"
    try:
        meta = Dataset.open(out).meta
    except DatasetError:
        return "other"
    same = meta.get("plan") == json.loads(json.dumps(plan.identity()))
    return "finished" if same else "other"


def _prepare_output(plan: GenerationPlan, out: Path, force: bool) -> str | None:
    """Check ``out`` before any work; returns the hash of an already finished identical run.

    An existing file is replaced only with ``force``; with ``force``, chunks left by a
    different plan are deleted rather than refused.
    """
    status = output_status(plan, out)
    if status == "directory":
        raise GenerationError(f"{out} is a directory; give a file name for the dataset")
    if status == "finished" and not force:
        return Dataset.open(out).hash
    if status in ("finished", "other") and not force:
        raise GenerationError(f"{out} exists and holds other data; pass --force to replace it")
    if force:
        saved = parts_dir(out) / "plan.json"
        if saved.exists() and json.loads(saved.read_text()) != json.loads(
            json.dumps(plan.identity())
        ):
            shutil.rmtree(parts_dir(out))
    return None


def _check_plan(plan: GenerationPlan, out: Path) -> None:
    path = parts_dir(out) / "plan.json"
    ident = plan.identity()
    if not path.exists() and any(parts_dir(out).glob("chunk-*.npz")):
        raise GenerationError(
            f"{parts_dir(out)} holds chunks without a plan.json (made by an older hepemu?); "
            "use another output file or delete that folder"
        )
    if path.exists():
        saved = json.loads(path.read_text())
        if saved != json.loads(json.dumps(ident)):
            raise GenerationError(
                f"{parts_dir(out)} holds chunks of a different plan ({saved}); "
                "use another output file or delete that folder"
            )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(ident))


def generate(
    plan: GenerationPlan,
    out: str | Path,
    executor: str = "serial",
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
    retries: int = 2,
    force: bool = False,
    keep_parts: bool = False,
) -> str:
    """Generate (or resume) the dataset ``out``; returns its content hash.

    An existing ``out`` is never replaced without ``force``; if it is this plan's finished
    dataset, nothing is done (its hash is returned). Once the assembled file is verified
    against its hash, ``<out>.parts/`` is removed unless ``keep_parts``.

    ``executor`` is ``serial``, ``processes`` (local worker processes) or ``dask`` (a Dask
    LocalCluster of ``workers`` processes, or the running cluster at ``scheduler``; the
    workers must see ``out``'s folder, e.g. a shared file system). ``progress(points, total)``
    is called as chunks finish.
    """
    check_executor(executor)
    provider = plan.make_provider()  # fail early on a bad name or options
    out = Path(out).resolve()
    finished = _prepare_output(plan, out, force)
    if finished is not None:
        if not keep_parts:
            shutil.rmtree(parts_dir(out), ignore_errors=True)
        if progress is not None:
            progress(plan.n, plan.n)
        return finished
    _check_plan(plan, out)
    todo = pending_chunks(plan, out)
    done = plan.n - sum(plan.chunk_size(i) for i in todo)
    failures: list[ChunkResult] = []
    tasks = [(plan, out, i, retries) for i in todo]
    if progress is not None:
        progress(done, plan.n)
    for res in map_unordered(run_chunk, tasks, executor, workers, scheduler, retries=2):
        done += plan.chunk_size(res.index)
        if not res.ok:
            failures.append(res)
        if progress is not None:
            progress(done, plan.n)
    if failures:
        raise GenerationError(_failure_message(plan, out, failures))
    digest = _assemble(plan, provider, out)
    if not Dataset.open(out).verify():
        raise GenerationError(f"{out} does not match its hash after writing; chunks are kept")
    if not keep_parts:
        shutil.rmtree(parts_dir(out), ignore_errors=True)
    return digest


def _failure_message(plan, out, failures: list[ChunkResult]) -> str:
    lines = [f"{len(failures)} of {plan.n_chunks} chunks failed after their retries:"]
    for f in sorted(failures, key=lambda r: r.index)[:10]:
        if f.saved:
            where = (
                f"{len(f.offenders)} offending point(s) saved with the chunk's points in "
                f"{failed_path(out, f.index)}"
            )
        else:
            where = "sampling or cuts failed: no points to save"
        lines.append(f"  chunk {f.index}: {f.error} ({where})")
    if len(failures) > 10:
        lines.append(f"  … and {len(failures) - 10} more")
    hint = "" if plan.on_error == "skip" else " (or rerun with on_error=skip)"
    lines.append(f"finished chunks are kept: fix the provider{hint} and rerun")
    return "\n".join(lines)


def _assemble(plan: GenerationPlan, provider: TruthProvider, out: Path) -> str:
    parts: dict[str, list[np.ndarray]] = {}
    n_cut = 0
    for i in range(plan.n_chunks):
        with np.load(chunk_path(out, i)) as z:
            for key in (
                "inputs",
                "targets",
                "nonfinite_inputs",
                "nonfinite_targets",
                "error_inputs",
            ):
                parts.setdefault(key, []).append(z[key])
            n_cut += int(z["n_cut"])
    arr = {k: np.concatenate(v) for k, v in parts.items()}
    n_nonfinite, n_errors = len(arr["nonfinite_inputs"]), len(arr["error_inputs"])
    meta = {
        "provider": plan.provider,
        "provider_options": dict(plan.options),
        "plan": plan.identity(),
        "columns": provider.columns(),
        "target_columns": [getattr(provider, "target_name", "target")],
        **provider.metadata(),
        "sampler": SAMPLER_NOTES[plan.sampler],
        "seed": plan.seed,
        "split": {"seed": plan.seed, "fractions": list(DEFAULT_FRACTIONS)},
        "chunk": plan.chunk,
        "n_sampled": plan.n,
        "rejected_cuts": n_cut,
        "rejected_nonfinite": n_nonfinite,
        "rejected_errors": n_errors,
    }
    rejected = Path(str(out) + ".rejected.npz")
    if n_nonfinite or n_errors:
        _savez_atomic(rejected, **{k: arr[k] for k in arr if k not in ("inputs", "targets")})
        meta["rejected_file"] = rejected.name
    else:
        rejected.unlink(missing_ok=True)
    return write_dataset(out, arr["inputs"], arr["targets"], meta)
