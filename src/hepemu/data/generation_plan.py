"""What a generation run makes: the plan (provider, points, chunks, seed, sampler) and the
``[generate]`` card that describes one."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hepemu.data.nodes import DESIGNS, affine_box, check_design, check_sparse_design
from hepemu.data.samplers import SAMPLERS, check_lattice_size
from hepemu.physics.providers import TruthProvider, get_provider

SAMPLER_NOTES = {
    "uniform": "uniform (numpy PCG64 seeded with [seed, chunk index])",
    "sobol": "scrambled Sobol (scipy.stats.qmc, seeded with seed), one sequence",
    "lattice": "randomly shifted rank-1 lattice of n points (fast-CBC vector, shift from seed)",
    "chebyshev": "tensor grid of Chebyshev-Lobatto nodes (plan: nodes, axis_maps), in C order",
    "sparse-grid": "Smolyak grid of Clenshaw-Curtis nodes (plan: level, axis_maps), nested",
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
    level: int | None = None  # sampler "sparse-grid": the Smolyak level (with axis_maps)

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
        if (self.level is not None) != (self.sampler == "sparse-grid") or (
            self.nodes and self.sampler == "sparse-grid"
        ):
            raise ValueError("the sampler sparse-grid takes a level (and no nodes); no other does")
        if self.sampler == "chebyshev" and self.n != int(np.prod(self.nodes or [0])):
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
        if self.sampler == "chebyshev":
            check_design(self.nodes, self.axis_maps, affine_box(provider))
        elif self.sampler == "sparse-grid":
            check_sparse_design(self.level, self.axis_maps, affine_box(provider), self.n)
        return provider

    def identity(self) -> dict:
        """What fixes the points and values of every chunk (checked when resuming; on_error
        may change between runs, e.g. a stopped run resumed with ``skip``)."""
        out = {
            "provider": self.provider,
            "options": dict(self.options),
            "n": self.n,
            "chunk": self.chunk,
            "seed": self.seed,
            "sampler": self.sampler,
        }
        if self.nodes:
            out |= {"nodes": list(self.nodes), "axis_maps": list(self.axis_maps)}
        if self.level is not None:
            out |= {"level": self.level, "axis_maps": list(self.axis_maps)}
        return out


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
    sampler: Literal["uniform", "sobol", "lattice", "chebyshev", "sparse-grid"] = "uniform"
    nodes: list[int] = []  # sampler chebyshev: Lobatto nodes per axis (n: their product)
    level: int | None = Field(None, ge=0)  # sampler sparse-grid (n: its node count)
    axis_maps: list[Literal["linear", "log"]] = []

    @model_validator(mode="before")
    @classmethod
    def _design_size(cls, data: Any) -> Any:
        """A chebyshev design without ``n``: n is the number of its nodes."""
        if isinstance(data, dict) and data.get("sampler") == "chebyshev" and "n" not in data:
            data = {**data, "n": int(np.prod(data.get("nodes") or [0]))}
        if isinstance(data, dict) and data.get("sampler") == "sparse-grid" and "n" not in data:
            data = {**data, "n": sparse_design_size(data)}
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
            self.level,
        )


def sparse_design_size(settings: dict) -> int:
    """The node count of the sparse-grid design ``settings`` describe (provider, options,
    level); 0 where they do not say (validation then names what is wrong)."""
    from hepemu.data.sparse_nodes import design_size

    try:
        d = get_provider(settings["provider"], dict(settings.get("options") or {})).unit_dim
        return design_size(d, int(settings["level"]))
    except (KeyError, TypeError, ValueError):
        return 0
