"""Parameter-point tables (CSV) with validation: named columns, finite values, region checks."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hepemu.fileio import atomic_path


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

    Row numbers in messages count data rows from 1 (the header is row 0). A UTF-8 byte-order
    mark is allowed; duplicated or empty column names, and rows with more or fewer fields
    than the header, are errors (never silently dropped or shifted).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    try:
        return _read_points(path, columns)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path} is not a readable CSV text file: {exc}") from None


def _check_header(path: Path, header: list[str], columns: tuple[str, ...]) -> list[int]:
    """Indices of ``columns`` in ``header``; refuses empty, duplicated or missing names."""
    if any(not h for h in header):
        raise InputError(f"{path}: the header has an empty column name: {','.join(header)}")
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise InputError(f"{path}: duplicated column(s) {', '.join(dup)} in the header")
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; header has {', '.join(header)}"
        )
    return [header.index(c) for c in columns]


def _read_points(path: Path, columns: tuple[str, ...]) -> PointTable:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        if "\0" in fh.read(4096):
            raise InputError(f"{path} is not a CSV text file (it contains NUL bytes)")
        fh.seek(0)
        reader = csv.reader(fh, strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputError(
                f"{path} is empty; expected a header with {', '.join(columns)}"
            ) from None
        idx = _check_header(path, header, columns)
        rows, values = [], []
        for i, row in enumerate(reader, start=1):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise InputError(
                    f"{path}: row {i} has {len(row)} fields but the header has {len(header)}: {row}"
                )
            try:
                vals = [float(row[j]) for j in idx]
            except ValueError:
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
    """Write the input rows plus extra columns (full double precision) to CSV, LF line ends.

    Written to a temporary file and moved into place, so a failure leaves no partial file.
    """
    path = Path(path)
    clash = [c for c in extra if c in table.header]
    if clash:
        raise InputError(
            f"the input already has column(s) {', '.join(clash)}; rename them before evaluating"
        )
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(table.header + list(extra))
        cols = list(extra.values())
        for i, row in enumerate(table.rows):
            w.writerow(row + [repr(float(c[i])) for c in cols])
