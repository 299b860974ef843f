"""``hepemu data …``: inspect datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import (
    PLOT_SUFFIXES,
    WAIT,
    check_output,
    check_scheduler,
    check_writable_folder,
    fail,
    holding_lock,
    key_value,
    parse_option,
    resumable,
    validation_message,
    warn,
)
from hepemu.data.dataset import Dataset, DatasetError

app = typer.Typer(
    help="Datasets of truth evaluations (HDF5).", no_args_is_help=True, rich_markup_mode=None
)


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
    force: Annotated[bool, typer.Option(help="replace an existing plot")] = False,
) -> None:
    """Histograms of every input column and of log10|target| (a first look at a dataset)."""
    from hepemu.data.importers import column_names
    from hepemu.evaluation.plots import dataset_overview

    check_output(out, force, inputs=[file], suffixes=PLOT_SUFFIXES)
    try:
        ds = Dataset.open(file)
        rows = slice(0, min(ds.n, max_rows))
        x, y = ds.read("inputs", rows), ds.read("targets", rows)
    except DatasetError as exc:
        fail(str(exc))
    if len(x) == 0:
        fail(f"{file} has no rows to plot")
    title = f"{ds.meta.get('provider', file.name)}: {len(x)} of {ds.n} points"
    columns, _ = column_names(ds.meta, x.shape[1], y.reshape(len(y), -1).shape[1])
    dataset_overview(x, y, columns, out, title, meta=ds.meta)
    typer.echo(f"wrote {out}")


@app.command("import")
def import_cmd(
    source: Annotated[Path, typer.Argument(help="csv, csv.gz, a part-* directory, npy or npz")],
    out: Annotated[Path, typer.Option("--out", "-o", help="HDF5 dataset to write")],
    inputs: Annotated[int, typer.Option(min=1, help="number of leading input columns")],
    meta: Annotated[
        list[str] | None,
        typer.Option(help="metadata entry key=value; repeat the flag for several"),
    ] = None,
    force: Annotated[bool, typer.Option(help="replace an existing dataset")] = False,
) -> None:
    """Import a table made elsewhere into a hepemu dataset (inputs first, then targets).

    The table is read and written in chunks (memory does not grow with it, except for .npz,
    which is read whole); the dataset appears only once every row was read."""
    from hepemu.data.importers import import_table
    from hepemu.data.points import InputError

    entries = dict(key_value(item, "--meta") for item in meta or [])
    check_output(out, force, inputs=[source])
    info = {"source": str(source), "generator": "imported", **entries}
    try:
        n, digest = import_table(source, out, inputs, info)
    except InputError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {out}: {exc}")
    typer.echo(f"wrote {n} rows to {out}")
    typer.echo(f"hash: {digest}")


@app.command("export")
def export_cmd(
    file: Annotated[Path, typer.Argument(help="HDF5 dataset")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV to write")],
    force: Annotated[bool, typer.Option(help="replace an existing file")] = False,
) -> None:
    """Export inputs and targets of a dataset to CSV under the dataset's column names."""
    from hepemu.data.importers import export_csv

    check_output(out, force, inputs=[file], suffixes=(".csv",))
    try:
        n = export_csv(file, out)
    except (DatasetError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"wrote {n} rows to {out}")


