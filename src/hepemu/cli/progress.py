"""Rich progress bars for training and data generation."""

from __future__ import annotations

from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from hepemu.cli.common import err


@contextmanager
def training_progress(total_steps: int):
    """Yield a callback ``cb(state)`` that advances a bar showing steps and best digits."""
    with Progress(
        TextColumn("[bold]train"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=False,
    ) as prog:
        task = prog.add_task("train", total=max(total_steps, 1), info="")

        def cb(state) -> None:
            if state.step == 0 or state.step < prog.tasks[0].completed:
                prog.reset(task, total=max(total_steps, 1))
            prog.update(
                task,
                completed=state.step,
                info=f"best {state.best_digits:.2f} digits @ {state.best_step}",
            )

        yield cb


class RateColumn(ProgressColumn):
    """Points per second, measured by rich over the recent updates."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.3g} points/s")


@contextmanager
def generation_progress(total_points: int):
    """Yield ``cb(points_done, total)`` for a bar with points, rate and ETA (on stderr)."""
    with Progress(
        TextColumn("[bold]generate"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("points"),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as prog:
        task = prog.add_task("generate", total=total_points)
        first = True

        def cb(done: int, total: int) -> None:
            nonlocal first
            if first:  # points resumed from finished chunks do not count towards the rate
                prog.reset(task, total=total, completed=done)
                first = False
            else:
                prog.update(task, completed=done)

        yield cb


@contextmanager
def replica_progress(n_replicas: int):
    """Yield ``cb(r, info)`` for a bar over replicas trained in parallel (on stderr)."""
    with Progress(
        TextColumn("[bold]replicas"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=err,
    ) as prog:
        task = prog.add_task("replicas", total=n_replicas, info="")

        def cb(r: int, info: dict) -> None:
            prog.advance(task)
            prog.update(task, info=f"replica {r}: {info['best_digits']:.2f} digits")

        yield cb
