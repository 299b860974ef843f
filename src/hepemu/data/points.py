"""Parameter-point tables (CSV) with validation: named columns, finite values, region checks.

Tables stream: :func:`iter_points` yields chunks of at most ``chunk_rows`` rows and
:func:`point_writer` appends chunks to one atomically written CSV, so a command's memory is
bounded by its chunk size, not by the file (:data:`CHUNK_ROWS` rows by default).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hepemu.fileio import atomic_path

CHUNK_ROWS = 100_000  # rows per streamed chunk (tens of MB of strings and floats)
# a last chunk shorter than this joins the one before: float32 networks give row-for-row the
# same numbers in any batch of >= 8 rows (measured, CPU), not in smaller ones
TAIL_ROWS = 64
MAX_LINE = 1 << 20  # characters in one CSV line: a longer one is refused before it is read


class InputError(ValueError):
    """Bad user input: missing columns, unparsable or non-finite values."""


@dataclass
class PointTable:
    """Columns of a CSV file; ``params`` holds the requested columns in order, shape (N, m).

    ``start``: how many rows come before this one in the file (0 for a whole table), so that
    row ``i`` of a chunk is row ``start + i + 1`` of the file in messages.
    """

    header: list[str]
    rows: list[list[str]]
    params: np.ndarray
    start: int = 0


def read_points(path: str | Path, columns: tuple[str, ...]) -> PointTable:
    """Read a CSV with a header row containing ``columns``; errors name the offending row.

    Row numbers in messages count data rows from 1 (the header is row 0). A UTF-8 byte-order
    mark is allowed; duplicated or empty column names, and rows with more or fewer fields
    than the header, are errors (never silently dropped or shifted).
    """
    chunks = list(iter_points(path, columns, chunk_rows=None))
    header = chunks[0].header
    rows = [r for c in chunks for r in c.rows]
    params = np.concatenate([c.params for c in chunks]).reshape(len(rows), len(columns))
    return PointTable(header, rows, params)


def iter_points(
    path: str | Path, columns: tuple[str, ...], chunk_rows: int | None = CHUNK_ROWS
) -> Iterator[PointTable]:
    """:func:`read_points` in chunks of ``chunk_rows`` rows (``None``: one chunk); a last
    chunk shorter than ``TAIL_ROWS`` rows joins the one before (so no chunk is tiny unless
    the file is); always at least one chunk (an empty one for a file with a header only).
    Errors are raised when the chunk holding the bad row is read."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    try:
        yield from _iter_points(path, columns, chunk_rows)
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


def _iter_points(
    path: Path, columns: tuple[str, ...], chunk_rows: int | None
) -> Iterator[PointTable]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        if "\0" in fh.read(4096):
            raise InputError(f"{path} is not a CSV text file (it contains NUL bytes)")
        fh.seek(0)
        reader = csv.reader(_bounded_lines(fh, path), strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputError(
                f"{path} is empty; expected a header with {', '.join(columns)}"
            ) from None
        idx = _check_header(path, header, columns)
        rows, values, start, held = [], [], 0, None
        for i, row in enumerate(reader, start=1):
            if not row or all(not c.strip() for c in row):
                continue
            rows.append(row)
            values.append(_row_values(path, i, row, header, idx, columns))
            if chunk_rows is not None and len(rows) >= chunk_rows:
                if held is not None:
                    yield _table(header, *held, columns, start)
                    start += len(held[0])
                held, rows, values = (rows, values), [], []
        if held is not None and len(rows) < TAIL_ROWS:  # a short tail joins the chunk before
            rows, values = held[0] + rows, held[1] + values
        elif held is not None:
            yield _table(header, *held, columns, start)
            start += len(held[0])
        yield _table(header, rows, values, columns, start)


def _bounded_lines(fh, path: Path) -> Iterator[str]:
    """The lines of ``fh``, each read at most ``MAX_LINE`` characters at a time: a longer one
    (a hostile or broken file, e.g. a gigabyte without a line end) is refused, not read."""
    i = 0
    while line := fh.readline(MAX_LINE + 1):
        if len(line) > MAX_LINE:
            raise InputError(
                f"{path}: line {i + 1} is longer than {MAX_LINE} characters; not a table of "
                "numbers"
            )
        i += 1
        yield line


def chunk_bounds(n: int, chunk_rows: int) -> list[tuple[int, int]]:
    """(start, stop) of the chunks of ``n`` rows as :func:`iter_points` cuts them: at most
    ``chunk_rows`` rows, a last chunk shorter than ``TAIL_ROWS`` joined to the one before;
    one empty chunk where ``n`` is 0."""
    starts = list(range(0, n, chunk_rows)) or [0]
    if len(starts) > 1 and n - starts[-1] < TAIL_ROWS:
        starts.pop()
    return list(zip(starts, [*starts[1:], n], strict=True))


def _row_values(
    path: Path, i: int, row: list[str], header: list[str], idx: list[int], columns
) -> list[float]:
    """The requested columns of file row ``i`` as floats; one error naming the row if bad."""
    if len(row) != len(header):
        raise InputError(
            f"{path}: row {i} has {len(row)} fields but the header has {len(header)}: {row}"
        )
    try:
        vals = [float(row[j]) for j in idx]
    except ValueError:
        raise InputError(f"{path}: row {i} has a missing or non-numeric value: {row}") from None
    bad = [columns[j] for j, v in enumerate(vals) if not np.isfinite(v)]
    if bad:
        raise InputError(f"{path}: row {i} has non-finite {', '.join(bad)}: {row}")
    return vals


def _table(header, rows, values, columns, start: int) -> PointTable:
    params = np.array(values, dtype=float).reshape(len(values), len(columns))
    return PointTable(header, rows, params, start)


def write_points(path: str | Path, table: PointTable, extra: dict[str, np.ndarray]) -> None:
    """Write the input rows plus extra columns (full double precision) to CSV, LF line ends.

    Written to a temporary file and moved into place, so a failure leaves no partial file.
    """
    with point_writer(path, table.header, list(extra)) as write:
        write(table, extra)


@contextmanager
def point_writer(
    path: str | Path, header: list[str], extra: list[str]
) -> Iterator[Callable[[PointTable, dict[str, np.ndarray]], None]]:
    """A CSV of the input ``header`` plus the ``extra`` columns, written chunk by chunk:
    ``write(table, {name: values})`` appends a chunk's rows (values as ``repr(float)``, LF
    line ends). The file appears under ``path`` only when the block ends without an
    exception (:func:`hepemu.fileio.atomic_path`): a refusal in a later chunk leaves nothing.
    """
    path = Path(path)
    clash = [c for c in extra if c in header]
    if clash:
        raise InputError(
            f"the input already has column(s) {', '.join(clash)}; rename them before evaluating"
        )
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header + list(extra))

        def write(table: PointTable, values: dict[str, np.ndarray]) -> None:
            cols = [values[c] for c in extra]
            for i, row in enumerate(table.rows):
                w.writerow(row + [repr(float(c[i])) for c in cols])

        yield write
