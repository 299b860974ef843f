"""The one surrogate contract every kind of model answers.

A surrogate has a ``kind`` (the envelope's ``kind`` entry), named ``input_columns`` and a
``target``; ``predict(x) -> (mean, sigma)`` on rows of those columns in physical units, with
σ = √((c·spread)² + (d·|mean|)²), c = ``sigma_scale`` and d = ``sigma_floor`` calibrated on
held-out points by :meth:`Surrogate.calibrate` (one scheme for every kind,
:func:`hepemu.models.calibration.fit_scale_and_floor`); where a model has no error estimate
(one network, one BDT) σ is NaN. Every kind is saved through :meth:`Surrogate.save` into the
one envelope (:mod:`hepemu.models.envelope`) and rebuilt by its ``from_envelope``.

Callers ask the surrogate, not its class: ``region()`` (the box it was trained on, if any),
``region_problems``, ``check_valid``, ``reference`` (fresh truth values, where the surrogate can
compute them itself), ``graph`` (the exportable torch module) and ``describe``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from hepemu.models.calibration import GAUSSIAN_TARGETS, calibrated_sigma, fit_scale_and_floor
from hepemu.models.envelope import save_envelope


class NotSupportedError(ValueError):
    """The surrogate's kind cannot do what was asked (e.g. export a BDT)."""


@dataclass(frozen=True)
class Region:
    """A box of input columns: ``bounds`` (d, 2) in physical units, and how it was found."""

    columns: tuple[str, ...]
    bounds: np.ndarray
    source: str  # e.g. "the integral's parameter box", "the training data's input ranges"

    def outside(self, x: np.ndarray, slack: float = 0.0) -> np.ndarray:
        """Rows of ``x`` outside the box widened by ``slack`` × its width on each side, and
        by at least 10⁻⁹ of the edges' size (rounding: a constant column such as a beam's
        energy, reached through boosts and rescalings, is not outside)."""
        lo, hi = self.bounds[:, 0], self.bounds[:, 1]
        size = np.maximum(np.abs(lo), np.abs(hi))
        tol = np.maximum(slack * (hi - lo), np.maximum(1e-9 * size, 1e-12))
        return np.any((x < lo - tol) | (x > hi + tol), axis=1)

    def describe(self) -> str:
        pairs = zip(self.columns, self.bounds, strict=True)
        parts = [f"{c} ∈ [{lo:g}, {hi:g}]" for c, (lo, hi) in pairs]
        return f"{self.source}: " + ", ".join(parts)


