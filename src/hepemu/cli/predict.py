"""``hepemu predict``: any surrogate's mean and 1σ error at the rows of a CSV or a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from hepemu.cli.common import THREADS, check_output, err, fail, flag_rows, warn

MODEL = typer.Option(help="shipped model name or path to a model file")
STRICT = typer.Option(help="error (not warn) on points outside the trained region")
DEVICE = typer.Option(help="cpu, cuda or auto (networks; other kinds run on the CPU)")


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


def input_table(path: Path, sur):
    """The rows of a CSV or dataset with the surrogate's input columns, checked: refused where
    the truth is undefined, and where they already hold the columns the output adds."""
    from hepemu.data.points import InputError, read_points

    cols = list(sur.input_columns)
    if path.suffix.lower() in (".h5", ".hdf5"):
        table = dataset_table(path, cols)
    else:
        try:
            table = read_points(path, tuple(cols))
        except InputError as exc:
            fail(str(exc))
    clash = [c for c in sur.output_columns if c in table.header]
    if clash:
        fail(f"{path} already has column(s) {', '.join(clash)}, which the output adds")
    try:
        sur.check_valid(table.params)
    except ValueError as exc:
        fail(str(exc))
    return table


def dataset_table(path: Path, cols: list[str]):
    """A dataset's inputs as a point table (its column names must be the model's)."""
    from hepemu.data.dataset import Dataset, DatasetError
    from hepemu.data.points import PointTable
    from hepemu.training.fit_data import dataset_columns

    try:
        ds = Dataset.open(path)
        names, _ = dataset_columns(ds)
        x = ds.read("inputs")
    except DatasetError as exc:
        fail(str(exc))
    x = x.reshape(len(x), -1)
    if names != cols:
        fail(f"{path} has input columns {', '.join(names)}; the model needs {', '.join(cols)}")
    rows = [[repr(float(v)) for v in row] for row in x]
    return PointTable(list(names), rows, x.astype(float))


def predict_rows(sur, x: np.ndarray, strict: bool) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sigma) at ``x``: rows outside the trained region named (an error with
    ``strict``), non-finite predictions refused, a missing error estimate said once."""
    import torch

    for what, bad in sur.region_problems(x):
        flag_rows(bad, what, strict, "their values are extrapolations")
    with torch.inference_mode():
        mean, sigma = sur.predict(x)
    bad = ~np.isfinite(mean) | np.isinf(sigma)
    if sur.has_error:
        bad |= ~np.isfinite(sigma)
    if bad.any():
        rows = ", ".join(map(str, np.flatnonzero(bad)[:10] + 1))
        fail(f"non-finite predictions at rows {rows} (far outside the trained region?)")
    if not sur.has_error:
        warn(
            f"this model has no error estimate (a single replica, member or tree): "
            f"{sur.output_columns[1]} is nan"
        )
    return mean, sigma


def predict_file(sur, input: Path, output: Path, strict: bool) -> None:
    """Read ``input``, predict, write ``output`` with the two output columns added."""
    from hepemu.data.points import InputError, write_points

    table = input_table(input, sur)
    mean, sigma = predict_rows(sur, table.params, strict)
    name, name_err = sur.output_columns
    try:
        write_points(output, table, {name: mean, name_err: sigma})
    except (OSError, InputError) as exc:
        fail(f"cannot write {output}: {exc}")
    err.print(f"wrote {len(mean)} predictions of {name} to {output}")


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
) -> None:
    """Predictions of any surrogate: the input columns plus <target> and <target>_err.

    Every kind answers: an integration network (e.g. --model gghh-box-1l) adds I and I_err,
    a regressor or emulator <target> and <target>_err. <target>_err is the model's calibrated
    1σ error (replica or ensemble spread, or a Bayesian network's σ_tot); nan where the model
    has none (a single network or tree), with a warning. Rows where the truth is undefined are
    refused; rows outside the trained region are named (refused with --strict).
    """
    check_output(output, force, inputs=[input], suffixes=(".csv",), flag="--output")
    sur = load_or_fail(model, device_name(device), threads)
    predict_file(sur, input, output, strict)
