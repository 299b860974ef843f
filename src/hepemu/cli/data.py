"""``hepemu data …``: inspect datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hepemu.data.dataset import Dataset, DatasetError

app = typer.Typer(help="Datasets of truth evaluations (HDF5).", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


@app.command("info")
def info_cmd(
    file: Annotated[Path, typer.Argument(help="HDF5 dataset")],
    verify: Annotated[bool, typer.Option(help="recompute the content hash")] = False,
) -> None:
    """Print a dataset's metadata, arrays and content hash (a line `hash: <hex>`)."""
    try:
        ds = Dataset.open(file)
        arrays = ds.arrays()
        ok = ds.verify() if verify else None
    except DatasetError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    typer.echo(f"file: {file}")
    typer.echo(f"points: {ds.n}")
    typer.echo(f"arrays: {', '.join(arrays)}")
    for key, value in ds.meta.items():
        typer.echo(f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")
    typer.echo(f"hash: {ds.hash}")
    if ok is not None:
        typer.echo(f"verified: {'yes' if ok else 'NO — content does not match its hash'}")
        if not ok:
            raise typer.Exit(1)
