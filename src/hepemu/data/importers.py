"""Importers for data made elsewhere, and a CSV exporter.

Supported: CSV and CSV.gz (header optional), Parquet (with pyarrow), a directory of
Spark-style ``part-*.csv[.gz]`` or ``part-*.parquet`` chunks (the layout of the published
high-precision-regression datasets: columns x1..xD on the unit hypercube, then targets), NumPy
``.npy`` (one 2-D table) and ``.npz`` (arrays ``inputs``/``targets`` or ``x``/``y``).
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hepemu.data.dataset import Dataset, dataset_writer
from hepemu.data.points import CHUNK_ROWS, InputError
from hepemu.fileio import atomic_path


def _open_text(path: Path, encoding: str | None = None):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding=encoding)
    return open(path, encoding=encoding)


def _read_csv(path: Path) -> tuple[np.ndarray, list[str] | None]:
    try:
        with _open_text(path) as fh:
            first = fh.readline().lstrip("\ufeff")
            if "\0" in first:
                raise InputError(f"{path} is not a CSV text file (it contains NUL bytes)")
        cells = [c.strip() for c in first.split(",")]
        has_header = any(c and not _is_number(c) for c in cells)
        data = np.loadtxt(
            path,
            delimiter=",",
            skiprows=1 if has_header else 0,
            ndmin=2,
            encoding="utf-8-sig",
        )
    except (ValueError, OSError, EOFError) as exc:  # UnicodeDecodeError, bad gzip, ragged rows
        raise InputError(f"{path}: not a numeric CSV table: {exc}") from None
    if has_header and len(cells) != data.shape[1] and len(data):
        raise InputError(f"{path}: {len(cells)} column names but {data.shape[1]} columns")
    if has_header:
        dup = sorted({c for c in cells if cells.count(c) > 1})
        if dup:
            raise InputError(f"{path}: duplicated column(s) {', '.join(dup)} in the header")
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
    if name.endswith(".npy") or name.endswith(".npz"):
        try:
            return _read_numpy(source)
        except (ValueError, OSError, EOFError) as exc:  # object arrays, truncated files
            raise InputError(f"{source}: not a numeric NumPy table: {exc}") from None
    if name.endswith(".csv") or name.endswith(".csv.gz"):
        return _read_csv(source)
    if name.endswith(".parquet"):
        return _read_parquet(source)
    raise InputError(f"{source}: unsupported format (csv, csv.gz, parquet, part-* dir, npy, npz)")


def iter_table(
    source: str | Path, chunk_rows: int = CHUNK_ROWS
) -> tuple[list[str] | None, Iterator[np.ndarray]]:
    """:func:`read_table` in chunks of at most ``chunk_rows`` rows: (column names or None,
    the chunks). CSV, CSV.gz, Parquet, ``part-*`` directories and ``.npy`` (memory-mapped)
    stream; an ``.npz`` is read whole (its arrays are compressed members)."""
    source = Path(source)
    if source.is_dir():
        parts = _part_files(source)
        names = _part_names(parts[0])
        return names, (c for p in parts for c in _iter_part(p, chunk_rows)[1])
    if not source.exists():
        raise InputError(f"no such file or directory: {source}")
    name = source.name
    if name.endswith(".npy"):
        return None, _iter_npy(source, chunk_rows)
    if name.endswith(".npz"):
        table, names = read_table(source)
        return names, (table[a : a + chunk_rows] for a in range(0, len(table), chunk_rows))
    if name.endswith((".csv", ".csv.gz", ".parquet")):
        return _iter_part(source, chunk_rows)
    raise InputError(f"{source}: unsupported format (csv, csv.gz, parquet, part-* dir, npy, npz)")


def _part_files(source: Path) -> list[Path]:
    parts = sorted(
        p for p in source.iterdir() if p.name.startswith("part-") and not p.name.endswith(".crc")
    )
    if not parts:
        raise InputError(f"{source}: no part-* files in the directory")
    return parts


def _part_names(path: Path) -> list[str] | None:
    return _iter_part(path, 1)[0]


def _iter_part(path: Path, chunk_rows: int) -> tuple[list[str] | None, Iterator[np.ndarray]]:
    if path.name.endswith(".parquet"):
        return _iter_parquet(path, chunk_rows)
    try:
        with _open_text(path) as fh:
            first = fh.readline().lstrip("\ufeff")
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a numeric CSV table: {exc}") from None
    if "\0" in first:
        raise InputError(f"{path} is not a CSV text file (it contains NUL bytes)")
    cells = [c.strip() for c in first.split(",")]
    has_header = any(c and not _is_number(c) for c in cells)
    if has_header:
        dup = sorted({c for c in cells if cells.count(c) > 1})
        if dup:
            raise InputError(f"{path}: duplicated column(s) {', '.join(dup)} in the header")
    return (cells if has_header else None), _iter_csv(path, chunk_rows, cells, has_header)


def _iter_csv(path: Path, chunk_rows: int, cells: list[str], has_header: bool):
    line = 1 if has_header else 0
    try:
        with _open_text(path, "utf-8-sig") as fh:
            if has_header:
                fh.readline()
            while lines := list(itertools.islice(fh, chunk_rows)):
                try:
                    data = np.loadtxt(lines, delimiter=",", ndmin=2)
                except ValueError as exc:
                    raise InputError(
                        f"{path}: not a numeric CSV table (lines {line + 1}–"
                        f"{line + len(lines)}): {exc}"
                    ) from None
                line += len(lines)
                if not data.size:
                    continue
                if has_header and len(cells) != data.shape[1]:
                    raise InputError(
                        f"{path}: {len(cells)} column names but {data.shape[1]} columns"
                    )
                yield data
    except (OSError, EOFError, UnicodeDecodeError) as exc:  # bad gzip, not text
        raise InputError(f"{path}: not a numeric CSV table: {exc}") from None


def _iter_parquet(path: Path, chunk_rows: int) -> tuple[list[str], Iterator[np.ndarray]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        pf = pq.ParquetFile(path)
        names = list(pf.schema_arrow.names)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path}: not a numeric Parquet table: {exc}") from None

    def chunks() -> Iterator[np.ndarray]:
        try:
            for batch in pf.iter_batches(batch_size=chunk_rows):
                cols = [np.asarray(c.to_numpy(), dtype=float) for c in batch.columns]
                yield np.column_stack(cols) if cols else np.empty((0, 0))
        except (OSError, ValueError, TypeError) as exc:
            raise InputError(f"{path}: not a numeric Parquet table: {exc}") from None

    return names, chunks()


def _iter_npy(source: Path, chunk_rows: int) -> Iterator[np.ndarray]:
    try:
        arr = np.load(source, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{source}: not a numeric NumPy table: {exc}") from None
    _numeric(arr[:0], source, "the array")
    if arr.ndim not in (1, 2):
        raise InputError(f"{source}: expected a 1-D or 2-D table, got shape {arr.shape}")
    for a in range(0, len(arr), chunk_rows):
        part = np.asarray(arr[a : a + chunk_rows], dtype=float)
        yield part[:, None] if part.ndim == 1 else part


def import_table(
    source: str | Path,
    out: str | Path,
    n_inputs: int,
    info: dict,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[int, str]:
    """Import a table (:func:`iter_table`) into the dataset ``out``, chunk by chunk (memory
    bounded by ``chunk_rows``; the file appears only when every chunk was read). ``info`` is
    the dataset's metadata (column names are added from the source's header). Returns (rows,
    content hash), the hash :func:`hepemu.data.dataset.write_dataset` would give."""
    names, chunks = iter_table(source, chunk_rows)
    meta = dict(info)
    if names:
        meta["columns"], meta["target_columns"] = names[:n_inputs], names[n_inputs:]
    width, start = None, 0
    with dataset_writer(out, meta) as writer:
        for table in chunks:
            if width is not None and table.shape[1] != width:
                raise InputError(f"{source}: part files have different column counts "
                                 f"{{{width}, {table.shape[1]}}}")
            width = table.shape[1]
            x, y = split_columns(table, n_inputs, start)
            writer.append(x, y)
            start += len(table)
        if not start:
            raise InputError(f"{source}: no rows to import")
    return start, writer.digest


def _numeric(arr: np.ndarray, source: Path, what: str) -> np.ndarray:
    if arr.dtype.kind not in "biuf":
        raise InputError(f"{source}: {what} has dtype {arr.dtype}, not a numeric type")
    return arr.astype(float, copy=False)


def _read_numpy(source: Path) -> tuple[np.ndarray, None]:
    if source.name.endswith(".npy"):
        arr = _numeric(np.load(source, allow_pickle=False), source, "the array")
        if arr.ndim not in (1, 2):
            raise InputError(f"{source}: expected a 1-D or 2-D table, got shape {arr.shape}")
        return (arr[:, None] if arr.ndim == 1 else arr), None
    with np.load(source, allow_pickle=False) as z:
        for xi, yi in (("inputs", "targets"), ("x", "y")):
            if xi in z and yi in z:
                x = _numeric(z[xi], source, xi)
                y = _numeric(z[yi], source, yi)
                if len(x) != len(y):
                    raise InputError(f"{source}: {xi} has {len(x)} rows but {yi} {len(y)}")
                return np.column_stack([x.reshape(len(x), -1), y.reshape(len(y), -1)]), None
    raise InputError(f"{source}: expected arrays inputs/targets or x/y")


def split_columns(
    table: np.ndarray, n_inputs: int, start: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """First ``n_inputs`` columns are inputs, the rest targets (one target → 1-D); the rows
    follow ``start`` rows of the whole table (in messages)."""
    if not 0 < n_inputs < table.shape[1]:
        raise InputError(
            f"n_inputs={n_inputs} must leave at least one target column of {table.shape[1]}"
        )
    if not np.all(np.isfinite(table)):
        bad = np.flatnonzero(~np.all(np.isfinite(table), axis=1))
        rows = ", ".join(map(str, bad[:10] + 1 + start))
        raise InputError(f"non-finite values in rows {rows}")
    y = table[:, n_inputs:]
    return table[:, :n_inputs], (y[:, 0] if y.shape[1] == 1 else y)


def column_names(meta: dict, n_inputs: int, n_targets: int) -> tuple[list[str], list[str]]:
    """Input and target column names stored in a dataset's metadata (``x1``…, ``y1``… if none).

    ``columns`` names the inputs (generated data) or inputs and targets (imported tables);
    ``target_columns`` names the targets.
    """
    cols = list(meta.get("columns") or [])
    targets = list(meta.get("target_columns") or [])
    if len(cols) == n_inputs + n_targets and not targets:
        cols, targets = cols[:n_inputs], cols[n_inputs:]
    if len(cols) != n_inputs:
        cols = [f"x{i + 1}" for i in range(n_inputs)]
    if len(targets) != n_targets:
        targets = ["y"] if n_targets == 1 else [f"y{i + 1}" for i in range(n_targets)]
    return cols, targets


def export_csv(dataset: str | Path, out: str | Path, chunk_rows: int = CHUNK_ROWS) -> int:
    """Write inputs and targets of a dataset as CSV under the dataset's own column names
    (full double precision, LF line ends, written atomically); returns the row count.

    Rows are read and written ``chunk_rows`` at a time (memory bounded by the chunk)."""
    ds = Dataset.open(dataset)
    first_x, first_y = ds.read("inputs", slice(0, 1)), ds.read("targets", slice(0, 1))
    n_in = int(np.prod(first_x.shape[1:]))
    n_out = int(np.prod(first_y.shape[1:]))
    names, targets = column_names(ds.meta, n_in, n_out)
    out = Path(out)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        fh.write((",".join(names + targets) + "\n").encode())
        for a in range(0, ds.n, chunk_rows):
            rows = slice(a, min(a + chunk_rows, ds.n))
            x, y = ds.read("inputs", rows), ds.read("targets", rows)
            table = np.column_stack([x.reshape(len(x), -1), y.reshape(len(y), -1)])
            np.savetxt(fh, table, delimiter=",", fmt="%.17g", newline="\n")
    return ds.n
