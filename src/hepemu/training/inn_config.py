"""Validated configuration of an INN training run (loadable from TOML)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hepemu.cards import load_card
from hepemu.models.activations import INN_ACTIVATIONS as ACTIVATIONS
from hepemu.training.validators import check_device, check_widths


class INNTrainConfig(BaseModel):
    """Settings of one INN replica training (defaults: a quick CPU run).

    ``init_from`` starts from the best weights of an earlier run's checkpoint (its directory
    or ``checkpoint.ckpt.safetensors``): a warm restart, e.g. a second cosine cycle with a
    larger batch or in float64.
    """

    model_config = ConfigDict(extra="forbid")

    integral: str = "gghh-box-1l"
    hidden: list[int] = Field(default_factory=lambda: [64, 64, 64])
    activation: str = "gelu"
    gain: float = Field(1.0, gt=0)
    ansatz: Literal["plain", "anchored"] = "plain"
    dtype: Literal["float32", "float64"] = "float32"
    normalisation: Literal["gl3", "gl2", "centre", "none"] = "gl3"
    korobov_order: int = Field(0, ge=0, le=6)
    sampler: Literal["uniform", "sobol", "lattice"] = "uniform"
    batch_size: int = Field(4096, ge=16)
    resample_every: int = Field(1, ge=1)
    steps: int = Field(2000, ge=0)
    lr: float = Field(2e-3, gt=0)
    lr_min: float = Field(1e-6, ge=0)
    schedule: Literal["cosine", "plateau"] = "cosine"
    plateau_patience: int = Field(20, ge=1)
    plateau_factor: float = Field(0.5, gt=0, lt=1)
    lbfgs_rounds: int = Field(0, ge=0)
    lbfgs_iters: int = Field(200, ge=1)
    lbfgs_points: int = Field(32768, ge=64)
    val_points: int = Field(256, ge=8)
    val_every: int = Field(200, ge=1)
    val_seed: int = 12345
    checkpoint_every_s: float = Field(60.0, gt=0)
    max_minutes: float | None = Field(None, gt=0)  # stop (checkpointed) after this; rerun resumes
    seed: int = 0
    device: str = "auto"
    compile: bool = False
    init_from: str | None = None
    threads: int = Field(0, ge=0)

    @field_validator("activation")
    @classmethod
    def _known_activation(cls, v: str) -> str:
        if v not in ACTIVATIONS:
            raise ValueError(f"unknown activation {v!r}; choose from {sorted(ACTIVATIONS)}")
        return v

    @field_validator("device")
    @classmethod
    def _known_device(cls, v: str) -> str:
        return check_device(v)

    @field_validator("hidden")
    @classmethod
    def _positive_widths(cls, v: list[int]) -> list[int]:
        return check_widths(v)

    @classmethod
    def from_toml(cls, path: str | Path) -> INNTrainConfig:
        """Read the ``[inn]`` table of a TOML card (``CardError``, a ``ValueError``, with one
        line naming the file and the key if unusable)."""
        return load_card(path, cls, table="inn")
