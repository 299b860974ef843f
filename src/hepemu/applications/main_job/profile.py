"""The sizes of the main job (``hepemu run``): the full run and the quick check."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """The sizes of one main-job run."""

    name: str
    points: int  # unseen reference points (GL 32³ each)
    train_minutes: float  # demo training
    val_every: int  # demo training: Adam steps between validations
    bench_points: int  # integrals per throughput timing
    bench_repeats: int
    data_points: int  # sampled points per truth dataset
    data_chunk: int
    event_trials: int  # phase-space points per unweighting mode (ee3j events)


FULL = Profile("full", 2000, 2.0, 25, 1000, 3, 200_000, 50_000, 400_000)
QUICK = Profile("quick", 300, 0.25, 10, 300, 3, 20_000, 10_000, 20_000)
