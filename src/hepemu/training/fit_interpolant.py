"""Build steps the two interpolant trainers share.

For ``chebyshev`` (:mod:`fit_chebyshev`) and ``sparse-grid`` (:mod:`fit_sparse_grid`): the
node dataset's rows, the provenance every interpolant records (the labelling provider and
the run), and the last step, σ calibrated on held-out points with what it measured
recorded in ``info``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hepemu.data.dataset import Dataset, DatasetError
from hepemu.models.box_interpolant import BOX_TOLERANCE, BoxInterpolant
from hepemu.models.calibration import GAUSSIAN_TARGETS, coverages, error_ratios
from hepemu.models.surrogate import Surrogate
from hepemu.training.fit import dataset_columns, run_info
from hepemu.training.fit_config import FitCard


def node_rows(ds: Dataset) -> tuple[list[str], str, np.ndarray, np.ndarray]:
    """The input columns, the target and the rows x (N, d), y (N,) of a node dataset."""
    columns, target = dataset_columns(ds)
    x = ds.read("inputs").reshape(ds.n, -1).astype(float)
    y = ds.read("targets").reshape(ds.n, -1)[:, 0].astype(float)
    return columns, target, x, y


def provenance(card: FitCard, plan: dict, options: dict, ds: Dataset, x: np.ndarray) -> dict:
    """The constructor keywords naming the provider that labelled the nodes (with
    ``model.reference_options`` over its options for fresh values) and the run's info."""
    return {
        "provider": plan["provider"],
        "provider_options": options,
        "reference_options": {**options, **card.model.reference_options},
        "info": run_info(card, ds, x),
    }


def calibration_rows(card: FitCard, model: Surrogate) -> tuple[np.ndarray, np.ndarray]:
    """Held-out (x, y) for σ of an interpolant (``chebyshev``, ``sparse-grid``): every
    finite row of ``calibration_data`` inside its box, or
    fresh points of the box labelled by the node provider with ``reference_options`` (σ is
    the error against the truth, so it must see the labels' own error too)."""
    m = card.model
    if m.calibration_data is not None:
        ds = Dataset.open(m.calibration_data)
        names, _ = dataset_columns(ds)
        if list(names) != list(model.input_columns):
            raise DatasetError(
                f"{m.calibration_data} has input columns {', '.join(names)}; the interpolant "
                f"has {', '.join(model.input_columns)}"
            )
        x = ds.read("inputs").reshape(ds.n, -1).astype(float)
        y = ds.read("targets").reshape(ds.n, -1)[:, 0].astype(float)
        keep = np.isfinite(y) & ~model.region().outside(x, BOX_TOLERANCE)
        return x[keep], y[keep]
    x, y = model.reference(m.calibration_points, m.calibration_seed)
    return x[np.isfinite(y)], y[np.isfinite(y)]


def calibrated(
    card: FitCard,
    model: BoxInterpolant,
    t0: float,
    design: dict,
    out_dir: str | Path | None,
    targets: Sequence[tuple[float, float, float]] = GAUSSIAN_TARGETS,
) -> BoxInterpolant:
    """The last build step: the build time since ``t0``, σ calibrated on
    :func:`calibration_rows` for ``targets``, and ``design`` (the kind's own records), the
    time, the calibration's coverages and digits added to ``info``; ``out_dir`` is created."""
    build_s = time.perf_counter() - t0
    xc, yc = calibration_rows(card, model)
    model.calibrate(xc, yc, targets)
    mean, sigma = model.predict(xc)
    c1, c2 = coverages(error_ratios(mean, yc, sigma))
    where = (
        str(card.model.calibration_data)
        if card.model.calibration_data is not None
        else f"{len(xc)} fresh points (seed {card.model.calibration_seed})"
    )
    model.info |= {
        **design,
        "build_s": round(build_s, 3),
        "calibration": {"data": where, "coverage_1sigma": c1, "coverage_2sigma": c2},
        "calibration_digits": float(-np.mean(np.log10(np.abs(mean / yc - 1) + 1e-300))),
    }
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    return model
