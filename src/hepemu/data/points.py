"""Parameter-point tables (CSV) with validation: named columns, finite values, region checks."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class InputError(ValueError):
    """Bad user input: missing columns, unparsable or non-finite values."""


@dataclass
class PointTable:
    """Columns of a CSV file; ``params`` holds the requested columns in order, shape (N, m)."""

    header: list[str]
    rows: list[list[str]]
    params: np.ndarray


def read_points(path: str | Path, columns: tuple[str, ...]) -> PointTable:
    """Read a CSV with a header row containing ``columns``; errors name the offending row.

    Row numbers in messages count data rows from 1 (the header is row 0).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    try:
        return _read_points(path, columns)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path} is not a readable CSV text file: {exc}") from None


def _read_points(path: Path, columns: tuple[str, ...]) -> PointTable:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputError(
                f"{path} is empty; expected a header with {', '.join(columns)}"
            ) from None
        missing = [c for c in columns if c not in header]
        if missing:
            raise InputError(
                f"{path}: missing column(s) {', '.join(missing)}; header has {', '.join(header)}"
            )
        idx = [header.index(c) for c in columns]
        rows, values = [], []
        for i, row in enumerate(reader, start=1):
            if not row or all(not c.strip() for c in row):
                continue
            try:
                vals = [float(row[j]) for j in idx]
            except (ValueError, IndexError):
                raise InputError(
                    f"{path}: row {i} has a missing or non-numeric value: {row}"
                ) from None
            bad = [columns[j] for j, v in enumerate(vals) if not np.isfinite(v)]
            if bad:
                raise InputError(f"{path}: row {i} has non-finite {', '.join(bad)}: {row}")
            rows.append(row)
            values.append(vals)
    params = np.array(values, dtype=float).reshape(len(values), len(columns))
    return PointTable(header, rows, params)


def write_points(path: str | Path, table: PointTable, extra: dict[str, np.ndarray]) -> None:
    """Write the input rows plus extra columns (full double precision) to CSV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(table.header + list(extra))
        cols = list(extra.values())
        for i, row in enumerate(table.rows):
            w.writerow(row + [repr(float(c[i])) for c in cols])
