"""How good is a surrogate? Its metrics on a dataset's split, or on fresh reference points.

One entry point for every kind (``hepemu evaluate``, :func:`hepemu.evaluate`): R_1, R_0.1,
mean/median/worst digits, boundary-layer digits where the model's region is a box, coverage
of σ at 1σ and 2σ, µs per point, model size, and an error map over pairs of inputs
(:mod:`hepemu.evaluation.regression`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hepemu.data.dataset import Dataset, DatasetError
from hepemu.data.points import CHUNK_ROWS, chunk_bounds
from hepemu.evaluation.regression import error_map, evaluate_surrogate
from hepemu.models.surrogate import Surrogate
from hepemu.training.fit_data import dataset_columns


def split_rows(
    model: Surrogate,
    data: str | Path,
    split: str | None = "test",
    max_rows: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[np.ndarray, np.ndarray, str]:
    """(x, y, description) of a dataset's ``split`` (``None`` or ``"all"``: every row), its
    columns checked against the model's, read ``chunk_rows`` rows at a time (only the input
    and target columns are kept: ~8 (d + 1) bytes per row); rows with a non-finite target
    are dropped."""
    ds = Dataset.open(data)
    names, target = dataset_columns(ds)
    if list(names) != list(model.input_columns):
        raise DatasetError(
            f"{data} has input columns {', '.join(names)}; the model needs "
            f"{', '.join(model.input_columns)}"
        )
    rows = None if split in (None, "all") else np.sort(ds.split(split))
    if rows is not None and max_rows is not None:
        rows = rows[:max_rows]
    xs, ys = [], []
    for a, b in chunk_bounds(ds.n if rows is None else len(rows), chunk_rows):
        sel = slice(a, b) if rows is None else rows[a:b]
        xs.append(ds.read("inputs", sel).reshape(-1, len(names)).astype(float))
        ys.append(ds.read("targets", sel).reshape(len(xs[-1]), -1)[:, 0].astype(float))
    x, y = np.concatenate(xs), np.concatenate(ys)
    keep = np.isfinite(y)
    what = f"{data} ({split or 'all'} split, {int(keep.sum())} rows, target {target})"
    return x[keep], y[keep], what


def evaluate(
    model: Surrogate,
    data: str | Path | None = None,
    split: str | None = "test",
    points: int = 1000,
    seed: int = 0,
    max_rows: int | None = None,
    plot: str | Path | None = None,
    timing_points: int = 10_000,
    chunk_rows: int = CHUNK_ROWS,
) -> dict:
    """Metrics of ``model`` on ``data``'s ``split`` or, without ``data``, on ``points`` fresh
    reference points the model computes itself (integration networks); with ``plot``, an error
    map PNG. Rows are read and predicted ``chunk_rows`` at a time: memory grows by ~8 (d + 5)
    bytes per row (inputs, target, mean, σ, δ), not by the model's forward pass. Returns a
    JSON-able dict: ``metrics`` (see
    :class:`hepemu.evaluation.regression.RegressionMetrics`), ``model``, ``data``."""
    if data is None:
        x, y = model.reference(points, seed)
        what = f"{points} fresh points of the model's region (seed {seed})"
    else:
        x, y, what = split_rows(model, data, split, max_rows, chunk_rows)
    if not len(x):
        raise ValueError(f"no rows to evaluate on in {what}")
    box = model.region()
    metrics, delta = evaluate_surrogate(
        model,
        x,
        y,
        box=None if box is None else box.bounds,
        timing_points=timing_points,
        chunk_rows=chunk_rows,
    )
    out = {
        "model": {
            "kind": model.kind,
            "description": model.describe(),
            "input_columns": list(model.input_columns),
            "target": model.target,
            "parameters": model.n_parameters,
        },
        "data": what,
        "metrics": metrics.as_dict(),
    }
    if plot is not None:
        error_map(x, delta, model.input_columns, plot, title=f"{model.target}: {what}")
        out["plot"] = str(plot)
    return out
