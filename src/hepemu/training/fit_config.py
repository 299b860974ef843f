"""Validated card of a dataset-trained regressor (``hepemu fit CARD.toml``).

[data]            path = "F.h5"                      # a hepemu dataset with a stored split
[model]           kind = "skdnn"  width = 64  blocks = 4   (or kind = "dnn", hidden = [...];
                  kind = "chebyshev", calibration_points | calibration_data,
                  reference_options: the interpolant of a node dataset;
                  kind = "sparse-grid", the same and max_labels: a Smolyak interpolant;
                  kind = "bdt", max_depth, learning_rate, …;
                  kind = "dipole", hidden, activation, penalty: the dipole emulator;
                  kind = "bnn" | "hetero", hidden, activation, last_activation, prior_sigma:
                  networks predicting their own error, trained on the Gaussian likelihood)
[preprocessing]   target_transform = "log"  reference = "gl3"  canonicalise = [...]
                  features = "invariants" | "ee-dipoles" (with kind = "dipole")
[training]        epochs, batch_size, lr, lr_min, decay_epochs | decay_minutes, patience, …
[boosting]        schedule = ["loss", "performance", …]: boosted training cycles (bnn, hetero)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hepemu.cards import load_card
from hepemu.models.activations import ACTIVATIONS
from hepemu.physics.features import DIPOLE_FEATURES
from hepemu.training.runtime import RUNTIME_SETTINGS, changed_fixed_settings
from hepemu.training.validators import check_device, check_widths

INTERPOLANTS = ("chebyshev", "sparse-grid")  # built from node datasets, not trained


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSection(_Strict):
    path: Path
    max_validation_rows: int = Field(200_000, ge=100)


class ModelSection(_Strict):
    kind: Literal["dnn", "skdnn", "bdt", "dipole", "bnn", "hetero", "chebyshev", "sparse-grid"] = (
        "skdnn"
    )
    hidden: list[int] = Field(default_factory=lambda: [128, 128, 128])
    width: int = Field(64, ge=1)
    blocks: int = Field(4, ge=1)
    activation: str = "leaky_relu"
    dtype: Literal["float32", "float64"] = "float32"
    # trees (XGBoost)
    max_depth: int = Field(12, ge=1, le=64)
    learning_rate: float = Field(0.05, gt=0, le=1)
    n_estimators: int = Field(5000, ge=1)
    early_stopping_rounds: int = Field(50, ge=1)
    max_bin: int = Field(1024, ge=2)  # histogram bins per input (XGBoost's default: 256)
    penalty: float = Field(0.0, ge=0)  # dipole emulator: J of the sparsity penalty (MT eq. 2.8)
    # bnn / hetero: the last hidden layer's activation (the loop-amplitude BNN: softplus)
    last_activation: str | None = None
    prior_sigma: float = Field(1.0, gt=0)  # bnn: width of the Gaussian weight prior
    # chebyshev (training/fit_chebyshev.py): σ calibrated on calibration_points fresh points
    # labelled by the node dataset's provider (seed calibration_seed), or on every row of the
    # dataset calibration_data; reference_options: the provider's options for `evaluate`
    calibration_points: int = Field(1000, ge=10)
    calibration_seed: int = Field(1, ge=0)
    calibration_data: Path | None = None
    reference_options: dict[str, float | int | str] = Field(default_factory=dict)
    # adaptive: refine axes n → 2n − 1 (labels only at new nodes) until the σ estimate (the
    # coefficient tail, relative for log) is below tolerance, up to max_nodes per axis
    tolerance: float | None = Field(None, gt=0)
    max_nodes: int = Field(129, ge=3, le=1025)
    # sparse-grid (training/fit_sparse_grid.py): the same calibration and reference options;
    # tolerance: dimension-adaptive refinement (labels only at new nodes) until the summed
    # surpluses of the active indices are below it, at most max_labels labels in all
    max_labels: int = Field(100_000, ge=1)
    # multi-stage residual networks (dnn, skdnn; training/stages.py): stages > 1 adds networks
    # fitting the normalised residual of the ones before; stage_hidden: their hidden widths
    # (a dnn with the same activation), else the same network as the first stage
    stages: int = Field(1, ge=1, le=8)
    stage_hidden: list[int] | None = None

    @field_validator("activation", "last_activation")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None and v not in ACTIVATIONS:
            raise ValueError(f"unknown activation {v!r}; choose from {', '.join(ACTIVATIONS)}")
        return v

    @field_validator("hidden")
    @classmethod
    def _widths(cls, v: list[int]) -> list[int]:
        return check_widths(v)

    @field_validator("stage_hidden")
    @classmethod
    def _stage_widths(cls, v: list[int] | None) -> list[int] | None:
        return None if v is None else check_widths(v)

    def network_spec(self) -> dict:
        base = self._single_spec()
        if self.stages == 1:
            return base
        later = base
        if self.stage_hidden is not None:
            later = {"kind": "dnn", "hidden": self.stage_hidden, "activation": self.activation}
        return {"kind": "staged", "stages": [base] + [later] * (self.stages - 1)}

    def _single_spec(self) -> dict:
        if self.kind == "dnn":
            return {"kind": "dnn", "hidden": self.hidden, "activation": self.activation}
        if self.kind in ("bnn", "hetero"):
            return {
                "kind": self.kind,
                "hidden": self.hidden,
                "activation": self.activation,
                "last_activation": self.last_activation,
                "prior_sigma": self.prior_sigma,
            }
        if self.kind == "dipole":
            return {
                "kind": "dipole",
                "hidden": self.hidden,
                "activation": self.activation,
                "penalty": self.penalty,
            }
        return {
            "kind": "skdnn",
            "width": self.width,
            "blocks": self.blocks,
            "activation": self.activation,
        }


class PreprocessingSection(_Strict):
    target_transform: Literal["none", "log", "arcsinh", "log1p"] = "log"
    standardise_target: bool = True
    reference: str | None = None
    canonicalise: list[str] = Field(default_factory=list)
    features: str | None = None  # e.g. "invariants": log s_ij/Q² (hepemu.physics.features)
    # the scale of arcsinh(y/scale) and log1p: log(1 + y/scale): median or minimum of |y|
    # (MT eq. 2.6: min), or the standard deviation of y (the loop-amplitude BNN, eq. (15))
    arcsinh_scale: Literal["median", "min", "std"] = "median"


class TrainingSection(_Strict):
    epochs: int = Field(200, ge=1)
    steps_per_epoch: int | None = Field(None, ge=1)  # default: one pass over the train rows
    batch_size: int = Field(512, ge=1)
    lr: float = Field(1e-3, gt=0)
    lr_min: float = Field(1e-6, gt=0)
    decay_epochs: int | None = Field(None, ge=1)  # lr reaches lr_min here (default: epochs)
    # or: lr reaches lr_min after this much training time, whatever the machine's speed
    # (for wall-clock-budgeted runs; results then depend on the hardware)
    decay_minutes: float | None = Field(None, gt=0)
    patience: int = Field(30, ge=1)
    members: int = Field(1, ge=1)
    seed: int = Field(0, ge=0)
    device: str = "auto"
    threads: int = Field(0, ge=0)
    max_minutes: float | None = Field(None, gt=0)
    checkpoint_every_s: float = Field(60.0, gt=0)
    memory_limit_mb: float = Field(2048, gt=0)  # larger train sets are streamed from disk
    # after Adam (per stage): full-batch L-BFGS, strong-Wolfe line search, for polish_minutes
    # on polish_rows train rows (held in memory), validated every polish_every iterations
    # (training/polish.py); best with model.dtype = "float64"
    polish: Literal["none", "lbfgs"] = "none"
    polish_minutes: float = Field(5.0, gt=0)
    polish_rows: int = Field(200_000, ge=1)
    polish_every: int = Field(20, ge=1)
    polish_history: int = Field(50, ge=1)

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        return check_device(v)


class BoostingSection(_Strict):
    """Boosted training (loop-BNN paper, sec. "Boosting"): after the first fit, each cycle of
    ``schedule`` enlarges the train set and continues training for ``epochs_per_cycle``.

    "loss": points whose weight-sampled pull |t_model(ω)| exceeds ``loss_threshold`` get
    ``loss_weight − 1`` more copies (their weight in the loss ×``loss_weight``);
    "performance": the ``performance_points`` points with the largest σ_tot get
    ``performance_copies`` more copies.
    """

    schedule: list[Literal["loss", "performance"]] = Field(default_factory=list)
    loss_threshold: float = Field(2.0, gt=0)
    loss_weight: int = Field(5, ge=2)
    performance_points: int = Field(200, ge=1)
    performance_copies: int = Field(3, ge=1)
    epochs_per_cycle: int = Field(100, ge=1)


class FitCard(_Strict):
    data: DataSection
    model: ModelSection = Field(default_factory=ModelSection)
    preprocessing: PreprocessingSection = Field(default_factory=PreprocessingSection)
    training: TrainingSection = Field(default_factory=TrainingSection)
    boosting: BoostingSection = Field(default_factory=BoostingSection)

    @model_validator(mode="after")
    def _lr_order(self) -> FitCard:
        if self.training.lr_min > self.training.lr:
            raise ValueError("training.lr_min must not exceed training.lr")
        if self.training.decay_epochs is not None and self.training.decay_minutes is not None:
            raise ValueError("give training.decay_epochs or training.decay_minutes, not both")
        if self.boosting.schedule and self.model.kind not in ("bnn", "hetero"):
            raise ValueError("[boosting] needs model.kind = 'bnn' or 'hetero' (their σ drives it)")
        plain = self.model.kind in ("dnn", "skdnn") and not self.boosting.schedule
        if (self.training.polish != "none" or self.model.stages > 1) and not plain:
            raise ValueError(
                "training.polish and model.stages > 1 need model.kind = 'dnn' or 'skdnn' "
                "without [boosting] (a mean-squared-error fit)"
            )
        p = self.preprocessing
        if self.model.kind in INTERPOLANTS and (
            p.target_transform not in ("none", "log")
            or p.reference
            or p.canonicalise
            or p.features
            or self.training.members != 1
        ):
            raise ValueError(
                f"model.kind = '{self.model.kind}' takes [preprocessing] target_transform = "
                "'none' or 'log' only (no reference, canonicalise, features) and one member"
            )
        if self.model.kind == "dipole" and (
            p.features not in DIPOLE_FEATURES or p.target_transform != "arcsinh" or p.reference
        ):
            raise ValueError(
                "model.kind = 'dipole' needs [preprocessing] features = one of "
                f"{', '.join(DIPOLE_FEATURES)}, target_transform = 'arcsinh' and no reference"
            )
        return self

    @classmethod
    def from_toml(cls, path: str | Path) -> FitCard:
        """Read and validate a card (``CardError``, a ``ValueError``, with one line naming the
        file and the key if unusable); a relative ``data.path`` is relative to the working
        directory, as in ``data generate`` cards."""
        return load_card(path, cls)


# card entries that may change between a run and its resumption (they change no result)
RESUMABLE_CHANGES = tuple(
    f"training.{k}" for k in RUNTIME_SETTINGS if k in TrainingSection.model_fields
)


# card entries added after cards were first stored, with the value an older card means
ADDED_SETTINGS = {
    "model.stages": 1,
    "model.stage_hidden": None,
    "training.polish": "none",
    "training.polish_minutes": 5.0,
    "training.polish_rows": 200_000,
    "training.polish_every": 20,
    "training.polish_history": 50,
}


def same_fit(a: FitCard, b: FitCard) -> bool:
    """Whether two cards describe the same fit (``RESUMABLE_CHANGES`` aside; ``a`` may be a
    stored card from before ``ADDED_SETTINGS``)."""
    return not changed_fixed_settings(
        a.model_dump(mode="json"), b.model_dump(mode="json"), RESUMABLE_CHANGES, ADDED_SETTINGS
    )
