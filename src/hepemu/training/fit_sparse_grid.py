"""Build a sparse-grid interpolant (``[model] kind = "sparse-grid"``) from a node dataset.

The dataset must be a whole Smolyak design, as ``hepemu data generate --sampler sparse-grid
--level 5`` writes it: its stored plan names the provider (and options), the level and the
axis maps; every node must be present (a clear error names the missing ones). σ is
calibrated on held-out points as for ``chebyshev``
(:func:`hepemu.training.fit_interpolant.calibration_rows`), to cover 68 % (its constant
relative σ cannot also meet 95 % on errors with heavy tails). With
``model.tolerance`` the grid is refined dimension-adaptively
(:meth:`hepemu.models.smolyak.SmolyakSet.refine`) until the summed surpluses of its active
indices are below it, the truth called only at new nodes, in this process; the new labels
are kept in the run directory (``refine-labels.npz``), so a rerun labels nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hepemu.data.dataset import Dataset, DatasetError
from hepemu.data.nodes import affine_box, check_sparse_design, from_reference, to_reference
from hepemu.data.sparse_nodes import (
    fine_to_reference,
    level_indices,
    new_nodes,
    reference_to_fine,
)
from hepemu.models.calibration import ONE_SIGMA_TARGET
from hepemu.models.smolyak import SmolyakSet
from hepemu.models.sparse_grid import SparseGridInterpolant
from hepemu.physics.providers import get_provider
from hepemu.training.fit_config import FitCard
from hepemu.training.fit_interpolant import calibrated, node_rows, provenance

CACHE = "refine-labels.npz"


def sparse_design(ds: Dataset) -> dict:
    """The stored plan of a sparse-grid node dataset (``DatasetError`` if it is none)."""
    plan = ds.meta.get("plan") or {}
    if plan.get("sampler") != "sparse-grid" or plan.get("level") is None:
        raise DatasetError(
            f"{ds.path} is not a sparse-grid node dataset (sampler {plan.get('sampler')!r}); "
            "make one with hepemu data generate --sampler sparse-grid --level 5"
        )
    return plan


def design_labels(
    x: np.ndarray, y: np.ndarray, level: int, maps: tuple[str, ...], box: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fine rows and values of the level-``level`` design from dataset rows (``ValueError``
    naming rows that are no node and the first missing nodes, in the box's units)."""
    fine = reference_to_fine(to_reference(x, box, maps))
    if np.any(fine < 0):
        bad = int(np.flatnonzero(fine[:, 0] < 0)[0])
        raise ValueError(
            f"row {bad + 1} ({x[bad].tolist()}) is no node of the level-{level} sparse grid: "
            "not a sparse-grid node dataset"
        )
    design = np.concatenate([new_nodes(k) for k in level_indices(len(box), level)])
    have = {r.tobytes() for r in fine.astype(np.int16)}
    missing = [r for r in design.astype(np.int16) if r.tobytes() not in have]
    if missing:
        pts = from_reference(fine_to_reference(np.array(missing[:3])), box, maps)
        shown = "; ".join(", ".join(f"{v:.6g}" for v in p) for p in pts)
        raise ValueError(
            f"the node dataset is incomplete: {len(missing)} of {len(design)} nodes have no "
            f"finite value (first: {shown}); finish or regenerate it (hepemu data generate "
            "resumes), or check its rejected points"
        )
    return fine, y


def cached_truth(
    truth: Callable[[np.ndarray], np.ndarray], path: Path | None
) -> Callable[[np.ndarray], np.ndarray]:
    """``truth`` at reference rows, answering from and adding to the labels kept in ``path``."""
    store: dict[bytes, float] = {}
    if path is not None and path.exists():
        with np.load(path) as z:
            store = {r.tobytes(): v for r, v in zip(z["t"], z["y"], strict=True)}

    def call(t: np.ndarray) -> np.ndarray:
        keys = [r.tobytes() for r in np.ascontiguousarray(t)]
        todo = [i for i, k in enumerate(keys) if k not in store]
        if todo:
            y = np.asarray(truth(t[todo]), dtype=float)
            store.update({keys[i]: v for i, v in zip(todo, y, strict=True)})
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                rows = np.array([np.frombuffer(k) for k in store])
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, t=rows, y=np.array(list(store.values())))
                tmp.replace(path)
        return np.array([store[k] for k in keys])

    return call


def fit_sparse_grid(
    card: FitCard,
    out_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> SparseGridInterpolant:
    """The interpolant of the card's node dataset, refined with ``model.tolerance`` and σ
    calibrated (see the module docstring); ``out_dir`` is created (the caller saves there)."""
    if card.model.kind != "sparse-grid":
        raise ValueError(f"fit_sparse_grid needs model.kind = 'sparse-grid', not {card.model.kind}")
    t0 = time.perf_counter()
    ds = Dataset.open(card.data.path)
    plan = sparse_design(ds)
    options = dict(plan.get("options", {}))
    provider = get_provider(plan["provider"], options)
    box = affine_box(provider)
    level = int(plan["level"])
    maps = check_sparse_design(level, plan.get("axis_maps", ()), box)
    columns, target, x, y = node_rows(ds)
    fine, y = design_labels(x, y, level, maps, box)
    log = card.preprocessing.target_transform == "log"
    sign = 1.0 if np.all(y > 0) else -1.0
    if log and not np.all(sign * y > 0):
        raise ValueError("target_transform = 'log' needs node values of one sign and no zeros")

    def scale(v: np.ndarray) -> np.ndarray:
        return np.log(sign * v) if log else v

    lookup = dict(zip((r.tobytes() for r in fine.astype(np.int16)), scale(y), strict=True))
    grid = SmolyakSet.isotropic(
        len(box), level, lambda f: np.array([lookup[r.tobytes()] for r in f.astype(np.int16)])
    )
    steps = []
    if card.model.tolerance is not None:
        cache = None if out_dir is None else Path(out_dir) / CACHE
        labels = cached_truth(lambda t: provider(from_reference(t, box, maps)), cache)
        steps = grid.refine(
            lambda t: scale(labels(t)), card.model.tolerance, card.model.max_labels, progress
        )
    model = SparseGridInterpolant.from_set(
        grid,
        box,
        maps,
        card.preprocessing.target_transform,
        sign,
        input_columns=columns,
        target=target,
        **provenance(card, plan, options, ds, x),
    )
    design = {"design_level": level, "refinement": steps, "axis_maps": list(maps)}
    return calibrated(card, model, t0, design, out_dir, ONE_SIGMA_TARGET)
