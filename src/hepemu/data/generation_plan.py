"""What a generation run makes: the plan (provider, points, chunks, seed, sampler) and the
``[generate]`` card that describes one."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hepemu.data.nodes import DESIGNS, affine_box, check_design
from hepemu.data.samplers import SAMPLERS, check_lattice_size
from hepemu.physics.providers import TruthProvider, get_provider

SAMPLER_NOTES = {
    "uniform": "uniform (numpy PCG64 seeded with [seed, chunk index])",
    "sobol": "scrambled Sobol (scipy.stats.qmc, seeded with seed), one sequence",
    "lattice": "randomly shifted rank-1 lattice of n points (fast-CBC vector, shift from seed)",
    "chebyshev": "tensor grid of Chebyshev-Lobatto nodes (plan: nodes, axis_maps), in C order",
}


@dataclass(frozen=True)
class GenerationPlan:
    """What to generate: provider (+ options), number of sampled points, chunking and seed."""

    provider: str
    n: int
    chunk: int
    seed: int
    options: tuple[tuple[str, Any], ...] = ()
    on_error: str = "stop"
    sampler: str = "uniform"
    nodes: tuple[int, ...] = ()  # sampler "chebyshev": Lobatto nodes per axis
    axis_maps: tuple[str, ...] = ()  # sampler "chebyshev": linear or log per axis

    def __post_init__(self) -> None:
        if self.n < 1 or self.chunk < 1:
            raise ValueError(f"n and chunk must be positive (n={self.n}, chunk={self.chunk})")
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")
        if self.on_error not in ("stop", "skip"):
            raise ValueError(f"on_error must be 'stop' or 'skip', got {self.on_error!r}")
        if self.sampler not in SAMPLERS + DESIGNS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose from {SAMPLERS + DESIGNS}")
        if (self.nodes or self.axis_maps) and self.sampler not in DESIGNS:
            raise ValueError(f"nodes and axis maps need the sampler chebyshev, not {self.sampler}")
        if self.sampler in DESIGNS and self.n != int(np.prod(self.nodes or [0])):
            raise ValueError(
                f"a chebyshev design of nodes {list(self.nodes)} has "
                f"{int(np.prod(self.nodes or [0]))} points, not n={self.n}"
            )
        if self.sampler == "lattice":
            check_lattice_size(self.n)
        if self.sampler == "sobol" and self.n & (self.n - 1):
            warnings.warn(
                f"a Sobol set is balanced only for n a power of 2 (n={self.n})", stacklevel=2
            )

    @property
    def n_chunks(self) -> int:
        return -(-self.n // self.chunk)

    def chunk_size(self, i: int) -> int:
        return min(self.chunk, self.n - i * self.chunk)

    def make_provider(self) -> TruthProvider:
        provider = get_provider(self.provider, dict(self.options))
        if self.sampler in DESIGNS:
            check_design(self.nodes, self.axis_maps, affine_box(provider))
        return provider

    def identity(self) -> dict:
        """What fixes the points and values of every chunk (checked when resuming; on_error
        may change between runs, e.g. a stopped run resumed with ``skip``)."""
        return {
            "provider": self.provider,
            "options": dict(self.options),
            "n": self.n,
            "chunk": self.chunk,
            "seed": self.seed,
            "sampler": self.sampler,
        } | ({"nodes": list(self.nodes), "axis_maps": list(self.axis_maps)} if self.nodes else {})


class GenerateCard(BaseModel):
    """The ``[generate]`` table of a TOML card (``[generate.options]`` for the provider)."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    n: int = Field(gt=0)
    out: Path
    chunk: int = Field(20000, gt=0)
    seed: int = Field(0, ge=0)
    options: dict[str, float | int | str] = {}
    executor: Literal["serial", "processes", "dask"] = "serial"
    workers: int = Field(2, gt=0)
    scheduler: str | None = None
    retries: int = Field(2, ge=0)
    on_error: Literal["stop", "skip"] = "stop"
    sampler: Literal["uniform", "sobol", "lattice", "chebyshev"] = "uniform"
    nodes: list[int] = []  # sampler chebyshev: Lobatto nodes per axis (n: their product)
    axis_maps: list[Literal["linear", "log"]] = []

    @model_validator(mode="before")
    @classmethod
    def _design_size(cls, data: Any) -> Any:
        """A chebyshev design without ``n``: n is the number of its nodes."""
        if isinstance(data, dict) and data.get("sampler") == "chebyshev" and "n" not in data:
            data = {**data, "n": int(np.prod(data.get("nodes") or [0]))}
        return data

    def plan(self) -> GenerationPlan:
        return GenerationPlan(
            self.provider,
            self.n,
            self.chunk,
            self.seed,
            tuple(sorted(self.options.items())),
            self.on_error,
            self.sampler,
            tuple(self.nodes),
            tuple(self.axis_maps),
        )
