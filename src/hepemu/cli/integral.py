"""``hepemu integral …``: evaluate, train and cross-check integration networks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from hepemu.cli.common import err, fail, resumable
from hepemu.data.points import InputError, read_points, write_points
from hepemu.models.inn_surrogate import ModelFileError
from hepemu.physics.integrals.registry import INTEGRALS, get_integral

app = typer.Typer(help="Parametric integrals and integration networks.", no_args_is_help=True)
out = Console()


@app.command("list")
def list_integrals() -> None:
    """List the known parametric integrals and shipped models."""
    from hepemu.registry import manifest

    t = Table(title="parametric integrals")
    for c in ("name", "parameters", "region", "k", "description"):
        t.add_column(c)
    for name, integ in INTEGRALS.items():
        region = " × ".join(f"[{a:g},{b:g}]" for a, b in integ.param_ranges)
        t.add_row(name, ",".join(integ.param_names), region, str(integ.dim), integ.description)
    out.print(t)
    m = Table(title="shipped models")
    for c in ("name", "file", "sha256", "description"):
        m.add_column(c)
    for name, e in manifest().items():
        m.add_row(name, e["file"], e["sha256"][:16] + "…", e["description"])
    out.print(m)


@app.command("eval")
def eval_cmd(
    model: Annotated[str, typer.Option(help="shipped model name or path to a model file")],
    input: Annotated[Path, typer.Option("--input", "-i", help="CSV with the parameter columns")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write")],
    strict: Annotated[
        bool, typer.Option(help="error (not warn) on points outside the region")
    ] = False,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto")] = "cpu",
) -> None:
    """Integrals I ± I_err at the points of a CSV (columns named as the integral's parameters)."""
    import torch

    from hepemu.registry import load_model

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        fail("--device cuda requested but no CUDA device is available")
    try:
        surrogate = load_model(model, device=device)
    except ModelFileError as exc:
        fail(str(exc))
    integ = surrogate.integral
    try:
        table = read_points(input, integ.param_names)
    except InputError as exc:
        fail(str(exc))
    outside = integ.outside_region(table.params)
    if outside.any():
        rows = np.flatnonzero(outside) + 1
        shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
        msg = (
            f"{len(rows)} point(s) outside the trained region "
            f"{dict(zip(integ.param_names, integ.param_ranges, strict=True))}: rows {shown}"
        )
        if strict:
            fail(msg)
        err.print(f"[yellow]warning:[/] {msg}; their values are extrapolations")
    mean, sigma = surrogate.predict(table.params)
    bad = ~(np.isfinite(mean) & np.isfinite(sigma))
    if bad.any():
        rows = ", ".join(map(str, np.flatnonzero(bad)[:10] + 1))
        fail(f"non-finite predictions at rows {rows} (far outside the trained region?)")
    _write(output, table, {"I": mean, "I_err": sigma})
    err.print(f"wrote {len(mean)} integrals to {output}")


def _write(path: Path, table, columns: dict) -> None:
    try:
        write_points(path, table, columns)
    except OSError as exc:
        fail(f"cannot write {path}: {exc}")


@app.command("reference")
def reference_cmd(
    integral: Annotated[str, typer.Option(help="integral name (see `hepemu integral list`)")],
    input: Annotated[Path, typer.Option("--input", "-i")],
    output: Annotated[Path, typer.Option("--output", "-o")],
    method: Annotated[str, typer.Option(help="gl (tensor Gauss–Legendre) or qmc")] = "qmc",
    nodes: Annotated[
        int | None,
        typer.Option(help="GL nodes per axis (default 32) or QMC lattice size (default 100003)"),
    ] = None,
) -> None:
    """Reference integrals by Gauss–Legendre or randomly shifted lattice QMC."""
    from hepemu.physics.integrals.quadrature import integrate_gauss_legendre, integrate_qmc

    limits = {"gl": (1, 200, 32), "qmc": (31, 10**8, 100003)}
    if method not in limits:
        fail(f"unknown method {method!r}; use gl or qmc")
    lo, hi, default = limits[method]
    nodes = default if nodes is None else nodes
    if not lo <= nodes <= hi:
        fail(f"--nodes for {method} must be in [{lo}, {hi}], got {nodes}")
    try:
        integ = get_integral(integral)
        table = read_points(input, integ.param_names)
    except (ValueError, InputError) as exc:
        fail(str(exc))
    if method == "gl":
        val = integrate_gauss_legendre(integ, table.params, integ.dim, nodes)
        errv = np.full_like(val, np.nan)
    else:
        res = integrate_qmc(integ, table.params, integ.dim, n=nodes)
        val, errv = res.value, res.error
    _write(output, table, {"I": val, "I_err": errv})
    err.print(f"wrote {len(val)} reference integrals to {output}")


@app.command("train")
def train_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="run directory (resumes if present)")],
    card: Annotated[Path | None, typer.Option(help="TOML run card ([inn] table)")] = None,
    integral: Annotated[str | None, typer.Option(help="override the card's integral")] = None,
    steps: Annotated[int | None, typer.Option(help="override Adam steps")] = None,
    seed: Annotated[int | None, typer.Option(help="override the seed (first replica)")] = None,
    init_from: Annotated[
        Path | None, typer.Option(help="warm start from an earlier run's checkpoint directory")
    ] = None,
    replicas: Annotated[int, typer.Option(min=1, help="independently seeded replicas")] = 1,
    max_minutes: Annotated[float | None, typer.Option(help="stop each replica after this")] = None,
    executor: Annotated[
        str, typer.Option(help="serial, processes or dask: replicas train in parallel")
    ] = "serial",
    workers: Annotated[int, typer.Option(min=1, help="parallel workers")] = 2,
    scheduler: Annotated[
        str | None, typer.Option(help="address of a running Dask scheduler (with dask)")
    ] = None,
) -> None:
    """Train INN replicas; rerunning the same command resumes an interrupted run."""
    from pydantic import ValidationError

    from hepemu.training.inn_config import INNTrainConfig

    try:
        cfg = INNTrainConfig.from_toml(card) if card else INNTrainConfig()
        upd = {
            "integral": integral,
            "steps": steps,
            "seed": seed,
            "init_from": None if init_from is None else str(init_from),
        }
        upd = {k: v for k, v in upd.items() if v is not None}
        cfg = INNTrainConfig(**{**cfg.model_dump(), **upd})
        get_integral(cfg.integral)
    except (ValidationError, ValueError, OSError) as exc:
        fail(f"bad configuration: {exc}")
    from hepemu.data.executors import check_executor

    try:
        check_executor(executor)
    except ValueError as exc:
        fail(str(exc))
    max_seconds = None if max_minutes is None else 60 * max_minutes
    try:
        with resumable("checkpoints are kept; rerun the same command to resume"):
            surrogate = _train(cfg, out_dir, replicas, max_seconds, executor, workers, scheduler)
    except (RuntimeError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    (out_dir / "config.json").write_text(cfg.model_dump_json(indent=2))
    digest = surrogate.save(out_dir / "model.safetensors")
    err.print(f"saved {out_dir / 'model.safetensors'} (sha256 {digest[:16]}…)")
    err.print(json.dumps(surrogate.info["replicas"], indent=1))


def _train(cfg, out_dir, replicas, max_seconds, executor, workers, scheduler):
    """Train serially with a per-step bar, or in parallel with a per-replica bar."""
    from hepemu.cli.progress import replica_progress, training_progress
    from hepemu.training.inn_train import train_replicas

    if executor == "serial":
        with training_progress(cfg.steps) as cb:
            return train_replicas(cfg, out_dir, replicas, cb, max_seconds)
    with replica_progress(replicas) as done:
        return train_replicas(
            cfg,
            out_dir,
            replicas,
            max_seconds=max_seconds,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            on_replica_done=done,
        )


@app.command("combine")
def combine_cmd(
    models: Annotated[list[Path], typer.Argument(help="model files to merge (same integral)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="merged model file")],
) -> None:
    """Merge replica sets trained separately (e.g. in parallel) into one model file."""
    from hepemu.models.inn_surrogate import INNSurrogate, merge_surrogates

    try:
        merged = merge_surrogates([INNSurrogate.load(m) for m in models])
    except (ModelFileError, ValueError) as exc:
        fail(str(exc))
    digest = merged.save(output)
    err.print(f"wrote {merged.n_replicas} replicas to {output} (sha256 {digest[:16]}…)")
