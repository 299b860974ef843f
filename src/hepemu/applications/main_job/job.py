"""Run the main job's five steps in order: numbered progress, wall times, one-line failures."""

from __future__ import annotations

import datetime as _dt
import platform
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from hepemu.applications.main_job import steps
from hepemu.applications.main_job.profile import Profile
from hepemu.machine import cores_available, cpu_name, load_average
from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.version import __version__

N_STEPS = 5


class StepTimer:
    """Numbered progress lines, per-step wall times, and one-line step failures.

    ``announce(i, n, text)`` reports the start of step ``i`` of ``n``; exceptions of the
    ``pass_through`` types (exits, interrupts, usage errors) leave a step unchanged, any
    other becomes a one-line ``RuntimeError`` naming the step.
    """

    def __init__(
        self,
        n: int,
        announce: Callable[[int, int, str], None],
        pass_through: tuple[type[BaseException], ...] = (KeyboardInterrupt,),
    ) -> None:
        self.n, self.i, self.times = n, 0, {}
        self.announce, self.pass_through = announce, pass_through

    @contextmanager
    def __call__(self, name: str, detail: str = ""):
        self.i += 1
        self.announce(self.i, self.n, f"{name}{' ' + detail if detail else ''}")
        t0 = time.perf_counter()
        try:
            yield
        except self.pass_through:
            raise
        except Exception as exc:
            msg = str(exc).strip().splitlines()
            raise RuntimeError(
                f"hepemu run, step {self.i}/{self.n} ({name}) failed: "
                f"{type(exc).__name__}: {msg[0] if msg else ''}; no report was written"
            ) from exc
        self.times[name] = time.perf_counter() - t0


@dataclass
class MainJobResult:
    """Everything the main job measured; :mod:`.report` writes it out."""

    model: str
    integral: ParametricIntegral
    profile: Profile
    quick: bool
    threads_given: bool  # torch threads set with --threads (else the free cores)
    n_points: int
    minutes: float
    n_threads: int
    started: str
    machine: dict[str, Any]
    shipped: steps.Shipped
    throughput: steps.Throughput
    training: steps.Training
    data_rows: list[dict]
    data_fig: Path
    events: dict[str, Any]
    events_fig: Path
    step_times: dict[str, float]
    total: float


def machine_record(prof: Profile, started: str) -> dict[str, Any]:
    """The machine and software this run measures on (load average at the start)."""
    return {
        "cpu": cpu_name(),
        "cores_available": cores_available(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "eval_device": "cpu",
        "python": platform.python_version(),
        "hepemu": __version__,
        "profile": prof.name,
        "started": started,
        "load_average_start": load_average(),
    }


def run_main_job(
    surrogate,
    model: str,
    out: Path,
    prof: Profile,
    *,
    n_points: int,
    minutes: float,
    n_threads: int,
    quick: bool,
    threads_given: bool,
    announce: Callable[[int, int, str], None],
    pass_through: tuple[type[BaseException], ...] = (KeyboardInterrupt,),
) -> MainJobResult:
    """Run the five steps on the integration network ``surrogate`` (torch threads set)."""
    t_job = time.perf_counter()
    started = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    integ = surrogate.integral
    step = StepTimer(N_STEPS, announce, pass_through)
    machine = machine_record(prof, started)

    with step("shipped model on unseen points", f"({n_points} references, GL 32³)"):
        shipped = steps.shipped_on_unseen(surrogate, model, n_points, out)

    n_bench = min(prof.bench_points, n_points)
    with step("throughput: INN vs tensor Gauss–Legendre", f"({n_bench} integrals)"):
        speed = steps.throughput(
            surrogate, shipped.refset, shipped.summary.mean_digits, n_bench, prof.bench_repeats
        )

    with step("short fresh training", f"({minutes:g} min, {n_threads} threads)"):
        training = steps.demo_training(integ.name, out, minutes, prof.val_every, n_threads)
        machine["training_device"] = str(training.trainer.device)

    with step("truth data: chunked generation of two datasets", f"({prof.data_points} each)"):
        data_rows, data_fig = steps.truth_data(out / "data", prof)

    with step("unweighted ee3j events, two-stage", f"({prof.event_trials} trials per mode)"):
        events, events_fig = steps.ee3j_events(out / "events", prof)

    total = time.perf_counter() - t_job
    machine["torch_threads"] = torch.get_num_threads()
    machine["load_average_end"] = load_average()
    return MainJobResult(
        model=model,
        integral=integ,
        profile=prof,
        quick=quick,
        threads_given=threads_given,
        n_points=n_points,
        minutes=minutes,
        n_threads=n_threads,
        started=started,
        machine=machine,
        shipped=shipped,
        throughput=speed,
        training=training,
        data_rows=data_rows,
        data_fig=data_fig,
        events=events,
        events_fig=events_fig,
        step_times=step.times,
        total=total,
    )
