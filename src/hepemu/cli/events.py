"""`hepemu events`: unweighted events with a surrogate (two-stage unweighting), LHE or HDF5."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import WAIT, check_output, err, fail, holding_lock, warn
from hepemu.cli.data import _parse_option

OUTPUTS = (".lhe", ".h5")


def events_cmd(
    surrogate: Annotated[str, typer.Option(help="surrogate model (shipped name or file)")],
    n: Annotated[int, typer.Option("--n", min=1, help="unweighted events wanted")],
    out: Annotated[Path, typer.Option("--out", "-o", help="events.lhe or events.h5")],
    process: Annotated[
        str | None, typer.Option(help="truth provider (default: the surrogate's)")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(help="provider option key=value (default: the surrogate's training cuts)"),
    ] = None,
    mode: Annotated[str, typer.Option(help="two-stage or one-stage")] = "two-stage",
    seed: Annotated[int, typer.Option(help="seed of the run")] = 0,
    chunk_trials: Annotated[
        int, typer.Option(min=100, help="phase-space points per chunk")
    ] = 50_000,
    executor: Annotated[str, typer.Option(help="serial, processes or dask")] = "serial",
    workers: Annotated[int, typer.Option(min=1, help="parallel workers")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address")] = None,
    force: Annotated[
        bool, typer.Option(help="replace an existing output file (the run resumes)")
    ] = False,
    wait: Annotated[bool, WAIT] = False,
) -> None:
    """Generate unweighted events: a vegas map adapted to the surrogate, two-stage
    unweighting (the true |M|² only where the surrogate's weight was accepted; unbiased),
    written as a Les Houches file (.lhe, readable by pylhe) or an HDF5 dataset (.h5).

    Chunks of trials are kept in OUT.run/: rerunning the same command resumes, and the
    chunks spread over --executor processes or dask like `data generate`. One run at a time
    writes OUT (lock OUT.lock): a second is refused (exit code 75) or, with --wait, waits.
    """
    from hepemu.applications.event_run import (
        EventRunSetup,
        generate_events,
        prepare,
        run_prefix,
    )
    from hepemu.data.executors import WorkerLost, check_executor
    from hepemu.models.envelope import ModelFileError
    from hepemu.registry import load_model

    if out.suffix not in OUTPUTS:
        fail(f"--out must end in {' or '.join(OUTPUTS)}, got {out.name!r}")
    try:
        check_executor(executor)
    except ValueError as exc:
        fail(str(exc))
    check_output(out, force, flag="--out")
    try:
        model = load_model(surrogate)
    except (ModelFileError, ValueError, OSError) as exc:
        fail(f"cannot load --surrogate {surrogate!r}: {exc}")
    trained = model.info.get("dataset", {})
    provider = process or trained.get("provider")
    if provider is None:
        fail(f"{surrogate} does not record its provider: name one with --process")
    options = (
        dict(map(_parse_option, option))
        if option
        else dict(
            trained.get("provider_options", {}) if provider == trained.get("provider") else {}
        )
    )
    with holding_lock(out, wait):
        setup = EventRunSetup(provider, options, surrogate, mode, seed, chunk_trials)
        run_dir = out.with_name(out.name + ".run")
        try:
            with err.status("adapting the vegas map and finding the maxima (pilot run)"):
                setup = prepare(run_dir, setup)
        except ValueError as exc:
            fail(str(exc))
        t0 = time.monotonic()
        start = {"events": None}

        def progress(stats) -> None:
            if start["events"] is None:
                start["events"] = stats.events
            d = stats.as_dict()
            rate = (stats.events - start["events"]) / max(time.monotonic() - t0, 1e-9)
            err.print(
                f"events {stats.events}/{n} ({rate:.3g}/s), trials {stats.trials}, "
                f"efficiency {d['efficiency']:.3g} (stages {d['first_stage_efficiency']:.3g} × "
                f"{d['second_stage_efficiency']:.3g}), overweights {d['overweight_fraction']:.2%}",
                highlight=False,
            )

        try:
            generate_events(run_dir, n, executor, workers, scheduler, progress)
        except WorkerLost as exc:
            fail(f"{exc} (finished chunks are kept in {run_dir}; rerun to resume)")
        _, total = run_prefix(run_dir, n)
        _say_nonfinite(total)
        sigma, sigma_err = total.cross_section
        try:
            n_written = _write(out, run_dir, n, setup, total)
        except OSError as exc:
            fail(f"cannot write {out}: {exc} (the chunks are kept in {run_dir}; rerun to resume)")
        err.print(
            f"wrote {n_written} events to {out}: σ = {sigma:.6g} ± {sigma_err:.2g} pb "
            f"from {total.trials} trials"
        )


def _say_nonfinite(total) -> None:
    """Warn about trials where the surrogate or the truth gave nan/inf (counted, never an
    event's weight)."""
    if total.nonfinite_surrogate:
        warn(
            f"{total.nonfinite_surrogate} of {total.trials} trials had a non-finite surrogate "
            "weight (a model overflowing?): the truth decided there, so σ stays unbiased"
        )
    if total.nonfinite_truth:
        warn(
            f"{total.nonfinite_truth} of {total.trials} trials had a non-finite true weight: "
            "they are no events, so σ misses their share"
        )


def _write(out: Path, run_dir: Path, n: int, setup, total) -> int:
    """Write the run's first ``n`` events to ``out`` (LHE or HDF5) chunk by chunk: memory
    holds one chunk of events and the weights; returns the events written."""
    from hepemu.applications.event_run import event_weights, iter_events, provider_and_surrogate

    provider, _ = provider_and_surrogate(setup)
    meta = provider.metadata()
    ids = [leg["pdg"] for leg in meta["legs"]]
    if out.suffix == ".lhe":
        from hepemu.applications.lhe import write_lhe
        from hepemu.fileio import atomic_path

        weights = event_weights(run_dir, n)
        momenta = (x.reshape(len(x), len(ids), 4) for x, _ in iter_events(run_dir, n))
        with atomic_path(out) as tmp:
            write_lhe(tmp, momenta, weights, ids, provider.sqrt_s, total.cross_section)
        return len(weights)
    from hepemu.data.dataset import dataset_writer

    info = {
        "columns": provider.columns(),
        "target_columns": ["weight"],
        "provider": setup.provider,
        "provider_options": setup.options,
        "events": {**total.as_dict(), "setup": setup.__dict__},
        "physics": meta,
    }
    with dataset_writer(out, info) as writer:  # atomic itself
        for x, w in iter_events(run_dir, n):
            writer.append(x, w[:, None])
    return writer.n