class Surrogate(ABC):
    """Base of every surrogate kind (see the module docstring)."""

    kind: ClassVar[str]
    input_columns: list[str]
    target: str
    info: dict
    sigma_scale: float = 1.0
    sigma_floor: float = 0.0
    region_slack: ClassVar[float] = 0.0  # fraction of the box width tolerated outside it

    # -- prediction ------------------------------------------------------------------------
    @abstractmethod
    def mean_and_spread(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated (mean, spread) at rows ``x``; spread NaN where there is no error."""

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and calibrated 1σ error at the rows of ``x`` (N, len(input_columns))."""
        mean, spread = self.mean_and_spread(self.checked(x))
        return mean, calibrated_sigma(spread, mean, self.sigma_scale, self.sigma_floor)

    @property
    def has_error(self) -> bool:
        """Whether ``predict`` gives an error estimate (False: σ is NaN)."""
        return True

    @property
    def output_columns(self) -> list[str]:
        """Names of the two columns ``predict`` writes: the target and its error."""
        return [self.target, f"{self.target}_err"]

    def checked(self, x) -> np.ndarray:
        """``x`` as a float (N, d) array with d = len(input_columns) (``ValueError`` if not)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.ndim != 2 or x.shape[1] != len(self.input_columns):
            raise ValueError(
                f"expected {len(self.input_columns)} input columns "
                f"({', '.join(self.input_columns)}), got shape {x.shape}"
            )
        return x

    # -- region ----------------------------------------------------------------------------
    def region(self) -> Region | None:
        """The box the surrogate was trained on: by default the training data's input ranges
        that ``hepemu fit`` records in ``info`` (None where there are none)."""
        ranges = self.info.get("input_ranges")
        if not ranges:
            return None
        box = np.array(ranges, dtype=float).reshape(-1, 2)
        return Region(tuple(self.input_columns), box, "the training data's input ranges")

    def region_problems(self, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """(what, rows) for each way rows of ``x`` lie outside the trained region (empty where
        the model records no region); ``predict`` still answers there (extrapolations)."""
        box = self.region()
        if box is None:
            return []
        outside = box.outside(x, self.region_slack)
        return [(f"outside the trained region ({box.describe()})", outside)]

    def outside_region(self, x: np.ndarray) -> np.ndarray:
        """Rows of ``x`` outside the trained region in any way."""
        out = np.zeros(len(x), dtype=bool)
        for _, bad in self.region_problems(x):
            out |= bad
        return out

    def check_valid(self, x: np.ndarray) -> None:
        """Raise ``ValueError`` naming rows where the truth itself is undefined (default: none)."""
        return None

    # -- calibration -----------------------------------------------------------------------
    def calibrate(
        self,
        x: np.ndarray,
        y: np.ndarray,
        targets: Sequence[tuple[float, float, float]] = GAUSSIAN_TARGETS,
    ) -> dict[str, float]:
        """Set ``sigma_scale`` and ``sigma_floor`` from held-out rows (x, y) so that σ covers
        the truth at the ``targets`` (1σ → 68 %, 2σ → 95 % by default) as nearly as possible;
        returns them. Kinds without an error estimate refuse."""
        if not self.has_error:
            raise NotSupportedError(f"this {self.kind} model has no error estimate to calibrate")
        mean, spread = self.mean_and_spread(self.checked(x))
        ok = np.isfinite(mean) & np.isfinite(spread) & np.isfinite(y)
        if not ok.any():
            raise ValueError("no finite held-out points to calibrate on")
        self.sigma_scale, self.sigma_floor = fit_scale_and_floor(
            mean[ok], np.asarray(y, dtype=float)[ok], spread[ok], targets
        )
        return {"sigma_scale": self.sigma_scale, "sigma_floor": self.sigma_floor}

    # -- truth, export, description --------------------------------------------------------
    def reference(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` fresh rows and their true values, where the surrogate can compute them
        itself (an integration network: its integral by quadrature)."""
        raise NotSupportedError(
            f"a {self.kind} model cannot make its own reference values; give it a dataset"
        )

    def graph(self, dtype: torch.dtype = torch.float64, own_erf: bool = False) -> torch.nn.Module:
        """The whole prediction as one torch module, x (N, d) → (mean, sigma)."""
        raise NotSupportedError(f"{self.kind} models are not exportable")

    def example_inputs(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` valid input rows (for tracing an exported graph)."""
        box = self.region()
        if box is None:
            raise NotSupportedError(f"this {self.kind} model records no input region")
        lo, hi = box.bounds[:, 0], box.bounds[:, 1]
        return lo + (hi - lo) * rng.random((n, len(lo)))

    def describe(self) -> str:
        """One line saying what the model is."""
        return f"{self.kind} surrogate of {self.target}({', '.join(self.input_columns)})"

    @property
    def n_parameters(self) -> int:
        """Stored numbers (weights, coefficients, tree bytes) of the model."""
        return sum(int(t.numel()) for t in self.tensors().values())

    def to(self, device) -> Surrogate:
        """Move to ``device`` where the kind runs on torch (a no-op otherwise)."""
        return self

    # -- persistence -----------------------------------------------------------------------
    @abstractmethod
    def tensors(self) -> dict[str, torch.Tensor]:
        """The model's tensors as saved in the envelope."""

    @abstractmethod
    def settings(self) -> dict:
        """The kind's own header entries (JSON-able), besides the common ones."""

    def save(self, path: str | Path) -> str:
        """Write the model to ``path`` in the one envelope; returns the file's SHA-256."""
        header = {
            "kind": self.kind,
            "input_columns": list(self.input_columns),
            "target": self.target,
            **self.settings(),
            "sigma_scale": self.sigma_scale,
            "info": self.info,
        }
        if self.sigma_floor:  # written only when set: files from before it keep their digest
            header["sigma_floor"] = self.sigma_floor
        return save_envelope(path, self.tensors(), header)
