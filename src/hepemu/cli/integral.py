"""``hepemu integral …``: evaluate, train and cross-check integration networks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from hepemu.cli.common import (
    THREADS,
    WAIT,
    check_output,
    check_run_dir,
    check_scheduler,
    err,
    fail,
    holding_lock,
    resumable,
    validation_message,
)
from hepemu.data.points import InputError, read_points, write_points
from hepemu.fileio import write_atomic
from hepemu.models.envelope import ModelFileError
from hepemu.physics.integrals.registry import INTEGRALS, get_integral

app = typer.Typer(
    help="Parametric integrals and integration networks.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
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


OUTPUT_COLUMNS = ("I", "I_err")
GL_ROUNDING = 1e-14  # relative floor of a Gauss–Legendre error estimate (float64 summation)
FORCE = typer.Option(help="replace an existing output file")


@app.command("eval")
def eval_cmd(
    model: Annotated[str, typer.Option(help="shipped model name or path to a model file")],
    input: Annotated[Path, typer.Option("--input", "-i", help="CSV with the parameter columns")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write")],
    strict: Annotated[
        bool, typer.Option(help="error (not warn) on points outside the trained region")
    ] = False,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto")] = "cpu",
    threads: Annotated[int | None, THREADS] = None,
    force: Annotated[bool, FORCE] = False,
) -> None:
    """Alias of `hepemu predict` (same options): integrals I ± I_err at the points of a CSV.

    I is the replica mean; I_err the calibrated replica spread, the model's 1σ error. A
    single-replica model has no error estimate: I_err is nan (and a warning says so).
    """
    from hepemu.cli.predict import predict_cmd

    predict_cmd(model, input, output, strict, device, threads, force)


def _read(path: Path, integ):
    """The parameter table of ``path``, refusing points where the integral is not valid."""
    try:
        table = read_points(path, integ.param_names)
        integ.check_valid(table.params)
    except (InputError, ValueError) as exc:
        fail(str(exc))
    clash = [c for c in OUTPUT_COLUMNS if c in table.header]
    if clash:
        fail(f"{path} already has column(s) {', '.join(clash)}, which the output adds")
    return table


def _write(path: Path, table, columns: dict) -> None:
    try:
        write_points(path, table, columns)
    except (OSError, InputError) as exc:
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
    control_variate: Annotated[
        str | None,
        typer.Option(
            "--control-variate",
            help="INN model (name or file) whose integral is corrected: I = network + QMC of "
            "the residual f − ∂ᵏN; adds the column I_net",
        ),
    ] = None,
    force: Annotated[bool, FORCE] = False,
) -> None:
    """Reference integrals by Gauss–Legendre or randomly shifted lattice QMC, with errors.

    I_err: for qmc the standard error over 10 random shifts; for gl |GL(n) − GL(n−1)|, the
    size of the last correction (a conservative estimate for these smooth integrands), but
    not below 1e-14 relative (double-precision rounding of the sum). With --control-variate
    the QMC integrates the residual of a trained INN: unbiased whatever the network's
    precision, with the residual's error (8 shifts).
    """
    from hepemu.physics.integrals.quadrature import integrate_gauss_legendre, integrate_qmc

    limits = {"gl": (2, 200, 32), "qmc": (31, 10**8, 100003)}
    if method not in limits:
        fail(f"unknown method {method!r}; use gl or qmc")
    lo, hi, default = limits[method]
    nodes = default if nodes is None else nodes
    if not lo <= nodes <= hi:
        fail(f"--nodes for {method} must be in [{lo}, {hi}], got {nodes}")
    if control_variate is not None and method != "qmc":
        fail("--control-variate integrates the residual by lattice QMC: use --method qmc")
    check_output(output, force, inputs=[input], flag="--output")
    try:
        integ = get_integral(integral)
    except ValueError as exc:
        fail(str(exc))
    if control_variate is not None:
        _reference_with_control_variate(integ, control_variate, input, output, nodes)
        return
    table = _read(input, integ)
    if method == "gl":
        val = integrate_gauss_legendre(integ, table.params, integ.dim, nodes)
        lower = integrate_gauss_legendre(integ, table.params, integ.dim, nodes - 1)
        errv = np.maximum(np.abs(val - lower), GL_ROUNDING * np.abs(val))
    else:
        res = integrate_qmc(integ, table.params, integ.dim, n=nodes)
        val, errv = res.value, res.error
    bad = ~(np.isfinite(val) & np.isfinite(errv))
    if bad.any():
        rows = ", ".join(map(str, np.flatnonzero(bad)[:10] + 1))
        fail(f"the {method} rule gave non-finite values at rows {rows}")
    _write(output, table, {"I": val, "I_err": errv})
    err.print(f"wrote {len(val)} reference integrals to {output}")


def _reference_with_control_variate(integ, model_name: str, input: Path, output: Path, n: int):
    from hepemu.applications.control_variate import control_variate_integrals
    from hepemu.registry import load_model

    try:
        model = load_model(model_name)
    except (ModelFileError, ValueError, OSError) as exc:
        fail(f"cannot load --control-variate {model_name!r}: {exc}")
    if model.kind != "inn":
        fail(f"--control-variate needs an integration network (INN), not a {model.kind} model")
    if model.integral.name != integ.name:
        fail(f"model {model_name!r} integrates {model.integral.name}, not {integ.name}")
    table = _read(input, integ)
    res = control_variate_integrals(model, table.params, n=n)
    _write(output, table, {"I": res.value, "I_err": res.error, "I_net": res.network})
    err.print(f"wrote {len(res.value)} control-variate integrals to {output}")


@app.command("train")
def train_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="run directory (resumes if present)")],
    card: Annotated[Path | None, typer.Option(help="TOML run card ([inn] table)")] = None,
    integral: Annotated[str | None, typer.Option(help="override the card's integral")] = None,
    steps: Annotated[int | None, typer.Option(min=0, help="override Adam steps")] = None,
    seed: Annotated[int | None, typer.Option(help="override the seed (first replica)")] = None,
    init_from: Annotated[
        Path | None, typer.Option(help="warm start from an earlier run's checkpoint directory")
    ] = None,
    replicas: Annotated[int, typer.Option(min=1, help="independently seeded replicas")] = 1,
    max_minutes: Annotated[
        float | None, typer.Option(min=0, help="stop each replica after this")
    ] = None,
    executor: Annotated[
        str, typer.Option(help="serial, processes or dask: replicas train in parallel")
    ] = "serial",
    workers: Annotated[int, typer.Option(min=1, help="parallel workers")] = 2,
    scheduler: Annotated[
        str | None, typer.Option(help="address of a running Dask scheduler (with dask)")
    ] = None,
    threads: Annotated[int | None, THREADS] = None,
    wait: Annotated[bool, WAIT] = False,
) -> None:
    """Train INN replicas; rerunning the same command resumes an interrupted run.

    Rerunning a finished run changes nothing; a larger --steps extends it (and says so).
    One run at a time writes OUT (lock OUT.lock): a second is refused (exit code 75) or, with
    --wait, waits.
    """
    from pydantic import ValidationError

    from hepemu.cards import CardError
    from hepemu.data.executors import check_executor
    from hepemu.threads import choose_threads
    from hepemu.training.inn_config import INNTrainConfig
    from hepemu.training.runtime import ResumeError, refuse_old_run, resolve_device

    try:
        cfg = INNTrainConfig.from_toml(card) if card else INNTrainConfig()
        upd = {
            "integral": integral,
            "steps": steps,
            "seed": seed,
            "init_from": None if init_from is None else str(init_from),
            "threads": None if executor != "serial" else choose_threads(threads or cfg.threads),
        }
        upd = {k: v for k, v in upd.items() if v is not None}
        cfg = INNTrainConfig.model_validate({**cfg.model_dump(), **upd})
        get_integral(cfg.integral)
        resolve_device(cfg.device)
        check_executor(executor)
    except ValidationError as exc:
        fail(f"bad configuration: {validation_message(exc)}")
    except CardError as exc:  # names the file and the key
        fail(str(exc))
    except (ValueError, OSError) as exc:
        fail(f"bad configuration: {exc}")
    check_run_dir(out_dir, ("config.json", "replica0"), "run")
    if executor == "dask" and scheduler:
        check_scheduler(scheduler)
    with holding_lock(out_dir, wait):
        if _finished(cfg, out_dir, replicas):
            return
        try:  # an older hepemu's checkpoints cannot be read: say so before any work
            refuse_old_run(out_dir)
        except ResumeError as exc:
            fail(str(exc))
        max_seconds = None if max_minutes is None else 60 * max_minutes
        try:
            with resumable("checkpoints are kept; rerun the same command to resume"):
                surrogate = _train(
                    cfg, out_dir, replicas, max_seconds, executor, workers, scheduler
                )
        except typer.Exit:
            raise
        except (RuntimeError, FileNotFoundError, ValueError, OSError) as exc:
            fail(str(exc))
        write_atomic(out_dir / "config.json", cfg.model_dump_json(indent=2))
        digest = surrogate.save(out_dir / "model.safetensors")
        err.print(f"saved {out_dir / 'model.safetensors'} (sha256 {digest[:16]}…)")
        err.print(json.dumps(surrogate.info["replicas"], indent=1))


def _finished(cfg, out_dir: Path, replicas: int) -> bool:
    """True (after saying so) when ``out_dir`` holds this run, finished; notes an extension."""
    from hepemu.training.inn_config import INNTrainConfig
    from hepemu.training.inn_train import checkpoint_steps
    from hepemu.training.runtime import RUNTIME_SETTINGS, changed_fixed_settings

    model = out_dir / "model.safetensors"
    done = [checkpoint_steps(out_dir / f"replica{r}") for r in range(replicas)]
    if any(d is not None for d in done):
        reached = min(d[0] for d in done if d is not None)
        if None not in done and reached < cfg.steps and (out_dir / "config.json").exists():
            err.print(
                f"note: extending the run in {out_dir} from {reached} to {cfg.steps} steps "
                "per replica (the learning-rate schedule is stretched to the new length)"
            )
    if not model.exists() or not (out_dir / "config.json").exists():
        return False
    saved = INNTrainConfig.model_validate_json((out_dir / "config.json").read_text())
    complete = all(d is not None and d[0] >= cfg.steps and d[1] >= cfg.lbfgs_rounds for d in done)
    # settings that change no result (the runtime's list) may differ
    same = not changed_fixed_settings(saved.model_dump(), cfg.model_dump(), RUNTIME_SETTINGS)
    if not (complete and same and not (out_dir / f"replica{replicas}").exists()):
        return False
    from hepemu.registry import sha256

    err.print(
        f"{out_dir} holds this run, finished ({replicas} replica(s) × {cfg.steps} steps): "
        f"nothing to do; model {model} (sha256 {sha256(model)[:16]}…)"
    )
    return True


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
    force: Annotated[bool, FORCE] = False,
) -> None:
    """Merge replica sets trained separately (e.g. in parallel) into one model file."""
    from hepemu.models.inn_surrogate import merge_surrogates
    from hepemu.models.loading import load_surrogate

    check_output(output, force, inputs=models, suffixes=(".safetensors",), flag="--output")
    try:
        merged = merge_surrogates([load_surrogate(m) for m in models])
    except (ModelFileError, ValueError) as exc:
        fail(str(exc))
    digest = merged.save(output)
    err.print(f"wrote {merged.n_replicas} replicas to {output} (sha256 {digest[:16]}…)")


@app.command("calibrate")
def calibrate_cmd(
    model: Annotated[str, typer.Option(help="INN model (shipped name or file)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="calibrated model file")],
    points: Annotated[int, typer.Option(min=20, help="held-out parameter points")] = 2000,
    seed: Annotated[
        int, typer.Option(help="seed of the held-out points (not the test points' seed)")
    ] = 777,
    force: Annotated[bool, FORCE] = False,
) -> None:
    """Calibrate I_err on held-out points: I_err = √((c·spread)² + (d·|I|)²) with c and d
    fitted so that I_err covers the truth at 68 % and 2·I_err at 95 % of them; writes a copy
    of the model with c and d stored (and digested) in it."""
    from hepemu.models.calibration import calibrated_sigma, coverages, error_ratios
    from hepemu.models.surrogate import NotSupportedError
    from hepemu.registry import load_model

    check_output(output, force, suffixes=(".safetensors",), flag="--output")
    try:
        surrogate = load_model(model)
    except (ModelFileError, ValueError) as exc:
        fail(str(exc))
    if not surrogate.has_error:
        fail(f"{model} has no error estimate (one replica): no spread to calibrate")
    try:
        with err.status(f"reference values at {points} held-out points"):
            s_ref, y_ref = surrogate.reference(points, seed)
    except NotSupportedError as exc:
        fail(f"{model}: {exc}")
    mean, spread = surrogate.mean_and_spread(s_ref)
    before = coverages(error_ratios(mean, y_ref, spread))
    fitted = surrogate.calibrate(s_ref, y_ref)
    scale, floor = fitted["sigma_scale"], fitted["sigma_floor"]
    after = coverages(error_ratios(mean, y_ref, calibrated_sigma(spread, mean, scale, floor)))
    surrogate.save(output)
    err.print(
        f"I_err = √(({scale:.4g}·spread)² + ({floor:.3g}·|I|)²): 1σ/2σ coverage on the "
        f"{points} held-out points "
        f"{100 * before[0]:.1f}/{100 * before[1]:.1f} % → {100 * after[0]:.1f}/"
        f"{100 * after[1]:.1f} % (judge it on other points: benchmarks/inn_error_calibration.py)"
    )
    err.print(f"wrote {output}")
