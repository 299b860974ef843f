"""The truth-provider protocol: a unit-cube map, the vectorised truth, a description."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TruthProvider(Protocol):
    """What generation needs from a truth: a unit-cube map, the function, a description."""

    name: str
    unit_dim: int

    def columns(self) -> list[str]: ...

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (N, d) and a mask (N,) of the points kept (e.g. passing cuts)."""
        ...

    def __call__(self, inputs: np.ndarray) -> np.ndarray: ...

    def metadata(self) -> dict[str, Any]: ...
