"""`hepemu export`: a surrogate's whole prediction as one ONNX or TorchScript graph."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import check_output, err, fail


def export_cmd(
    model: Annotated[str, typer.Option(help="model (shipped name or file)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="graph file (.onnx or .pt)")],
    format: Annotated[str, typer.Option("--format", help="onnx or torchscript")] = "onnx",
    dtype: Annotated[str, typer.Option(help="float64 or float32")] = "float64",
    force: Annotated[bool, typer.Option(help="replace an existing output file")] = False,
) -> None:
    """Export the whole prediction — preprocessing, networks, replica mean and calibrated
    error — as one graph from the model's input columns (an (N, d) tensor in the physical
    units `predict` takes) to `mean` and `sigma` (N,). Load it with ONNX Runtime (C++:
    examples/onnx_eval.cpp) or torch.jit.load."""
    from hepemu.applications.export import FORMATS, export
    from hepemu.models.envelope import ModelFileError
    from hepemu.registry import load_model

    if format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, got {format!r}")
    if dtype not in ("float64", "float32"):
        fail(f"--dtype must be float64 or float32, got {dtype!r}")
    check_output(out, force, flag="--out")
    try:
        surrogate = load_model(model)
    except (ModelFileError, ValueError, OSError) as exc:
        fail(f"cannot load --model {model!r}: {exc}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on tracing constants
            export(surrogate, out, format, dtype)
    except ValueError as exc:
        fail(str(exc))
    cols = ",".join(surrogate.input_columns)
    n_in = len(surrogate.input_columns)
    err.print(
        f"wrote {out}: input x (N, {n_in}), columns {cols}; outputs mean, sigma (N,); {dtype}",
        highlight=False,
        markup=False,
    )
