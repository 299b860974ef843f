"""`hepemu plot-events`: the standard distributions of event files, compared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import PLOT_SUFFIXES, check_output, err, fail


def plot_events_cmd(
    files: Annotated[list[Path], typer.Argument(help="Les Houches files (.lhe, .lhe.gz)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="plot (.png, .pdf, …)")],
    label: Annotated[
        list[str] | None, typer.Option(help="one label per file (default: the file names)")
    ] = None,
    bins: Annotated[int, typer.Option(min=2, max=1000, help="bins per histogram")] = 30,
    force: Annotated[bool, typer.Option(help="replace existing outputs")] = False,
) -> None:
    """Histograms (hist) of dσ/dX — diphoton mass, leading photon and jet p_T, ΔR — of
    event files, e.g. a two-stage run with a surrogate against a one-stage run on the
    truth, drawn with mplhep styling with the ratio to the first file; OUT.json holds the
    bins and χ²/bin against the first file.
    """
    from hepemu.applications import event_histograms as eh
    from hepemu.applications.lhe_stream import LHEFormatError
    from hepemu.fileio import write_atomic

    labels = list(label) if label else [f.name for f in files]
    if len(labels) != len(files):
        fail(f"give one --label per file ({len(files)}), got {len(labels)}")
    for f in files:
        if not f.is_file():
            fail(f"{f} is not a file")
    check_output(out, force, inputs=files, suffixes=PLOT_SUFFIXES)
    summary_path = out.with_name(out.name + ".json")
    check_output(summary_path, force, inputs=files)
    try:
        import hist  # noqa: F401
        import mplhep  # noqa: F401
    except ImportError:
        fail("plot-events needs PyPI hist and mplhep: pip install 'hepemu[plots]'")
    samples = []
    for f in files:
        try:
            samples.append(eh.read_observables(f))
        except LHEFormatError as exc:
            fail(f"{f}: {exc}")
        err.print(f"{f}: {len(samples[-1][1])} events", highlight=False)
    hists = eh.histograms(samples, bins)
    if not hists:
        fail("the files share no observable (photons or jets) to histogram")
    eh.plot(hists, labels, out)
    summary = eh.summary(hists, labels)
    write_atomic(summary_path, json.dumps(summary, indent=1))
    for name, s in summary.items():
        chi2 = ", ".join(f"{k} {v:.3g}" for k, v in s["chi2_per_bin_vs_first"].items())
        err.print(f"{name}: χ²/bin vs {labels[0]}: {chi2 or '-'}", highlight=False)
    err.print(f"wrote {out} and {summary_path}", highlight=False)
