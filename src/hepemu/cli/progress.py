"""Rich progress bar for training loops."""

from __future__ import annotations

from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


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
