"""``hepemu data …``: inspect datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import err, fail
from hepemu.data.dataset import Dataset, DatasetError

app = typer.Typer(help="Datasets of truth evaluations (HDF5).", no_args_is_help=True)


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
        fail(str(exc))
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


@app.command("import")
def import_cmd(
    source: Annotated[Path, typer.Argument(help="csv, csv.gz, a part-* directory, npy or npz")],
    out: Annotated[Path, typer.Option("--out", "-o", help="HDF5 dataset to write")],
    inputs: Annotated[int, typer.Option(min=1, help="number of leading input columns")],
    meta: Annotated[
        list[str] | None, typer.Option(help="metadata entries key=value (repeatable)")
    ] = None,
) -> None:
    """Import a table made elsewhere into a hepemu dataset (inputs first, then targets)."""
    from hepemu.data.dataset import write_dataset
    from hepemu.data.importers import read_table, split_columns
    from hepemu.data.points import InputError

    entries = {}
    for item in meta or []:
        if "=" not in item:
            fail(f"--meta expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        entries[key.strip()] = value.strip()
    try:
        table, names = read_table(source)
        x, y = split_columns(table, inputs)
    except InputError as exc:
        fail(str(exc))
    info = {"source": str(source), "generator": "imported", **entries}
    if names:
        info["columns"] = names
    digest = write_dataset(out, x, y, info)
    typer.echo(f"wrote {len(x)} rows to {out}")
    typer.echo(f"hash: {digest}")


@app.command("export")
def export_cmd(
    file: Annotated[Path, typer.Argument(help="HDF5 dataset")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV to write")],
) -> None:
    """Export inputs and targets of a dataset to CSV (columns x1..xD, y1..)."""
    from hepemu.data.importers import export_csv

    try:
        n = export_csv(file, out)
    except (DatasetError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"wrote {n} rows to {out}")


@app.command("generate")
def generate_cmd(
    card: Annotated[Path | None, typer.Argument(help="TOML card with a [generate] table")] = None,
    provider: Annotated[str | None, typer.Option(help="truth provider, e.g. gghh-box-1l")] = None,
    n: Annotated[int | None, typer.Option(min=1, help="number of points")] = None,
    chunk: Annotated[int | None, typer.Option(min=1, help="points per chunk")] = None,
    seed: Annotated[int | None, typer.Option(help="seed (fixes every chunk's points)")] = None,
    out: Annotated[
        Path | None, typer.Option(help="HDF5 file to write (resumes if partial)")
    ] = None,
    executor: Annotated[str, typer.Option(help="serial, processes or dask")] = "serial",
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 2,
    scheduler: Annotated[
        str | None, typer.Option(help="address of a running Dask scheduler (with dask)")
    ] = None,
) -> None:
    """Evaluate a truth provider over sampled points in chunks; rerunning resumes."""
    import tomllib

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from hepemu.data.generate import GenerationPlan, generate

    settings: dict = {}
    if card is not None:
        try:
            with open(card, "rb") as fh:
                settings = tomllib.load(fh).get("generate", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            fail(f"cannot read card {card}: {exc}")
    given = {"provider": provider, "n": n, "chunk": chunk, "seed": seed, "out": out}
    settings.update({k: v for k, v in given.items() if v is not None})
    missing = [k for k in ("provider", "n", "out") if k not in settings]
    if missing:
        fail(f"missing {', '.join(missing)} (options or card)")
    if executor not in ("serial", "processes", "dask"):
        fail(f"unknown executor {executor!r} (serial, processes, dask)")
    try:
        plan = GenerationPlan(
            str(settings["provider"]),
            int(settings["n"]),
            int(settings.get("chunk", 20000)),
            int(settings.get("seed", 0)),
        )
        from hepemu.physics.integrals.registry import get_integral

        get_integral(plan.provider)
    except (ValueError, TypeError) as exc:
        fail(str(exc))
    with Progress(
        TextColumn("[bold]generate"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} chunks"),
        TimeRemainingColumn(),
        console=err,
    ) as prog:
        task = prog.add_task("gen", total=plan.n_chunks)
        digest = generate(
            plan,
            Path(settings["out"]),
            executor,
            workers,
            progress=lambda done, total: prog.update(task, completed=done),
            scheduler=scheduler,
        )
    typer.echo(f"wrote {settings['out']}")
    typer.echo(f"hash: {digest}")