@app.command("generate")
def generate_cmd(
    card: Annotated[Path | None, typer.Argument(help="TOML card with a [generate] table")] = None,
    provider: Annotated[
        str | None, typer.Option(help="truth provider: gghh-box-1l, ee-qqg, … or module:attr")
    ] = None,
    n: Annotated[int | None, typer.Option(min=1, help="number of sampled points")] = None,
    chunk: Annotated[int | None, typer.Option(min=1, help="points per chunk")] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="seed (fixes every chunk's points)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="HDF5 file to write (resumes if partial)")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            help="provider option key=value; repeat the flag: --option sqrt_s=91.188 "
            "--option ycut=0.01"
        ),
    ] = None,
    sampler: Annotated[
        str | None,
        typer.Option(
            help="uniform, sobol, lattice (n must be prime), chebyshev (the tensor grid of "
            "Chebyshev-Lobatto nodes given by --nodes, for kind = chebyshev fits) or "
            "sparse-grid (the Smolyak grid of --level, for kind = sparse-grid fits)"
        ),
    ] = None,
    nodes: Annotated[
        str | None, typer.Option(help="chebyshev: nodes per axis, e.g. 14,14,14 (n: optional)")
    ] = None,
    level: Annotated[
        int | None, typer.Option(min=0, help="sparse-grid: the Smolyak level (n: optional)")
    ] = None,
    axis_maps: Annotated[
        str | None,
        typer.Option(help="chebyshev, sparse-grid: linear or log per axis (default all linear)"),
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
    force: Annotated[
        bool, typer.Option(help="replace an existing output file that holds other data")
    ] = False,
    keep_parts: Annotated[
        bool, typer.Option(help="keep the finished chunks in OUT.parts/ after assembly")
    ] = False,
    wait: Annotated[bool, WAIT] = False,
) -> None:
    """Evaluate a truth provider over sampled points in chunks; rerunning resumes.

    Rerunning a finished generation is a no-op; an existing file holding anything else is
    replaced only with --force. One run at a time writes OUT (lock OUT.lock): a second is
    refused (exit code 75) or, with --wait, waits.
    """
    import warnings

    from pydantic import ValidationError

    from hepemu.cards import validate_card
    from hepemu.cli.progress import generation_progress
    from hepemu.data.generate import GenerateCard, GenerationError, generate, output_status

    settings = _read_generate_card(card) if card is not None else {}
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
        "level": level,
    }
    settings.update({k: v for k, v in given.items() if v is not None})
    if nodes is not None:
        settings["nodes"] = _int_list(nodes, "--nodes")
    if axis_maps is not None:
        settings["axis_maps"] = [m.strip() for m in axis_maps.split(",")]
    if option:
        settings["options"] = {**settings.get("options", {}), **dict(map(parse_option, option))}
    try:
        cfg = (
            GenerateCard.model_validate(settings)
            if card is None
            else validate_card(settings, GenerateCard, card, "generate")
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plan = cfg.plan()
        plan.make_provider()
    except ValidationError as exc:
        fail(f"invalid generation settings: {validation_message(exc)}")
    except (ValueError, ImportError) as exc:
        fail(str(exc))
    for w in caught:
        warn(str(w.message))
    if output_status(plan, cfg.out) == "directory":
        fail(f"--out {cfg.out} is a directory; give a file name for the dataset")
    check_writable_folder(cfg.out.parent)
    if cfg.executor == "dask" and cfg.scheduler:
        check_scheduler(cfg.scheduler)
    with holding_lock(cfg.out, wait):
        status = output_status(plan, cfg.out)  # once the lock is held: no one else writes
        if status == "other" and not force:
            fail(f"{cfg.out} exists and holds other data; pass --force to replace it")
        try:
            with (
                resumable("finished chunks are kept; rerun the same command to resume"),
                generation_progress(plan.n) as cb,
            ):
                digest = generate(
                    plan,
                    cfg.out,
                    cfg.executor,
                    cfg.workers,
                    cb,
                    cfg.scheduler,
                    cfg.retries,
                    force=force,
                    keep_parts=keep_parts,
                )
        except GenerationError as exc:
            fail(str(exc))
        except (OSError, TimeoutError) as exc:
            fail(f"generation stopped: {exc} (finished chunks are kept; rerun to resume)")
        if status == "finished" and not force:
            typer.echo(f"{cfg.out} already holds this finished generation: nothing to do")
        else:
            typer.echo(f"wrote {cfg.out}")
        typer.echo(f"hash: {digest}")


def _int_list(text: str, flag: str) -> list[int]:
    """``14,14,14`` → [14, 14, 14], or one error line naming ``flag``."""
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        fail(f"{flag} expects integers separated by commas (e.g. 14,14,14), got {text!r}")


def _read_generate_card(card: Path) -> dict:
    """The ``[generate]`` table of a TOML card (the one card loader), or one error line."""
    from hepemu.cards import CardError, card_table

    if not card.is_file() and "=" in card.name:
        fail(
            f"{card} is not a card file; it looks like a provider option: repeat the flag "
            f"for each one (--option a=1 --option b=2)"
        )
    try:
        return card_table(card, "generate")
    except CardError as exc:
        fail(str(exc))
