"""Build a Chebyshev interpolant (``[model] kind = "chebyshev"``) from a node dataset.

The dataset must be a whole Chebyshev–Lobatto design, as ``hepemu data generate --sampler
chebyshev --nodes 14,14,14`` writes it: its stored plan names the provider (and options), the
node counts and the axis maps; every node must be present (a clear error names the missing
ones). The interpolant needs every node, so σ is calibrated on extra points: by default
``model.calibration_points`` fresh uniform points of the box labelled by the same provider
with ``model.reference_options`` over its labelling options (e.g. a finer quadrature rule:
σ covers the labels' own error too; seed ``model.calibration_seed``), or every row of
``model.calibration_data`` (a dataset of the same columns, e.g. a small uniform one). No
training loop: the build is one DCT, so there is nothing to resume but the labels. With
``model.tolerance`` the design is refined n → 2n − 1 per axis until the coefficient tail is
below it (:func:`refine_to_tolerance`: the truth is called only at new nodes, in this process,
and their labels are kept in the run directory).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hepemu.data.dataset import Dataset, DatasetError
from hepemu.data.nodes import (
    DESIGNS,
    affine_box,
    check_design,
    from_reference,
    grid_rows,
    grid_values,
    refined,
)
from hepemu.models.chebyshev import ChebyshevInterpolant, axis_tails, chebyshev_coefficients
from hepemu.physics.providers import get_provider
from hepemu.training.fit_config import FitCard
from hepemu.training.fit_interpolant import calibrated, node_rows, provenance


def node_design(ds: Dataset) -> dict:
    """The stored plan of a node dataset (``DatasetError`` if it is no chebyshev design)."""
    plan = ds.meta.get("plan") or {}
    if plan.get("sampler") not in DESIGNS or not plan.get("nodes"):
        raise DatasetError(
            f"{ds.path} is not a Chebyshev node dataset (sampler {plan.get('sampler')!r}); "
            "make one with hepemu data generate --sampler chebyshev --nodes 14,14,14"
        )
    return plan


def refine_to_tolerance(
    truth: Callable[[np.ndarray], np.ndarray],
    values: np.ndarray,
    box: np.ndarray,
    maps: tuple[str, ...],
    transform: str,
    tolerance: float,
    max_nodes: int = 129,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[np.ndarray, list[dict]]:
    """Node values refined until the coefficient tail is below ``tolerance``: each round
    refines n → 2n − 1 the axes whose own tail (:func:`~hepemu.models.chebyshev.axis_tails`)
    exceeds tolerance / d, calling ``truth`` only at the new nodes (their labels are kept in
    ``cache``/refine-<nodes>.npz, so a rerun labels nothing twice). Stops when no axis may
    grow past ``max_nodes``. Returns the values and one record per round."""
    rounds = []
    while True:
        t = np.log(np.abs(values)) if transform == "log" else values
        tails = axis_tails(chebyshev_coefficients(t))
        record = {"nodes": list(values.shape), "tail": float(tails.sum())}
        rounds.append(record)
        if tails.sum() <= tolerance:
            return values, rounds
        grow = tuple(
            a
            for a, n in enumerate(values.shape)
            if tails[a] > tolerance / len(tails) and 2 * n - 1 <= max_nodes
        )
        if not grow:
            record["stop"] = f"max_nodes {max_nodes} reached before the tolerance"
            return values, rounds
        new = refined(values, grow)
        missing = np.isnan(new)
        x = from_reference(grid_rows(new.shape)[missing.ravel()], box, maps)
        path = None if cache is None else cache / f"refine-{'x'.join(map(str, new.shape))}.npz"
        if path is not None and path.exists():
            with np.load(path) as z:
                y = z["y"] if np.array_equal(z["x"], x) else None
        else:
            y = None
        if y is None:
            if progress is not None:
                progress(f"labelling {len(x)} new nodes for {'×'.join(map(str, new.shape))}")
            y = np.asarray(truth(x), dtype=float)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(path.with_suffix(".tmp.npz"), x=x, y=y)
                path.with_suffix(".tmp.npz").replace(path)
        record["new_labels"] = len(x)
        new[missing] = y
        values = new


def fit_chebyshev(
    card: FitCard,
    out_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ChebyshevInterpolant:
    """The interpolant of the card's node dataset, σ calibrated (see the module docstring);
    ``out_dir`` is created (the caller saves the model there)."""
    if card.model.kind != "chebyshev":
        raise ValueError(f"fit_chebyshev needs model.kind = 'chebyshev', got {card.model.kind!r}")
    t0 = time.perf_counter()
    ds = Dataset.open(card.data.path)
    plan = node_design(ds)
    options = dict(plan.get("options", {}))
    box = affine_box(get_provider(plan["provider"], options))
    nodes, maps = check_design(plan["nodes"], plan.get("axis_maps", ()), box)
    columns, target, x, y = node_rows(ds)
    values = grid_values(x, y, nodes, maps, box)
    rounds = []
    if card.model.tolerance is not None:
        truth = get_provider(plan["provider"], options)
        cache = None if out_dir is None else Path(out_dir)
        values, rounds = refine_to_tolerance(
            truth,
            values,
            box,
            maps,
            card.preprocessing.target_transform,
            card.model.tolerance,
            card.model.max_nodes,
            cache,
            progress,
        )
    model = ChebyshevInterpolant.from_values(
        values,
        box,
        maps,
        card.preprocessing.target_transform,
        input_columns=columns,
        target=target,
        **provenance(card, plan, options, ds, x),
    )
    design = {
        "nodes": list(model.nodes),
        "design_nodes": list(nodes),
        "refinement": rounds,
        "axis_maps": list(maps),
    }
    return calibrated(card, model, t0, design, out_dir)
