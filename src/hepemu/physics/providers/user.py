"""A user's own truth: a wrapped function on a box, or ``module:attribute`` imported."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hepemu.physics.providers.base import TruthProvider


@dataclass(frozen=True)
class FunctionProvider:
    """Wrap a user's vectorised function ``fn(x) -> y`` on a box of ``ranges``."""

    target_name = "y"  # the truth column's name in datasets (not a field)
    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    ranges: tuple[tuple[float, float], ...]
    description: str = ""

    @property
    def unit_dim(self) -> int:
        return len(self.ranges)

    def columns(self) -> list[str]:
        return [f"x{j + 1}" for j in range(self.unit_dim)]

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.array(self.ranges, dtype=float).T
        return lo + (hi - lo) * u, np.ones(len(u), dtype=bool)

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return np.asarray(self.fn(inputs), dtype=float)

    def metadata(self) -> dict[str, Any]:
        return {"description": self.description, "region": [list(r) for r in self.ranges]}


def import_provider(spec: str, opts: dict[str, Any]) -> TruthProvider:
    module, _, attr = spec.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot load provider {spec!r}: {exc}") from None
    if isinstance(obj, type) or (not isinstance(obj, TruthProvider) and callable(obj)):
        try:  # a provider class or a factory function, called with the options
            obj = obj(**opts)
        except TypeError as exc:
            raise ValueError(f"provider {spec!r} rejected its options {opts}: {exc}") from None
    elif opts:
        raise ValueError(f"provider {spec!r} is an object and takes no options")
    if not isinstance(obj, TruthProvider):
        raise ValueError(f"{spec!r} is not a truth provider (see hepemu.physics.providers)")
    return obj
