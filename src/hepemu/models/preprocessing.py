"""Declared, saved preprocessing of a dataset-trained regressor.

Inputs: canonicalised by the declared symmetries (``hepemu.physics.symmetries``), mapped to
named features if declared (``hepemu.physics.features``, e.g. log invariants), then
standardised (constant columns, e.g. fixed beam momenta, map to 0). Target: divided by a
reference function named for the provider (``hepemu.physics.references``), transformed
(``log``, ``arcsinh``, ``log1p`` = log(1 + y/scale) or ``none``) and standardised.
Everything needed to undo it is stored with the model as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from array_api_compat import array_namespace

from hepemu.physics.features import get_feature
from hepemu.physics.references import get_reference
from hepemu.physics.symmetries import get_canonicaliser

TRANSFORMS = ("none", "log", "arcsinh", "log1p")
SCALE_RULES = ("median", "min", "std")


@dataclass
class Preprocessing:
    """Input and target maps; ``fit`` sets the statistics from training data."""

    target_transform: str = "log"
    standardise_target: bool = True
    reference: str | None = None
    canonicalise: list[str] = field(default_factory=list)
    features: str | None = None
    provider: str = ""
    x_mean: list[float] = field(default_factory=list)
    x_std: list[float] = field(default_factory=list)
    # y_scale of arcsinh and log1p: median |y/ref|, its minimum (MT eq. 2.6) or std of y/ref
    arcsinh_scale: str = "median"
    y_scale: float = 1.0  # arcsinh(y / y_scale), log(1 + y / y_scale)
    z_mean: float = 0.0
    z_std: float = 1.0

    def __post_init__(self) -> None:
        if self.target_transform not in TRANSFORMS:
            raise ValueError(
                f"target_transform must be one of {', '.join(TRANSFORMS)}, "
                f"got {self.target_transform!r}"
            )
        for name in self.canonicalise:
            get_canonicaliser(name)
        if self.features is not None:
            get_feature(self.features)
        if self.arcsinh_scale not in SCALE_RULES:
            raise ValueError(
                f"arcsinh_scale must be one of {', '.join(SCALE_RULES)}, got {self.arcsinh_scale!r}"
            )
        if self.reference is not None:
            get_reference(self.reference, self.provider)

    # -- inputs -------------------------------------------------------------------------
    def canonical(self, x: np.ndarray) -> np.ndarray:
        """Inputs mapped into the fundamental domain, then to the declared features."""
        x = np.asarray(x, dtype=float)
        for name in self.canonicalise:
            x = get_canonicaliser(name)(x)
        if self.features is not None:
            x = get_feature(self.features)(x)
        return x

    @property
    def n_features(self) -> int:
        """Width of the encoded inputs (known once fitted)."""
        if not self.x_mean:
            raise ValueError("preprocessing is not fitted: its input width is unknown")
        return len(self.x_mean)

    def encode_x(self, x: np.ndarray) -> np.ndarray:
        """Canonicalised, featurised, standardised inputs."""
        return (self.canonical(x) - np.asarray(self.x_mean)) / np.asarray(self.x_std)

    # -- target -------------------------------------------------------------------------
    def _ref(self, x: np.ndarray) -> np.ndarray:
        if self.reference is None:
            return np.ones(len(x))
        return np.asarray(get_reference(self.reference, self.provider)(x), dtype=float)

    def encode_y(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The network's target z for truth ``y`` at raw inputs ``x``."""
        r = np.asarray(y, dtype=float) / self._ref(x)
        return (self._transform(r) - self.z_mean) / self.z_std

    def decode_y(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Truth-scale prediction from network outputs ``z`` (any leading shape, last = N)."""
        t = np.asarray(z, dtype=float) * self.z_std + self.z_mean
        return self.inverse_transform(t) * self._ref(x)

    def _transform(self, r: np.ndarray) -> np.ndarray:
        if self.target_transform == "log":
            if np.any(r <= 0):
                raise ValueError(
                    "target_transform log needs positive targets (divided by the reference); "
                    "use arcsinh for targets of either sign"
                )
            return np.log(r)
        if self.target_transform == "arcsinh":
            return np.arcsinh(r / self.y_scale)
        if self.target_transform == "log1p":
            if np.any(r <= -self.y_scale):
                raise ValueError("target_transform log1p needs targets above −scale")
            return np.log1p(r / self.y_scale)
        return r

    def inverse_transform(self, t: np.ndarray) -> np.ndarray:
        """The target transform undone (before the reference); NumPy or torch ``t``."""
        xp = array_namespace(t)
        if self.target_transform == "log":
            return xp.exp(t)
        if self.target_transform == "arcsinh":
            return xp.sinh(t) * self.y_scale
        if self.target_transform == "log1p":
            return xp.expm1(t) * self.y_scale
        return t

    # -- fitting and persistence --------------------------------------------------------
    def fit(self, x: np.ndarray, y: np.ndarray) -> Preprocessing:
        """Set the input and target statistics from training rows (raw ``x``, ``y``)."""
        xc = self.canonical(x)
        std = xc.std(axis=0)
        self.x_mean = xc.mean(axis=0).tolist()
        self.x_std = np.where(std > 0, std, 1.0).tolist()
        r = np.asarray(y, dtype=float) / self._ref(x)
        if self.target_transform in ("arcsinh", "log1p"):
            nonzero = np.abs(r[r != 0])
            if nonzero.size == 0:
                scale = 1.0
            elif self.arcsinh_scale == "min":
                scale = float(nonzero.min())
            elif self.arcsinh_scale == "std":
                scale = float(np.std(r)) or 1.0
            else:
                scale = float(np.median(nonzero))
            self.y_scale = scale
        self.z_mean, self.z_std = 0.0, 1.0
        t = self._transform(r)
        if self.standardise_target:
            self.z_mean = float(t.mean())
            self.z_std = float(t.std()) or 1.0
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Preprocessing:
        return cls(**d)
