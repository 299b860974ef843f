"""Importers for data made elsewhere, and a CSV exporter.

Supported: CSV and CSV.gz (header optional), Parquet (with pyarrow), a directory of
Spark-style ``part-*.csv[.gz]`` or ``part-*.parquet`` chunks (the layout of the published
high-precision-regression datasets: columns x1..xD on the unit hypercube, then targets), NumPy
``.npy`` (one 2-D table) and ``.npz`` (arrays ``inputs``/``targets`` or ``x``/``y``).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from hepemu.data.dataset import Dataset
from hepemu.data.points import InputError


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def _read_csv(path: Path) -> tuple[np.ndarray, list[str] | None]:
    with _open_text(path) as fh:
        first = fh.readline()
    cells = [c.strip() for c in first.split(",")]
    has_header = any(c and not _is_number(c) for c in cells)
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=1 if has_header else 0, ndmin=2)
    except ValueError as exc:
        raise InputError(f"{path}: not a numeric CSV table: {exc}") from None
    return data, (cells if has_header else None)


def _read_parquet(path: Path) -> tuple[np.ndarray, list[str]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        table = pq.read_table(path)
        cols = [np.asarray(c.to_numpy(), dtype=float) for c in table.columns]
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path}: not a numeric Parquet table: {exc}") from None
    return np.column_stack(cols) if cols else np.empty((0, 0)), list(table.column_names)


def _read_part(path: Path) -> tuple[np.ndarray, list[str] | None]:
    return _read_parquet(path) if path.name.endswith(".parquet") else _read_csv(path)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_table(source: str | Path) -> tuple[np.ndarray, list[str] | None]:
    """Read a numeric table (rows × columns) and its column names if the source has them."""
    source = Path(source)
    if source.is_dir():
        parts = sorted(
            p
            for p in source.iterdir()
            if p.name.startswith("part-") and not p.name.endswith(".crc")
        )
        if not parts:
            raise InputError(f"{source}: no part-* files in the directory")
        tables = [_read_part(p) for p in parts]
        widths = {t.shape[1] for t, _ in tables}
        if len(widths) != 1:
            raise InputError(f"{source}: part files have different column counts {widths}")
        return np.concatenate([t for t, _ in tables]), tables[0][1]
    if not source.exists():
        raise InputError(f"no such file or directory: {source}")
    name = source.name
    if name.endswith(".npy"):
        arr = np.load(source, allow_pickle=False)
        return np.atleast_2d(arr.T).T if arr.ndim == 1 else arr, None
    if name.endswith(".npz"):
        with np.load(source, allow_pickle=False) as z:
            for xi, yi in (("inputs", "targets"), ("x", "y")):
                if xi in z and yi in z:
                    x, y = z[xi], z[yi]
                    return np.column_stack([x, y.reshape(len(y), -1)]), None
        raise InputError(f"{source}: expected arrays inputs/targets or x/y")
    if name.endswith(".csv") or name.endswith(".csv.gz"):
        return _read_csv(source)
    if name.endswith(".parquet"):
        return _read_parquet(source)
    raise InputError(f"{source}: unsupported format (csv, csv.gz, parquet, part-* dir, npy, npz)")


def split_columns(table: np.ndarray, n_inputs: int) -> tuple[np.ndarray, np.ndarray]:
    """First ``n_inputs`` columns are inputs, the rest targets (one target → 1-D)."""
    if not 0 < n_inputs < table.shape[1]:
        raise InputError(
            f"n_inputs={n_inputs} must leave at least one target column of {table.shape[1]}"
        )
    if not np.all(np.isfinite(table)):
        bad = np.flatnonzero(~np.all(np.isfinite(table), axis=1))
        raise InputError(f"non-finite values in rows {', '.join(map(str, bad[:10] + 1))}")
    y = table[:, n_inputs:]
    return table[:, :n_inputs], (y[:, 0] if y.shape[1] == 1 else y)


def export_csv(dataset: str | Path, out: str | Path) -> int:
    """Write inputs and targets of a dataset as CSV (x1..xD, y1..); returns the row count."""
    ds = Dataset.open(dataset)
    x, y = ds.read("inputs"), ds.read("targets")
    y2 = y.reshape(len(y), -1)
    header = [f"x{i + 1}" for i in range(x.shape[1])] + [f"y{i + 1}" for i in range(y2.shape[1])]
    np.savetxt(
        out,
        np.column_stack([x, y2]),
        delimiter=",",
        header=",".join(header),
        comments="",
        fmt="%.17g",
    )
    return len(x)
