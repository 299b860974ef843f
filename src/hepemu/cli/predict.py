"""``hepemu predict``: any surrogate's mean and 1σ error at the rows of a CSV or a dataset."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from hepemu.cli.common import THREADS, RowFlags, check_output, err, fail, shift_rows, warn
from hepemu.data.points import CHUNK_ROWS

MODEL = typer.Option(help="shipped model name or path to a model file")
STRICT = typer.Option(help="error (not warn) on points outside the trained region")
DEVICE = typer.Option(help="cpu, cuda or auto (networks; other kinds run on the CPU)")
CHUNK = typer.Option(
    min=8, help="rows read, predicted and written at a time (bounds memory; at least 8)"
)


def device_name(device: str) -> str:
    """``cpu``, ``cuda[:i]`` or ``auto`` → a usable device name, or one error line."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device != "cpu" and not device.startswith("cuda"):
        fail(f"unknown device {device!r}; use cpu, cuda or auto")
    if device.startswith("cuda") and not torch.cuda.is_available():
        fail(f"device {device!r} requested but no CUDA device is available (use cpu or auto)")
    return device


def load_or_fail(model: str, device: str = "cpu", threads: int | None = None):
    """The surrogate named or stored at ``model`` (one error line if it cannot be loaded)."""
    from hepemu.models.envelope import ModelFileError
    from hepemu.registry import load_model
    from hepemu.threads import set_threads

    try:
        set_threads(threads)
        return load_model(model, device=device)
    except (ModelFileError, ValueError) as exc:
        fail(str(exc))


def input_chunks(path: Path, sur, chunk_rows: int = CHUNK_ROWS) -> Iterator:
    """The rows of a CSV or dataset with the surrogate's input columns, streamed in chunks
    of ``chunk_rows`` and checked: refused (one line naming the file's rows) where the truth
    is undefined, and where the input already holds the columns the output adds."""
    from hepemu.data.points import InputError, iter_points

    cols = list(sur.input_columns)
    if path.suffix.lower() in (".h5", ".hdf5"):
        chunks = dataset_chunks(path, cols, chunk_rows)
    else:
        chunks = iter_points(path, tuple(cols), chunk_rows)
    try:
        for table in chunks:
            clash = [c for c in sur.output_columns if c in table.header]
            if clash:
                fail(f"{path} already has column(s) {', '.join(clash)}, which the output adds")
            try:
                sur.check_valid(table.params)
            except ValueError as exc:
                fail(shift_rows(str(exc), table.start))
            yield table
    except InputError as exc:
        fail(str(exc))


def dataset_chunks(path: Path, cols: list[str], chunk_rows: int = CHUNK_ROWS) -> Iterator:
    """A dataset's inputs as point tables of ``chunk_rows`` rows (its column names must be
    the model's); values written as ``repr(float)``."""
    from hepemu.data.dataset import Dataset, DatasetError
    from hepemu.data.points import PointTable, chunk_bounds
    from hepemu.training.fit_data import dataset_columns

    try:
        ds = Dataset.open(path)
        names, _ = dataset_columns(ds)
    except DatasetError as exc:
        fail(str(exc))
    if names != cols:
        fail(f"{path} has input columns {', '.join(names)}; the model needs {', '.join(cols)}")
    for a, b in chunk_bounds(ds.n, chunk_rows):
        try:
            x = ds.read("inputs", slice(a, b))
        except DatasetError as exc:
            fail(str(exc))
        x = x.reshape(len(x), -1).astype(float)
        rows = [[repr(float(v)) for v in row] for row in x]
        yield PointTable(list(names), rows, x, a)


def predict_chunk(
    sur, x: np.ndarray, flags: RowFlags, start: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sigma) at the rows ``x`` of a chunk that follows ``start`` rows: rows outside
    the trained region flagged (an error with a strict ``flags``); non-finite predictions
    refused, naming the file's rows (never written as if they were numbers)."""
    import torch

    for what, bad in sur.region_problems(x):
        flags.add(bad, what, start)
    with torch.inference_mode():
        mean, sigma = sur.predict(x)
    bad = ~np.isfinite(mean) | np.isinf(sigma)
    if sur.has_error:
        bad |= ~np.isfinite(sigma)
    if bad.any():
        rows = ", ".join(map(str, np.flatnonzero(bad)[:10] + 1 + start))
        fail(
            f"non-finite predictions at rows {rows} (far outside the trained region?); "
            "nothing was written"
        )
    return mean, sigma


def region_flags(strict: bool) -> RowFlags:
    """The flags of rows outside a model's trained region (errors with ``strict``)."""
    return RowFlags(strict, "their values are extrapolations")


def warn_no_error(sur) -> None:
    """Say once that a model without an error estimate writes nan as its error column."""
    if not sur.has_error:
        warn(
            f"this model has no error estimate (a single replica, member or tree): "
            f"{sur.output_columns[1]} is nan"
        )


def predict_rows(sur, x: np.ndarray, strict: bool) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sigma) at ``x`` in one piece (:func:`predict_chunk` with the warnings said)."""
    flags = region_flags(strict)
    mean, sigma = predict_chunk(sur, x, flags)
    flags.report()
    warn_no_error(sur)
    return mean, sigma


def predict_file(
    sur, input: Path, output: Path, strict: bool, chunk_rows: int = CHUNK_ROWS
) -> None:
    """Read ``input`` in chunks, predict, write ``output`` with the two output columns added
    (memory bounded by ``chunk_rows``; the file appears only once every chunk succeeded)."""
    from hepemu.data.points import InputError, point_writer

    chunks = input_chunks(input, sur, chunk_rows)
    first = next(chunks)
    name, name_err = sur.output_columns
    flags, n = region_flags(strict), 0
    try:
        with point_writer(output, first.header, [name, name_err]) as write:
            for table in itertools.chain([first], chunks):
                mean, sigma = predict_chunk(sur, table.params, flags, table.start)
                write(table, {name: mean, name_err: sigma})
                n += len(mean)
    except (OSError, InputError) as exc:
        fail(f"cannot write {output}: {exc}")
    flags.report()
    warn_no_error(sur)
    err.print(f"wrote {n} predictions of {name} to {output}")


def predict_cmd(
    model: Annotated[str, MODEL],
    input: Annotated[
        Path, typer.Option("--input", "-i", help="CSV with the model's input columns, or a dataset")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write")],
    strict: Annotated[bool, STRICT] = False,
    device: Annotated[str, DEVICE] = "cpu",
    threads: Annotated[int | None, THREADS] = None,
    force: Annotated[bool, typer.Option(help="replace an existing output file")] = False,
    chunk_rows: Annotated[int, CHUNK] = CHUNK_ROWS,
) -> None:
    """Predictions of any surrogate: the input columns plus <target> and <target>_err.

    Every kind answers: an integration network (e.g. --model gghh-box-1l) adds I and I_err,
    a regressor or emulator <target> and <target>_err. <target>_err is the model's calibrated
    1σ error (replica or ensemble spread, or a Bayesian network's σ_tot); nan where the model
    has none (a single network or tree), with a warning. Rows where the truth is undefined are
    refused; rows outside the trained region are named (refused with --strict).

    Non-finite predictions (a model overflowing far outside its region) are never written as
    numbers: the run is refused naming the rows, and no output file is left. The input streams
    in chunks of --chunk-rows rows, so memory does not grow with the file; the output appears
    only when every chunk succeeded.
    """
    check_output(output, force, inputs=[input], suffixes=(".csv",), flag="--output")
    sur = load_or_fail(model, device_name(device), threads)
    predict_file(sur, input, output, strict, chunk_rows)
