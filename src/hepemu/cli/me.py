"""``hepemu me eval``: matrix elements at user momenta, from an emulator or from the truth."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from hepemu.cli.common import THREADS, RowFlags, check_output, err, fail
from hepemu.cli.predict import CHUNK
from hepemu.data.points import CHUNK_ROWS

app = typer.Typer(no_args_is_help=True, help="Matrix elements at given momenta.")

COMPONENTS = ("E", "px", "py", "pz")


def momentum_columns(legs: int) -> list[str]:
    """E1, px1, py1, pz1, E2, … for ``legs`` legs (incoming first)."""
    return [f"{c}{leg}" for leg in range(1, legs + 1) for c in COMPONENTS]


@app.command("list")
def list_cmd() -> None:
    """The matrix-element processes (truths) and the shipped emulators of them."""
    from rich.console import Console
    from rich.table import Table

    from hepemu.physics.providers import LOOP_PROCESSES, PROCESSES
    from hepemu.physics.tree.amplicol import NAMED_PROCESSES
    from hepemu.registry import manifest

    out = Console()
    t = Table(title="processes (hepemu me eval --process NAME)")
    for c in ("name", "process", "truth"):
        t.add_column(c)
    for name, expr in NAMED_PROCESSES.items():
        t.add_row(name, expr, "pyamplicol, √s = 1000 GeV")
    for name, (_, _, desc) in PROCESSES.items():
        t.add_row(name, desc, "analytic")
    for name, (_, _, desc, method) in LOOP_PROCESSES.items():
        t.add_row(name, desc + ", √s = 1000 GeV, photon/jet cuts", method)
    t.add_row("amplicol:<process>", "any pyamplicol process, e.g. 'e+ e- > u u~ g'", "pyamplicol")
    out.print(t)
    m = Table(title="shipped emulators (hepemu me eval --model NAME)")
    for c in ("name", "sha256", "description"):
        m.add_column(c)
    processes = [*NAMED_PROCESSES, *PROCESSES, *LOOP_PROCESSES]
    for name, e in manifest().items():  # a process's name, or one followed by -<kind>
        if any(name == p or name.startswith(p + "-") for p in processes):
            m.add_row(name, e["sha256"][:16] + "…", e["description"])
    out.print(m)


@app.command("eval")
def eval_cmd(
    input: Annotated[Path, typer.Option("--input", "-i", help="CSV: E1,px1,py1,pz1,… in GeV")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write")],
    model: Annotated[
        str | None, typer.Option(help="emulator: shipped model name or model file")
    ] = None,
    process: Annotated[
        str | None,
        typer.Option(help="the truth instead: ee3j, ee4j, ee5j, ggyyg-1l, amplicol:<proc> …"),
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="relative tolerance of the mass-shell and conservation checks")
    ] = 1e-6,
    strict: Annotated[
        bool, typer.Option(help="error (not warn) on unphysical or out-of-cut points")
    ] = False,
    threads: Annotated[int | None, THREADS] = None,
    force: Annotated[bool, typer.Option(help="replace an existing output file")] = False,
    chunk_rows: Annotated[int, CHUNK] = CHUNK_ROWS,
    option: Annotated[
        list[str] | None,
        typer.Option(help="truth option key=value, e.g. --option rescue=none; repeatable"),
    ] = None,
) -> None:
    """|M|² at the momenta of INPUT: the input columns plus msq and msq_err.

    With --model this is `hepemu predict` reading momenta in the generic columns E1,px1,…
    (the same checks of the emulator's trained region, the same error), plus the mass-shell
    and momentum-conservation checks; with --process, the truth.

    Legs are in the process's order, incoming first (e+ e- d d~ g … for ee3j/ee4j/ee5j).
    Momenta off the mass shell or violating momentum conservation beyond TOLERANCE, and (for an
    emulator) points outside the cuts it was trained with, are named in a warning (an error
    with --strict). msq_err is the emulator's 1σ (ensemble spread; nan for one network) and 0
    for the truth.
    """
    from hepemu.data.points import InputError, iter_points, point_writer

    if (model is None) == (process is None):
        fail("give exactly one of --model (an emulator) and --process (the truth)")
    if not tolerance > 0:
        fail(f"--tolerance must be positive, got {tolerance}")
    check_output(output, force, inputs=[input], suffixes=(".csv",), flag="--output")
    if option and model:
        fail("--option sets a truth's options: give it with --process")
    evaluate, legs, region, warn_once = (
        _model(model, threads, strict) if model else _truth(process, option or [])
    )
    cols = momentum_columns(legs)
    flags = RowFlags(strict, "their values are not to be trusted")
    unstable = RowFlags(False, "msq is nan there")
    n = 0
    try:
        chunks = iter_points(input, tuple(cols), chunk_rows)
        first = next(chunks)
        _check_columns(input, first.header, legs)
        with point_writer(output, first.header, ["msq", "msq_err"]) as write:
            for table in itertools.chain([first], chunks):
                msq, msq_err = _chunk(table, legs, tolerance, evaluate, region, flags)
                if process is not None:  # a truth that refuses rather than guesses
                    bad = ~np.isfinite(msq)
                    unstable.add(bad, "where the truth is numerically unstable", table.start)
                write(table, {"msq": msq, "msq_err": msq_err})
                n += len(msq)
    except InputError as exc:
        fail(f"{exc} (a {legs}-leg process needs columns {cols[0]}, {cols[1]}, …, {cols[-1]})")
    except OSError as exc:
        fail(f"cannot write {output}: {exc}")
    flags.report()
    unstable.report()
    if warn_once is not None:
        warn_once()
    err.print(f"wrote {n} matrix elements to {output}")


def _check_columns(input: Path, header: list[str], legs: int) -> None:
    """Refuse momenta of more legs than the process has, and the output's own columns."""
    extra = sorted(set(header) & set(momentum_columns(legs + 4)) - set(momentum_columns(legs)))
    if extra:
        fail(f"{input} has momenta of more legs ({', '.join(extra[:4])}, …) than the {legs} legs")
    clash = [c for c in ("msq", "msq_err") if c in header]
    if clash:
        fail(f"{input} already has column(s) {', '.join(clash)}, which the output adds")


def _chunk(table, legs: int, tolerance: float, evaluate, region, flags: RowFlags):
    """(msq, msq_err) at a chunk's momenta, its unphysical rows flagged first."""
    from hepemu.physics.kinematics import mass_shell_violation, momentum_imbalance

    p = table.params.reshape(len(table.params), legs, 4)
    problems = {
        "off the mass shell": mass_shell_violation(p) > tolerance,
        "not conserving momentum": momentum_imbalance(p) > tolerance,
    }
    problems.update({what: bad(p) for what, bad in region})
    for what, bad in problems.items():
        flags.add(bad, what, table.start)
    return evaluate(table.params, flags, table.start)


def _model(name: str, threads: int | None, strict: bool):
    """The emulator ``name`` as (evaluate, legs, no extra checks, its once-said warning):
    `hepemu predict`'s core, which flags rows outside the emulator's trained region itself."""
    from hepemu.cli.predict import load_or_fail, predict_chunk, region_flags, warn_no_error

    sur = load_or_fail(name, "cpu", threads)
    n_cols = len(sur.input_columns)
    if n_cols % 4 or sur.target != "msq":
        fail(
            f"{name} is not a matrix-element model (inputs {n_cols} columns, target "
            f"{sur.target}); use hepemu predict"
        )
    outside = region_flags(strict)

    def evaluate(x: np.ndarray, flags: RowFlags, start: int):
        return predict_chunk(sur, x, outside, start)

    def report() -> None:
        outside.report()
        warn_no_error(sur)

    return evaluate, n_cols // 4, [], report


def _truth(name: str, option: list[str]):
    from hepemu.cli.common import parse_option
    from hepemu.physics.providers import get_provider

    try:
        prov = get_provider(name, dict(map(parse_option, option)))
    except (ValueError, KeyError) as exc:
        fail(str(exc))
    legs = len(prov.columns()) // 4
    if len(prov.columns()) % 4 or not hasattr(prov, "momenta"):
        fail(f"{name} is not a matrix-element provider of momenta")

    def evaluate(x: np.ndarray, flags=None, start: int = 0):
        y = np.asarray(prov(x), dtype=float)
        return y, np.zeros_like(y)

    return evaluate, legs, [], None
