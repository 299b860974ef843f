"""What a dataset fit needs from its dataset beyond the batches: column names, the fitted
preprocessing (stored in the run directory), the ``info`` a fitted model carries, and the
validation-split calibration of its error bar."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hepemu.data.dataset import Dataset
from hepemu.fileio import write_atomic
from hepemu.models.calibration import ONE_SIGMA_TARGET
from hepemu.models.preprocessing import Preprocessing
from hepemu.models.regressor import NetworkRegressor
from hepemu.training.fit_config import FitCard

PREPROCESSING_ROWS = 1_000_000  # rows of the train split the statistics are fitted on


def dataset_columns(ds: Dataset) -> tuple[list[str], str]:
    """Input column names and the target name of a dataset (generated or imported)."""
    d = _width(ds)
    cols = list(ds.meta.get("columns") or [])
    targets = list(ds.meta.get("target_columns") or [])
    if len(cols) == d + 1 and not targets:
        cols, targets = cols[:d], cols[d:]
    if len(cols) != d:
        cols = [f"x{i + 1}" for i in range(d)]
    return cols, (targets[0] if targets else "y")


def _width(ds: Dataset) -> int:
    import h5py

    with h5py.File(ds.path, "r") as fh:
        shape = fh["inputs"].shape
    return int(shape[1]) if len(shape) == 2 else 1


def fit_preprocessing(card: FitCard, ds: Dataset) -> Preprocessing:
    """Preprocessing of the card, its statistics fitted on (up to 10⁶ rows of) the train split."""
    p = card.preprocessing
    pre = Preprocessing(
        target_transform=p.target_transform,
        standardise_target=p.standardise_target,
        reference=p.reference,
        canonicalise=list(p.canonicalise),
        features=p.features,
        arcsinh_scale=p.arcsinh_scale,
        provider=str(ds.meta.get("provider", "")),
    )
    rows = ds.split("train")
    if len(rows) < 2:
        raise ValueError(f"{ds.path}: the train split has {len(rows)} rows; need at least 2")
    if len(rows) > PREPROCESSING_ROWS:
        rows = np.sort(np.random.default_rng(0).choice(rows, PREPROCESSING_ROWS, replace=False))
    return pre.fit(ds.read("inputs", rows), ds.read("targets", rows))


def run_preprocessing(card: FitCard, ds: Dataset, out_dir: Path) -> Preprocessing:
    """The run's preprocessing: ``out_dir/preprocessing.json`` if a resumed run stored one
    (it keeps the statistics it was trained with), else fitted now and stored there."""
    pre_path = out_dir / "preprocessing.json"
    if pre_path.exists():
        return Preprocessing.from_dict(json.loads(pre_path.read_text()))
    pre = fit_preprocessing(card, ds)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(pre_path, json.dumps(pre.to_dict(), indent=1))
    return pre


def run_info(card: FitCard, ds: Dataset, train_x: np.ndarray) -> dict:
    """The ``info`` every fitted model carries: input ranges of the train rows (raw inputs,
    shape (N, d)), the resolved card and the dataset's path, hash and provider."""
    return {
        "input_ranges": np.stack([train_x.min(axis=0), train_x.max(axis=0)], axis=1).tolist(),
        "card": json.loads(card.model_dump_json()),
        "dataset": {
            "path": str(card.data.path),
            "hash": ds.hash,
            "provider": ds.meta.get("provider"),
            "provider_options": ds.meta.get("provider_options", {}),
        },
    }


def _validation_rows(ds: Dataset, max_rows: int) -> np.ndarray:
    rows = ds.split("validation")
    if len(rows) > max_rows:
        rows = np.sort(np.random.default_rng(2).choice(rows, max_rows, replace=False))
    return rows


def record_validation_coverage(model: NetworkRegressor, ds: Dataset, max_rows: int) -> None:
    """Store the share of validation points within 1σ and 2σ of a self-aware model."""
    rows = _validation_rows(ds, max_rows)
    mean, sigma = model.predict(ds.read("inputs", rows))
    pull = np.abs(mean - ds.read("targets", rows)) / np.maximum(sigma, np.finfo(float).tiny)
    model.info["validation_coverage"] = {
        "1sigma": float(np.mean(pull < 1)),
        "2sigma": float(np.mean(pull < 2)),
        "rows": int(len(rows)),
    }


def calibrate_on_validation(model: NetworkRegressor, ds: Dataset, max_rows: int) -> None:
    """Calibrate an ensemble's error bar on (up to ``max_rows`` of) the validation split."""
    rows = _validation_rows(ds, max_rows)
    fitted = model.calibrate(ds.read("inputs", rows), ds.read("targets", rows), ONE_SIGMA_TARGET)
    model.info["sigma_calibration"] = {
        "scale": fitted["sigma_scale"],
        "level": ONE_SIGMA_TARGET[0][1],
        "rows": int(len(rows)),
        "on": "validation split",
    }
