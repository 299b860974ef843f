"""`hepemu reweight`: add a surrogate's weight, and scale and PDF variations, to every event
of a Les Houches file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import check_output, err, fail, pdf_members, variation_kinds, warn

_NAME = re.compile(r"^[A-Za-z0-9_.+\-]+$")


def _provider(name: str, flag: str, options: dict):
    from hepemu.physics.providers import get_provider

    try:
        return get_provider(name, options)
    except ValueError as exc:
        fail(f"{flag} {name!r}: {exc}")


def _model_weigher(model, name, denominator, check_truth, check, options):
    """The surrogate's :class:`Reweighter` (fails with a clear message)."""
    from hepemu.applications.reweight import Reweighter
    from hepemu.models.envelope import ModelFileError
    from hepemu.physics.providers import get_provider
    from hepemu.registry import load_model

    try:
        sur = load_model(model)
    except (ModelFileError, ValueError, OSError) as exc:
        fail(f"cannot load --model {model!r}: {exc}")
    trained = sur.info.get("dataset", {})
    if trained.get("provider") is None:
        fail(f"{model} does not record the process it was trained on; it cannot reweight events")
    name = name or Path(model).stem
    if not _NAME.match(name):
        fail(f"--name {name!r}: use letters, digits and _ . + - only")
    what = f"|M|^2 of {model}" + (f" / |M|^2 of {denominator}, times XWGTUP" if denominator else "")
    try:
        own = get_provider(trained["provider"], trained.get("provider_options", {}))
        return Reweighter(
            sur,
            own,
            _provider(denominator, "--denominator", options) if denominator else None,
            _provider(check_truth, "--check-truth", options) if check_truth else None,
            check if check_truth else 0,
            name=name,
            description=what,
        )
    except ValueError as exc:
        fail(f"{model}: {exc}")


def _variations_weigher(events: Path, kinds: str, pdf, members, alpha_s_power, own):
    """The :class:`Variations` of ``--variations`` (fails with a clear message)."""
    from hepemu.applications.lhe_stream import LHEFormatError, read_init
    from hepemu.applications.process_legs import alpha_s_power as power_of
    from hepemu.applications.variations import Variations
    from hepemu.physics.pdf import PartonDensity, find_set

    wanted = variation_kinds(kinds)
    if pdf is None:
        fail("--variations needs --pdf, the set the events were generated with (member 0)")
    try:
        init = read_init(events)
    except LHEFormatError as exc:
        fail(f"{events}: {exc}")
    if (int(init[0]), int(init[1])) != (2212, 2212):
        fail(
            f"{events}: beams {int(init[0])}, {int(init[1])}: --variations reads proton beams "
            "(2212, 2212) only"
        )
    if alpha_s_power is None and own is not None:
        found = power_of(own)
        alpha_s_power = None if found is None else found[0]
    if alpha_s_power is None and "scale" in wanted:
        fail("give --alpha-s-power K (|M|^2 ∝ α_s^K) to vary μ_R, or a --model that knows it")
    try:
        density = PartonDensity(find_set(pdf), 0)
        n_members = int(density.info.get("NumMembers", 1))
        chosen = pdf_members(wanted, members, n_members, density.name, central=0)
        if int(init[6]) > 0 and int(init[6]) != density.lhaid:
            warn(
                f"{events} records PDF set {int(init[6])} (PDFSUP), --pdf {pdf!r} is "
                f"{density.lhaid}: the variations assume the events were made with --pdf"
            )
        beams = (init[2], init[3])
        return Variations(density, alpha_s_power or 0, beams, "scale" in wanted, chosen)
    except ValueError as exc:
        fail(f"--pdf {pdf!r}: {exc}")


