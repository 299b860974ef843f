"""`hepemu reweight`: add a surrogate's weight to every event of a Les Houches file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import check_output, err, fail

_NAME = re.compile(r"^[A-Za-z0-9_.+\-]+$")


def _provider(name: str, flag: str, options: dict):
    from hepemu.physics.providers import get_provider

    try:
        return get_provider(name, options)
    except ValueError as exc:
        fail(f"{flag} {name!r}: {exc}")


def reweight_cmd(
    events: Annotated[Path, typer.Argument(help="Les Houches file (.lhe or .lhe.gz)")],
    model: Annotated[str, typer.Option(help="surrogate (shipped name or file)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output .lhe, .lhe.gz or .hepmc3")],
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
    force: Annotated[bool, typer.Option(help="replace an existing output file")] = False,
) -> None:
    """Add a named weight (<rwgt><wgt id=NAME>) to every event of a Les Houches file: the
    surrogate's |M|² at the event's momenta, or with --denominator P the event weight
    XWGTUP × |M|²_model / |M|²_P. Streams files of any size; every other byte is kept and
    the weight is declared in the header's <initrwgt>. Events whose particles (PDG ids,
    incoming/outgoing, order) differ from the model's process are refused by number.
    Writes OUT and a summary OUT.json; OUT.hepmc3 converts the events to HepMC3 with the
    weights "Weight" (XWGTUP) and NAME.
    """
    from hepemu.applications.lhe_stream import LHEFormatError
    from hepemu.applications.reweight import EventMismatch, Reweighter, reweight_file
    from hepemu.models.envelope import ModelFileError
    from hepemu.registry import load_model

    if not events.is_file():
        fail(f"{events} is not a file")
    check_output(out, force, inputs=[events], flag="--out")
    if out.suffix == ".hepmc3":
        import importlib.util

        if importlib.util.find_spec("pyhepmc") is None:
            fail("HepMC3 output needs PyPI pyhepmc: pip install 'hepemu[hepmc]'")
    summary_path = out.with_name(out.name + ".json")
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
    from hepemu.cli.data import _parse_option
    from hepemu.physics.providers import get_provider

    options = dict(map(_parse_option, option or []))
    try:
        own = get_provider(trained["provider"], trained.get("provider_options", {}))
        reweighter = Reweighter(
            sur,
            own,
            _provider(denominator, "--denominator", options) if denominator else None,
            _provider(check_truth, "--check-truth", options) if check_truth else None,
            check if check_truth else 0,
        )
    except ValueError as exc:
        fail(f"{model}: {exc}")
    what = f"|M|^2 of {model}" + (f" / |M|^2 of {denominator}, times XWGTUP" if denominator else "")
    try:
        summary = reweight_file(
            events,
            out,
            reweighter,
            name,
            description=what,
            progress=lambda n: err.print(f"reweighted {n} events", highlight=False),
        )
    except (EventMismatch, LHEFormatError) as exc:
        fail(f"{events}: {exc}")
    summary.update(input=str(events), model=model, denominator=denominator, check_truth=check_truth)
    from hepemu.fileio import write_atomic

    write_atomic(summary_path, json.dumps(summary, indent=1))
    err.print(f"wrote {summary['events']} events with weight {name!r} to {out}", highlight=False)
    if "check" in summary:
        c = summary["check"]
        if c["events"]:
            err.print(
                f"surrogate vs {check_truth} on {c['events']} events: median |δ| "
                f"{c['median_abs_delta']:.3g}, {c['fraction_within_1pct']:.1%} within 1 %, "
                f"σ covers {c['sigma_coverage']:.1%} (68.3 % if calibrated)",
                highlight=False,
            )
