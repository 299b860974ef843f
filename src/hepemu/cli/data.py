"""``hepemu data …``: inspect datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import fail, resumable
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
    if "split" in ds.meta:
        sizes = ", ".join(f"{p} {len(ds.split(p))}" for p in ("train", "validation", "test"))
        typer.echo(f"split sizes: {sizes}")
    typer.echo(f"hash: {ds.hash}")
    if ok is not None:
        typer.echo(f"verified: {'yes' if ok else 'NO — content does not match its hash'}")
        if not ok:
            raise typer.Exit(1)


@app.command("split")
def split_cmd(
    file: Annotated[Path, typer.Argument(help="HDF5 dataset")],
    seed: Annotated[int, typer.Option(min=0, help="seed of the random split")] = 0,
    fractions: Annotated[
        str, typer.Option(help="train,validation,test fractions summing to 1")
    ] = "0.8,0.1,0.1",
) -> None:
    """Store a deterministic train/validation/test split (seed + fractions) in the file."""
    try:
        parts = tuple(float(f) for f in fractions.split(","))
        ds = Dataset.open(file)
        ds.set_split(seed, parts)  # type: ignore[arg-type]
    except ValueError as exc:
        fail(f"bad --fractions {fractions!r}: {exc}")
    except (DatasetError, OSError) as exc:
        fail(str(exc))
    sizes = ", ".join(f"{p} {len(ds.split(p))}" for p in ("train", "validation", "test"))
    typer.echo(f"split: seed {seed}, {sizes}")


@app.command("plot")
def plot_cmd(
    file: Annotated[Path, typer.Argument(help="HDF5 dataset")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG to write")],
    max_rows: Annotated[int, typer.Option(min=1, help="plot at most this many rows")] = 200_000,
) -> None:
    """Histograms of every input column and of log10|target| (a first look at a dataset)."""
    from hepemu.evaluation.plots import dataset_overview

    try:
        ds = Dataset.open(file)
        rows = slice(0, min(ds.n, max_rows))
        x, y = ds.read("inputs", rows), ds.read("targets", rows)
    except DatasetError as exc:
        fail(str(exc))
    if len(x) == 0:
        fail(f"{file} has no rows to plot")
    title = f"{ds.meta.get('provider', file.name)}: {len(x)} of {ds.n} points"
    dataset_overview(x, y, list(ds.meta.get("columns", [])), out, title)
    typer.echo(f"wrote {out}")


def _key_value(item: str, flag: str) -> tuple[str, str]:
    """Split ``key=value`` (stripped), or fail naming the option."""
    if "=" not in item:
        fail(f"{flag} expects key=value, got {item!r}")
    key, value = item.split("=", 1)
    return key.strip(), value.strip()


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

    entries = dict(_key_value(item, "--meta") for item in meta or [])
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


def _parse_option(item: str) -> tuple[str, float | int | str]:
    key, value = _key_value(item, "--option")
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    return key, value


@app.command("generate")
def generate_cmd(
    card: Annotated[Path | None, typer.Argument(help="TOML card with a [generate] table")] = None,
    provider: Annotated[
        str | None, typer.Option(help="truth provider: gghh-box-1l, ee-qqg, … or module:attr")
    ] = None,
    n: Annotated[int | None, typer.Option(min=1, help="number of sampled points")] = None,
    chunk: Annotated[int | None, typer.Option(min=1, help="points per chunk")] = None,
    seed: Annotated[int | None, typer.Option(help="seed (fixes every chunk's points)")] = None,
    out: Annotated[
        Path | None, typer.Option(help="HDF5 file to write (resumes if partial)")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(help="provider option key=value, e.g. sqrt_s=91.188 ycut=0.01"),
    ] = None,
    sampler: Annotated[
        str | None, typer.Option(help="uniform, sobol or lattice (lattice: n must be prime)")
    ] = None,
    executor: Annotated[str | None, typer.Option(help="serial, processes or dask")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="worker processes")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="address of a running Dask scheduler (with dask)")
    ] = None,
    retries: Annotated[int | None, typer.Option(min=0, help="retries of a failing chunk")] = None,
    on_error: Annotated[
        str | None,
        typer.Option(help="stop: fail the run; skip: leave out (and save) failing points"),
    ] = None,
) -> None:
    """Evaluate a truth provider over sampled points in chunks; rerunning resumes."""
    import tomllib

    from pydantic import ValidationError

    from hepemu.cli.progress import generation_progress
    from hepemu.data.generate import GenerateCard, GenerationError, generate

    settings: dict = {}
    if card is not None:
        try:
            with open(card, "rb") as fh:
                settings = tomllib.load(fh).get("generate", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            fail(f"cannot read card {card}: {exc}")
    given = {
        "provider": provider,
        "n": n,
        "chunk": chunk,
        "seed": seed,
        "sampler": sampler,
        "out": out,
        "executor": executor,
        "workers": workers,
        "scheduler": scheduler,
        "retries": retries,
        "on_error": on_error,
    }
    settings.update({k: v for k, v in given.items() if v is not None})
    if option:
        settings["options"] = {**settings.get("options", {}), **dict(map(_parse_option, option))}
    try:
        cfg = GenerateCard.model_validate(settings)
        plan = cfg.plan()
        plan.make_provider()
    except ValidationError as exc:
        fail("invalid generation settings (options or card):\n" + str(exc))
    except ValueError as exc:
        fail(str(exc))
    try:
        with (
            resumable("finished chunks are kept; rerun the same command to resume"),
            generation_progress(plan.n) as cb,
        ):
            digest = generate(
                plan, cfg.out, cfg.executor, cfg.workers, cb, cfg.scheduler, cfg.retries
            )
    except GenerationError as exc:
        fail(str(exc))
    typer.echo(f"wrote {cfg.out}")
    typer.echo(f"hash: {digest}")
