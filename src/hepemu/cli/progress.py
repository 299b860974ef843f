"""Progress of training and data generation on stderr.

On a terminal: rich progress bars. Otherwise (a batch job's log file, a pipe): plain lines,
each flushed at once, at the first update, every ``HEPEMU_PROGRESS_INTERVAL`` seconds
(default 20) and at the end, e.g. ``generate: 120000/200000 points (60.0%), 4.1e4 points/s,
elapsed 3 s, ETA 2 s``; a killed job's log thus shows how far it got.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import IO

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

INTERVAL_ENV = "HEPEMU_PROGRESS_INTERVAL"
DEFAULT_INTERVAL_S = 20.0


def progress_interval() -> float:
    """Seconds between plain progress lines: ``$HEPEMU_PROGRESS_INTERVAL`` or 20."""
    try:
        value = float(os.environ.get(INTERVAL_ENV, ""))
    except ValueError:
        return DEFAULT_INTERVAL_S
    return value if math.isfinite(value) and value > 0 else DEFAULT_INTERVAL_S


def _plain_stream() -> IO[str] | None:
    """stderr when it is not a terminal (plain lines go there), else ``None`` (rich bars)."""
    stream = err.file
    try:
        return None if stream.isatty() else stream
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return stream


def _num(x: float) -> str:
    """3 significant digits, exponent without ``+`` and zeros: ``4.1e4``."""
    s = f"{x:.3g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"
    return s


def _duration(s: float) -> str:
    if s < 100:
        return f"{s:.0f} s"
    if s < 6000:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


class _PlainLines:
    """Write ``render()`` as one flushed line now and then: at the first ``update()``,
    every ``interval`` seconds from a background thread, and at ``close()``."""

    def __init__(self, stream: IO[str], render: Callable[[float], str], interval: float):
        self.stream, self.render, self.interval = stream, render, interval
        self.t0 = time.monotonic()
        self.lock = threading.RLock()  # held while the state changes and while a line is made
        self._updated = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="hepemu-progress", daemon=True)

    def __enter__(self) -> _PlainLines:
        self._thread.start()
        return self

    def __exit__(self, exc_type, *_) -> None:
        self._stop.set()
        self._thread.join()
        self.emit(" (stopped)" if exc_type is not None else "")

    def updated(self) -> None:
        """Call after changing the state (holding ``lock``): the first change prints a line."""
        if not self._updated:
            self._updated = True
            self.emit()

    def emit(self, suffix: str = "") -> None:
        with self.lock:
            line = self.render(time.monotonic() - self.t0) + suffix
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # a closed or broken log must not stop the work
                pass

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self.emit()


def _plain(render: Callable[[float], str]) -> _PlainLines | None:
    stream = _plain_stream()
    return None if stream is None else _PlainLines(stream, render, progress_interval())


@contextmanager
def training_progress(total_steps: int):
    """Yield a callback ``cb(state)`` that advances a bar showing steps and best digits."""
    total = max(total_steps, 1)
    st = {"step": 0, "best": -math.inf, "best_step": 0, "lbfgs": 0, "train_s": 0.0}

    def render(elapsed: float) -> str:
        step = st["step"]
        line = f"train: step {step}/{total}"
        if st["lbfgs"]:
            line += f", L-BFGS round {st['lbfgs']}"
        if math.isfinite(st["best"]):
            line += f", best {st['best']:.2f} digits @ {st['best_step']}"
        line += f", elapsed {_duration(elapsed)}"
        if 0 < step < total and st["train_s"] > 0:  # the replica's rate, resumed time included
            line += f", ETA {_duration((total - step) * st['train_s'] / step)}"
        return line

    plain = _plain(render)
    if plain is not None:
        with plain:

            def cb(state) -> None:
                with plain.lock:
                    st.update(
                        step=state.step,
                        best=state.best_digits,
                        best_step=state.best_step,
                        lbfgs=getattr(state, "lbfgs_done", 0),
                        train_s=getattr(state, "elapsed_s", 0.0),
                    )
                    plain.updated()

            yield cb
        return
    with Progress(
        TextColumn("[bold]train"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as prog:
        task = prog.add_task("train", total=total, info="")

        def cb(state) -> None:
            if state.step == 0 or state.step < prog.tasks[0].completed:
                prog.reset(task, total=total)
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
    st = {"done": 0, "total": total_points, "d0": 0, "t": None}

    def render(elapsed: float) -> str:
        done, total = st["done"], st["total"]
        pct = 100.0 * done / total if total else 100.0
        line = f"generate: {done}/{total} points ({pct:.1f}%)"
        rate = None
        if st["t"] is not None and done > st["d0"]:  # resumed points do not count
            rate = (done - st["d0"]) / max(st["t_last"] - st["t"], 1e-9)
            line += f", {_num(rate)} points/s"
        line += f", elapsed {_duration(elapsed)}"
        if rate and done < total:
            line += f", ETA {_duration((total - done) / rate)}"
        return line

    plain = _plain(render)
    if plain is not None:
        with plain:

            def cb(done: int, total: int) -> None:
                with plain.lock:
                    if st["t"] is None:
                        st["t"], st["d0"] = time.monotonic(), done
                    st.update(done=done, total=total, t_last=time.monotonic())
                    plain.updated()

            yield cb
        return
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


def _replica_digits(r: int, info: dict) -> str:
    return f"replica {r}: {info['best_digits']:.2f} digits"


@contextmanager
def replica_progress(n_replicas: int, label: str = "replicas", describe=_replica_digits):
    """Yield ``cb(r, info)`` for a bar over replicas (or ensemble members: ``label``) trained
    in parallel (on stderr); ``describe(r, info)`` is the text shown for a finished one."""
    st: dict = {"done": 0, "last": ""}

    def render(elapsed: float) -> str:
        line = f"{label}: {st['done']}/{n_replicas} done"
        if st["last"]:
            line += f", {st['last']}"
        return line + f", elapsed {_duration(elapsed)}"

    plain = _plain(render)
    if plain is not None:
        with plain:

            def cb(r: int, info: dict) -> None:
                with plain.lock:
                    st["done"] += 1
                    st["last"] = describe(r, info)
                    plain.emit()  # replicas finish rarely: a line for each

            yield cb
        return
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=err,
    ) as prog:
        task = prog.add_task(label, total=n_replicas, info="")

        def cb(r: int, info: dict) -> None:
            prog.advance(task)
            prog.update(task, info=describe(r, info))

        yield cb


@contextmanager
def fit_progress(total_epochs: int, unit: str = "epoch", stages: int = 1):
    """Yield ``cb(state)`` (a ``FitState``: epoch, best_rmse, best_epoch, elapsed_s, and for
    networks stage, phase, polish_iters) for a bar over epochs (or boosting rounds: ``unit``)
    with the best validation RMSE, the residual stage (of ``stages``) and the L-BFGS polish's
    iteration; plain lines when stderr is not a terminal."""
    total = max(total_epochs, 1)
    st = {"epoch": 0, "best": math.inf, "best_epoch": -1, "train_s": 0.0, "phase": ""}

    def info() -> str:
        if not math.isfinite(st["best"]):
            return ""
        line = f"best validation RMSE {st['best']:.3g} @ {unit} {st['best_epoch']}"
        if stages > 1:
            line += f", stage {st['stage'] + 1}/{stages}"
        if st["phase"] == "lbfgs":
            line += f", L-BFGS polish iteration {st['polish_iters']}"
        return line

    def render(elapsed: float) -> str:
        line = f"fit: {unit} {st['epoch']}/{total}"
        line += f", {info()}" if info() else ""
        line += f", elapsed {_duration(elapsed)}"
        if 0 < st["epoch"] < total and st["train_s"] > 0:
            line += (
                f", at most {_duration((total - st['epoch']) * st['train_s'] / st['epoch'])} more"
            )
        return line

    def update(state) -> None:
        st.update(
            epoch=state.epoch,
            best=state.best_rmse,
            best_epoch=state.best_epoch,
            train_s=state.elapsed_s,
            stage=getattr(state, "stage", 0),
            phase=getattr(state, "phase", ""),
            polish_iters=getattr(state, "polish_iters", 0),
        )

    plain = _plain(render)
    if plain is not None:
        with plain:

            def cb(state) -> None:
                with plain.lock:
                    update(state)
                    plain.updated()

            yield cb
        return
    with Progress(
        TextColumn("[bold]fit"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} " + unit + "s"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as prog:
        task = prog.add_task("fit", total=total, info="")

        def cb(state) -> None:
            update(state)
            prog.update(task, completed=state.epoch, info=info())

        yield cb
