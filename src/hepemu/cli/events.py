"""`hepemu events`: unweighted events with a surrogate (two-stage unweighting), LHE or HDF5."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import (
    WAIT,
    check_output,
    err,
    fail,
    holding_lock,
    parse_option,
    pdf_members,
    variation_kinds,
    warn,
)

OUTPUTS = (".lhe", ".h5", ".hepmc3")
GUARD_DEFAULT = 0.1  # --guard sigma-threshold without :T


def events_cmd(
    surrogate: Annotated[str, typer.Option(help="surrogate model (shipped name or file)")],
    n: Annotated[int, typer.Option("--n", min=1, help="unweighted events wanted")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="events.lhe, events.hepmc3 or events.h5")
    ],
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
    pilot_points: Annotated[
        int,
        typer.Option(
            min=10,
            help="pilot-run points for the maxima (the truth is called at each: lower it "
            "for a slow truth, e.g. 1000 for ggyyg-1l-numerical)",
        ),
    ] = 50_000,
    surrogate_pilot_points: Annotated[
        int,
        typer.Option(
            min=0,
            help="take the first stage's maximum over this many pilot points, the extra ones "
            "by the surrogate alone (cheap; with a short pilot for a slow truth, e.g. 50000, "
            "fewer overweight events); 0: the pilot's own points",
        ),
    ] = 0,
    vegas_points: Annotated[
        int, typer.Option(min=100, help="surrogate points per vegas adaptation round")
    ] = 20_000,
    executor: Annotated[str, typer.Option(help="serial, processes or dask")] = "serial",
    workers: Annotated[int, typer.Option(min=1, help="parallel workers")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address")] = None,
    force: Annotated[
        bool, typer.Option(help="replace an existing output file (the run resumes)")
    ] = False,
    wait: Annotated[bool, WAIT] = False,
    collider: Annotated[
        str | None, typer.Option(help="pp: hadron collisions with --pdf (default: partonic)")
    ] = None,
    sqrt_s: Annotated[
        float | None, typer.Option("--sqrt-s", help="collider energy in GeV (with --collider)")
    ] = None,
    pdf: Annotated[
        str | None, typer.Option(help="LHAPDF6 set: a folder, or a name in $LHAPDF_DATA_PATH")
    ] = None,
    pdf_member: Annotated[int, typer.Option(min=0, help="member of the PDF set")] = 0,
    scale: Annotated[
        str, typer.Option(help="μ_F = μ_R: fixed:GEV, mgg (diphoton mass) or mhat (√ŝ)")
    ] = "mgg",
    mhat_min: Annotated[
        float, typer.Option(help="lowest partonic √ŝ in GeV (default: from the cuts)")
    ] = 0.0,
    variations: Annotated[
        str | None,
        typer.Option(
            help="scale, pdf or scale,pdf (with --collider): extra weights at μ_R, μ_F × ½, 2 "
            "(MUR<k>_MUF<k>) and at the set's other members (PDF<id>), LHE and HepMC3"
        ),
    ] = None,
    pdf_members_: Annotated[
        str | None,
        typer.Option("--pdf-members", help="members for --variations pdf: all, N, 1-4,7"),
    ] = None,
    guard: Annotated[
        str | None,
        typer.Option(
            help="sigma-threshold[:T]: the truth as first-stage weight where the surrogate's "
            f"σ/|mean| ≥ T (default {GUARD_DEFAULT}; 0: everywhere) or the point lies outside "
            "its trained region (unbiased; fallbacks counted)"
        ),
    ] = None,
) -> None:
    """Generate unweighted events: a vegas map adapted to the surrogate, two-stage
    unweighting (the true |M|² only where the surrogate's weight was accepted; unbiased),
    written as a Les Houches file (.lhe, readable by pylhe), HepMC3 (.hepmc3, pyhepmc) or
    an HDF5 dataset (.h5); with --collider pp --pdf SET folded with parton densities.
    With --guard sigma-threshold[:T] the truth replaces the surrogate in the first stage
    where its σ/|mean| ≥ T or the point is outside its trained region. With --variations
    the events carry scale and PDF-member weights as `hepemu reweight --variations` adds
    them. Counts, σ and the settings go to OUT.json.

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

    max_rel_sigma = None if guard is None else _parse_guard(guard, mode)
    if out.suffix not in OUTPUTS:
        fail(f"--out must end in {' or '.join(OUTPUTS)}, got {out.name!r}")
    kinds = None if variations is None else variation_kinds(variations)
    if kinds and (collider is None or out.suffix == ".h5"):
        fail("--variations needs --collider pp and an .lhe or .hepmc3 output")
    if out.suffix == ".hepmc3":
        import importlib.util

        if importlib.util.find_spec("pyhepmc") is None:
            fail("HepMC3 output needs PyPI pyhepmc: pip install 'hepemu[hepmc]'")
    try:
        check_executor(executor)
    except ValueError as exc:
        fail(str(exc))
    check_output(out, force, flag="--out")
    try:
        model = load_model(surrogate)
    except (ModelFileError, ValueError, OSError) as exc:
        fail(f"cannot load --surrogate {surrogate!r}: {exc}")
    if max_rel_sigma is not None and not getattr(model, "has_error", True):
        fail(f"--guard needs a surrogate with an error estimate; {surrogate} has none (σ is NaN)")
    trained = model.info.get("dataset", {})
    provider = process or trained.get("provider")
    if provider is None:
        fail(f"{surrogate} does not record its provider: name one with --process")
    options = (
        dict(map(parse_option, option))
        if option
        else dict(
            trained.get("provider_options", {}) if provider == trained.get("provider") else {}
        )
    )
    if not option:  # how the training points were drawn, not the truth's own setting
        options.pop("hadronic_sqrt_s", None)
    with holding_lock(out, wait):
        setup = EventRunSetup(
            provider,
            options,
            surrogate,
            mode,
            seed,
            chunk_trials,
            pilot_points=pilot_points,
            surrogate_pilot_points=surrogate_pilot_points,
            vegas_points=vegas_points,
            guard_max_rel_sigma=max_rel_sigma,
        )
        if collider is not None or pdf is not None:
            setup = _with_collider(setup, collider, sqrt_s, pdf, pdf_member, scale, mhat_min)
        run_dir = out.with_name(out.name + ".run")
        try:
            with err.status("adapting the vegas map and finding the maxima (pilot run)"):
                setup = prepare(run_dir, setup)
        except ValueError as exc:
            fail(str(exc))
        var = None if kinds is None else _variations(setup, kinds, pdf_members_)
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
                f"{d['second_stage_efficiency']:.3g}), overweights {d['overweight_fraction']:.2%}"
                + (_fallbacks(stats) if max_rel_sigma is not None else ""),
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
            n_written = _write(out, run_dir, n, setup, total, var)
            summary = _write_summary(out, n_written, setup, total, var)
        except ValueError as exc:  # a variation weight that is not finite
            fail(f"cannot write {out}: {exc} (the chunks are kept in {run_dir})")
        except OSError as exc:
            fail(f"cannot write {out}: {exc} (the chunks are kept in {run_dir}; rerun to resume)")
        err.print(
            f"wrote {n_written} events to {out}: σ = {sigma:.6g} ± {sigma_err:.2g} pb "
            f"from {total.trials} trials, {total.truth_calls} truth calls"
            + (_fallbacks(total) if max_rel_sigma is not None else "")
            + f"; summary in {summary}"
        )


def _parse_guard(text: str, mode: str) -> float:
    """The largest σ/|mean| of ``--guard sigma-threshold[:T]`` (one error line if wrong)."""
    kind, _, value = text.partition(":")
    try:
        threshold = float(value) if value else GUARD_DEFAULT
    except ValueError:
        threshold = float("nan")
    if kind != "sigma-threshold" or not 0 <= threshold < float("inf"):
        fail(
            f"--guard {text!r}: use sigma-threshold or sigma-threshold:T with a finite T ≥ 0 "
            "(e.g. 0.1; a large T keeps only the region check)"
        )
    if mode != "two-stage":
        fail("--guard applies to --mode two-stage (one-stage calls the truth everywhere)")
    return threshold


def _fallbacks(stats) -> str:
    """The guard's count for a progress or summary line."""
    share = stats.fallbacks / max(stats.kept, 1)
    return (
        f", guard fallbacks {stats.fallbacks} ({share:.2%} of points, "
        f"{stats.fallbacks_outside} outside the region)"
    )


def _write_summary(out: Path, n_written: int, setup, total, var=None) -> Path:
    """``OUT.json`` next to the events: the run's settings, counts, σ, times and the names
    of variation weights."""
    import json
    from dataclasses import asdict

    from hepemu.fileio import write_atomic

    path = out.with_name(out.name + ".json")
    body = {"output": out.name, "events_written": n_written, **total.as_dict()}
    body["setup"] = asdict(setup)
    body["variation_weights"] = {} if var is None else var.names
    write_atomic(path, json.dumps(body, indent=1).encode())
    return path


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


def _with_collider(setup, collider, sqrt_s, pdf, member, scale, mhat_min):
    """The run's set-up with hadron-collider settings checked (one error line if wrong)."""
    from dataclasses import replace

    from hepemu.applications.collider import Collider
    from hepemu.physics.pdf import PartonDensity, find_set

    if collider is None or pdf is None or sqrt_s is None:
        fail("hadron collisions need --collider pp, --sqrt-s and --pdf together")
    try:
        settings = Collider(sqrt_s, str(find_set(pdf)), member, scale, mhat_min, collider)
        PartonDensity(settings.pdf, member)  # readable (and parton installed)
    except ValueError as exc:
        fail(str(exc))
    return replace(setup, collider=dict(settings.__dict__))


def _variations(setup, kinds: list[str], members: str | None):
    """The run's :class:`~hepemu.applications.variations.Variations` (one error line if wrong)."""
    from hepemu.applications.event_run import provider_and_surrogate
    from hepemu.applications.variations import Variations

    provider, _ = provider_and_surrogate(setup)
    density, n_members = provider.pdf, int(provider.pdf.info.get("NumMembers", 1))
    chosen = pdf_members(kinds, members, n_members, density.name, density.member)
    if provider.alpha is None and "scale" in kinds:
        fail(f"--variations scale: the α_s power of {setup.provider}'s |M|² is not known")
    try:
        power = 0 if provider.alpha is None else provider.alpha[0]
        beams = (provider.sqrt_s / 2, provider.sqrt_s / 2)
        return Variations(density, power, beams, "scale" in kinds, chosen)
    except ValueError as exc:
        fail(f"--variations: {exc}")


def _write(out: Path, run_dir: Path, n: int, setup, total, var=None) -> int:
    """Write the run's first ``n`` events to ``out`` (LHE, HepMC3 or HDF5) chunk by chunk:
    memory holds one chunk of events and the weights (HepMC3: all events); returns the
    events written."""
    from hepemu.applications.event_run import event_weights, iter_events, provider_and_surrogate
    from hepemu.applications.process_legs import process_legs

    provider, _ = provider_and_surrogate(setup)
    meta = provider.metadata()
    ids = [pdg for pdg, _ in process_legs(provider)]
    weights = event_weights(run_dir, n)

    def momenta():
        return (x.reshape(len(x), len(ids), 4) for x, _ in iter_events(run_dir, n))

    if out.suffix == ".lhe":
        from hepemu.applications.lhe import write_lhe
        from hepemu.fileio import atomic_path

        hadronic = {}
        if setup.collider:  # beams, LHAPDF id and each event's scale (per chunk)
            lhaid = meta["collider"]["lhaid"]
            hadronic = {"beams": (2212, 2212, provider.sqrt_s / 2, lhaid), "scales": provider.scale}
        base = out if var is None else out.with_name(out.name + ".base")
        with atomic_path(base) as tmp:
            write_lhe(
                tmp, momenta(), weights, ids, provider.sqrt_s, total.cross_section, **hadronic
            )
        if var is not None:  # the variation weights, streamed in as `hepemu reweight` does
            from hepemu.applications.reweight import reweight_file

            try:
                reweight_file(base, out, [var])
            finally:
                base.unlink()
        return len(weights)
    if out.suffix == ".hepmc3":
        import numpy as np

        from hepemu.applications.hepmc import write_hepmc3
        from hepemu.fileio import atomic_path

        p = np.concatenate(list(momenta())) if len(weights) else np.zeros((0, len(ids), 4))
        hadronic = {}
        if setup.collider:
            lhaid = meta["collider"]["lhaid"]
            hadronic = {"beams": (2212, provider.sqrt_s / 2, lhaid), "scales": provider.scale(p)}
            if var is not None:
                hadronic["extra"] = var.at_momenta(ids, p, hadronic["scales"])
        with atomic_path(out, suffix=".hepmc3") as tmp:
            write_hepmc3(tmp, p, weights, ids, total.cross_section, total.trials, **hadronic)
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
