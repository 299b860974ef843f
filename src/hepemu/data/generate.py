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
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hepemu.data.chunks import (
    MAX_OFFENDERS,
    ChunkResult,
    chunk_inputs,
    chunk_path,
    failed_path,
    parts_dir,
    pending_chunks,
    run_chunk,
    save_npz,
)
from hepemu.data.dataset import DEFAULT_FRACTIONS, Dataset, DatasetError, write_dataset
from hepemu.data.executors import check_executor, map_unordered
from hepemu.data.generation_plan import SAMPLER_NOTES, GenerateCard, GenerationPlan
from hepemu.fileio import write_atomic
from hepemu.physics.providers import TruthProvider

__all__ = [
    "MAX_OFFENDERS",
    "SAMPLER_NOTES",
    "ChunkResult",
    "GenerateCard",
    "GenerationError",
    "GenerationPlan",
    "chunk_inputs",
    "chunk_path",
    "failed_path",
    "generate",
    "output_status",
    "parts_dir",
    "pending_chunks",
    "run_chunk",
]


class GenerationError(RuntimeError):
    """Some chunks failed after their retries; their offending points were saved."""


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
        write_atomic(path, json.dumps(ident))


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
    runs = map_unordered(
        run_chunk, tasks, executor, workers, scheduler, retries=2, lost=_worker_died
    )
    for res in runs:
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


def _worker_died(task: tuple, attempts: int) -> ChunkResult:
    """The failure of a chunk that killed its worker process on every attempt."""
    i = task[2]
    msg = (
        f"its worker process died on each of {attempts} attempts alone (a crash in native "
        "code, os._exit or the out-of-memory killer); not retried again"
    )
    return ChunkResult(i, False, attempts, 0, msg)


def _failure_message(plan, out, failures: list[ChunkResult]) -> str:
    lines = [f"{len(failures)} of {plan.n_chunks} chunks failed after their retries:"]
    for f in sorted(failures, key=lambda r: r.index)[:10]:
        if f.saved:
            where = (
                f"{len(f.offenders)} offending point(s) saved with the chunk's points in "
                f"{failed_path(out, f.index)}"
            )
        elif f.error.startswith("its worker process died"):
            where = "isolated from the other chunks, which are kept"
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
        save_npz(rejected, **{k: arr[k] for k in arr if k not in ("inputs", "targets")})
        meta["rejected_file"] = rejected.name
    else:
        rejected.unlink(missing_ok=True)
    return write_dataset(out, arr["inputs"], arr["targets"], meta)
