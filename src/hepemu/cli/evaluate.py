"""``hepemu evaluate``: how good is a surrogate, on a dataset's test split or fresh points."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from hepemu.cli.common import THREADS, check_output, err, fail
from hepemu.cli.predict import MODEL, load_or_fail

ROWS = (
    ("points", "n_points", "{:.0f}"),
    ("R_1 (|δ| < 1 %)", "r_1", "{:.4f}"),
    ("R_0.1 (|δ| < 0.1 %)", "r_0_1", "{:.4f}"),
    ("mean digits", "mean_digits", "{:.2f}"),
    ("median digits", "median_digits", "{:.2f}"),
    ("worst digits", "worst_digits", "{:.2f}"),
    ("boundary-layer digits", "mean_digits_boundary", "{:.2f}"),
    ("boundary-layer points", "n_boundary", "{:.0f}"),
    ("mean δ", "mu_delta", "{:.3g}"),
    ("std δ", "sigma_delta", "{:.3g}"),
    ("coverage of σ (target 68 %)", "coverage_1sigma", "{:.1%}"),
    ("coverage of 2σ (target 95 %)", "coverage_2sigma", "{:.1%}"),
    ("µs per point", "us_per_point", "{:.3g}"),
    ("model size [bytes]", "size_bytes", "{:.0f}"),
)


def metrics_table(result: dict):
    """The metrics of :func:`hepemu.evaluation.assess.evaluate` as a rich table."""
    from rich.table import Table

    table = Table(title=f"{result['model']['description']}\non {result['data']}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    m = result["metrics"]
    for label, key, fmt in ROWS:
        v = m.get(key)
        shown = "—" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)
        table.add_row(label, shown)
    return table


def evaluate_cmd(
    model: Annotated[str, MODEL],
    data: Annotated[
        Path | None,
        typer.Option(
            help="hepemu dataset (.h5) with the model's columns; omit for an "
            "integration network to use fresh reference points"
        ),
    ] = None,
    split: Annotated[
        str, typer.Option(help="test, validation, train or all (rows of the stored split)")
    ] = "test",
    points: Annotated[
        int, typer.Option(min=1, help="fresh reference points when --data is omitted")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="seed of the fresh reference points")] = 0,
    max_rows: Annotated[
        int | None, typer.Option(min=1, help="evaluate on at most this many rows of the split")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the metrics to this JSON file")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="write an error map (median |δ| over pairs of inputs)")
    ] = None,
    threads: Annotated[int | None, THREADS] = None,
    force: Annotated[bool, typer.Option(help="replace existing output files")] = False,
) -> None:
    """How good is a surrogate? R_1 and R_0.1 (share of points within 1 % and 0.1 %), mean,
    median and worst digits (−log10|pred/true − 1|), digits in the boundary layer of its box,
    coverage of its σ at 1σ and 2σ, µs per point and model size — on a dataset's stored split
    (`hepemu data split`) or, for an integration network, on fresh points with reference
    integrals."""
    from hepemu.data.dataset import DatasetError
    from hepemu.evaluation.assess import evaluate
    from hepemu.fileio import write_atomic
    from hepemu.models.surrogate import NotSupportedError

    if json_out is not None:
        check_output(json_out, force, suffixes=(".json",), flag="--json")
    if plot is not None:
        check_output(plot, force, suffixes=(".png",), flag="--plot")
    sur = load_or_fail(model, "cpu", threads)
    try:
        with err.status("evaluating"):
            result = evaluate(
                sur, data, None if split == "all" else split, points, seed, max_rows, plot
            )
    except NotSupportedError as exc:
        fail(f"{exc} (--data F.h5)")
    except (DatasetError, ValueError) as exc:
        fail(str(exc))
    err.print(metrics_table(result))
    if json_out is not None:
        write_atomic(json_out, json.dumps(result, indent=2) + "\n")
        err.print(f"wrote {json_out}")
    if plot is not None:
        err.print(f"wrote {plot}")
