"""``hepemu run``: the main job on its built-in default (the gg→HH one-loop box).

Five steps — the shipped replica set on unseen reference points, throughput against
Gauss–Legendre, a short fresh training, two small truth datasets, unweighted ee3j events
with the shipped emulator — and one report, ``report.md`` with PNGs and ``summary.json``,
written atomically at the end. ``--quick`` runs the same job scaled down (well under 2
minutes on 2 cores) to prove that an installation works. The steps live in
:mod:`hepemu.applications.main_job`; this module only parses options and checks ``--out``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True)

# exits and usage errors pass through a step unchanged (typer ≥ 0.29 has its own classes)
_PASS_THROUGH = (
    KeyboardInterrupt,
    typer.Exit,
    typer.Abort,
    typer.TyperException,  # usage errors (typer vendors click's exception classes)
)


def _default_threads() -> int:
    """Torch threads: the CPU cores this process may use that are not busy (at most 16).

    More threads than free cores collapse throughput on a shared machine (OpenMP threads
    spin-wait for a core another process holds); see ``hepemu.threads``.
    """
    from hepemu.threads import choose_threads

    return max(1, min(16, choose_threads()))


def _check_out(out: Path) -> None:
    """Fail with one line unless ``out`` is (or can be made) a writable folder."""
    from hepemu.cli.common import fail

    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {out}: cannot create the folder ({exc.strerror or exc})")
    if not os.access(out, os.W_OK | os.X_OK):
        fail(f"--out {out}: no permission to write in it")


def _announce(i: int, n: int, text: str) -> None:
    console.print(f"[bold]{i}/{n}[/] {text}…")


def run_main(
    out: Annotated[Path, typer.Option(help="report folder")] = Path("reports/gghh-box-1l"),
    model: Annotated[str, typer.Option(help="shipped model to evaluate")] = "gghh-box-1l",
    points: Annotated[
        int | None,
        typer.Option(min=1, help="unseen reference points [default: 2000; --quick: 300]"),
    ] = None,
    train_minutes: Annotated[
        float | None,
        typer.Option(
            min=0.01, max=600.0, help="length of the demo training [default: 2; --quick: 0.25]"
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=256,
            help="torch threads [default: $HEPEMU_THREADS, else the cores not busy, at most 16]",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="replace the report already in the --out folder")
    ] = False,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="the same job scaled down (300 points, 15 s training, 20k-point datasets): "
            "well under 2 minutes on 2 cores; proves an installation works",
        ),
    ] = False,
) -> None:
    """Evaluate the shipped gg→HH box INN, run a short fresh training, write a report."""
    from hepemu.applications.main_job.profile import FULL, QUICK
    from hepemu.cli.common import fail

    prof = QUICK if quick else FULL
    n_points = points if points is not None else prof.points
    minutes = train_minutes if train_minutes is not None else prof.train_minutes
    _check_out(out)
    if (out / "report.md").exists() and not force:
        fail(f"{out} holds a report already; pass --force to replace it, or choose --out")

    import torch

    from hepemu.applications.main_job.job import run_main_job
    from hepemu.applications.main_job.report import write_report
    from hepemu.models.envelope import ModelFileError
    from hepemu.registry import load_model

    n_threads = threads if threads is not None else _default_threads()
    torch.set_num_threads(n_threads)
    try:
        surrogate = load_model(model)
    except ModelFileError as exc:
        fail(str(exc))
    if surrogate.kind != "inn":
        fail(f"{model} is a {surrogate.kind} model; the main job evaluates an integration network")
    # a failed run must not leave an old report next to this run's figures
    for stale in ("report.md", "summary.json"):
        (out / stale).unlink(missing_ok=True)

    result = run_main_job(
        surrogate,
        model,
        out,
        prof,
        n_points=n_points,
        minutes=minutes,
        n_threads=n_threads,
        quick=quick,
        threads_given=threads is not None,
        announce=_announce,
        pass_through=_PASS_THROUGH,
    )
    path = write_report(result, out)
    console.print(f"[green]report written to {path}[/] ({result.total:.0f} s)")