def reweight_cmd(
    events: Annotated[Path, typer.Argument(help="Les Houches file (.lhe or .lhe.gz)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output .lhe, .lhe.gz or .hepmc3")],
    model: Annotated[
        str | None, typer.Option(help="surrogate (shipped name or file) whose weight to add")
    ] = None,
    denominator: Annotated[
        str | None,
        typer.Option(help="truth provider the events were generated with: weight XWGTUP × M/P"),
    ] = None,
    check_truth: Annotated[
        str | None, typer.Option(help="truth provider to compare the surrogate with")
    ] = None,
    check: Annotated[
        int, typer.Option(min=0, help="events compared with --check-truth (the first N)")
    ] = 100,
    option: Annotated[
        list[str] | None,
        typer.Option(help="option key=value of the --denominator and --check-truth providers"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="weight id (default: the model's name)")] = None,
    variations: Annotated[
        str | None,
        typer.Option(
            help="scale, pdf or scale,pdf: weights of the seven-point μ_R, μ_F variation "
            "(MUR<k>_MUF<k>) and of PDF members (PDF<lhaid>) of hadron-collider events"
        ),
    ] = None,
    pdf: Annotated[
        str | None, typer.Option(help="LHAPDF6 set the events were generated with (member 0)")
    ] = None,
    pdf_members: Annotated[
        str | None, typer.Option(help="members to vary: all (default), N or 1-4,7")
    ] = None,
    alpha_s_power: Annotated[
        int | None, typer.Option(min=0, help="K of |M|² ∝ α_s^K (default: the model's process)")
    ] = None,
    force: Annotated[bool, typer.Option(help="replace an existing output file")] = False,
) -> None:
    """Add named weights (<rwgt><wgt id=NAME>) to every event of a Les Houches file: with
    --model the surrogate's |M|² at the event's momenta, or with --denominator P the event
    weight XWGTUP × |M|²_model / |M|²_P; with --variations the event weight at μ_R, μ_F
    varied by factors of two around SCALUP and at other members of the --pdf set (events
    generated at μ_F = μ_R = SCALUP with member 0, as `hepemu events --collider pp` writes
    them). Streams files of any size; every other byte is kept and the weights are declared
    in the header's <initrwgt>. Events whose particles (PDG ids, incoming/outgoing, order)
    differ from the model's process are refused by number. Writes OUT and a summary
    OUT.json; OUT.hepmc3 converts the events to HepMC3 with the weights "Weight" (XWGTUP)
    and the new ones.
    """
    from hepemu.applications.lhe_stream import LHEFormatError
    from hepemu.applications.reweight import EventMismatch, reweight_file

    if not events.is_file():
        fail(f"{events} is not a file")
    if model is None and variations is None:
        fail("give --model (a surrogate's weight), --variations (scale and PDF weights) or both")
    for flag, value in (("--denominator", denominator), ("--check-truth", check_truth)):
        if value is not None and model is None:
            fail(f"{flag} needs --model")
    check_output(out, force, inputs=[events], flag="--out")
    if out.suffix == ".hepmc3":
        import importlib.util

        if importlib.util.find_spec("pyhepmc") is None:
            fail("HepMC3 output needs PyPI pyhepmc: pip install 'hepemu[hepmc]'")
    summary_path = out.with_name(out.name + ".json")
    from hepemu.cli.common import parse_option

    options = dict(map(parse_option, option or []))
    weighers = []
    if model is not None:
        weighers.append(_model_weigher(model, name, denominator, check_truth, check, options))
    if variations is not None:
        own = weighers[0].provider if weighers else None
        weighers.append(
            _variations_weigher(events, variations, pdf, pdf_members, alpha_s_power, own)
        )
    names = [n for w in weighers for n in w.names]
    try:
        summary = reweight_file(
            events,
            out,
            weighers,
            progress=lambda n: err.print(f"reweighted {n} events", highlight=False),
        )
    except (EventMismatch, LHEFormatError, ValueError) as exc:
        fail(f"{events}: {exc}")
    summary.update(
        input=str(events),
        model=model,
        denominator=denominator,
        check_truth=check_truth,
        variations=variations,
        pdf=pdf,
    )
    from hepemu.fileio import write_atomic

    write_atomic(summary_path, json.dumps(summary, indent=1))
    shown = ", ".join(repr(n) for n in names[:4]) + (" …" if len(names) > 4 else "")
    err.print(
        f"wrote {summary['events']} events with {len(names)} new weight(s) {shown} to {out}",
        highlight=False,
    )
    if "check" in summary:
        c = summary["check"]
        if c["events"]:
            err.print(
                f"surrogate vs {check_truth} on {c['events']} events: median |δ| "
                f"{c['median_abs_delta']:.3g}, {c['fraction_within_1pct']:.1%} within 1 %, "
                f"σ covers {c['sigma_coverage']:.1%} (68.3 % if calibrated)",
                highlight=False,
            )
