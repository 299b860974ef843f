"""Read back what a saved matplotlib figure draws, so plot tests check the data, not bytes.

Use with the ``saved_figures`` fixture (conftest.py), which records every figure saved.
"""

from __future__ import annotations

import numpy as np


def step_heights(polygon) -> np.ndarray:
    """Bin heights of a ``hist(..., histtype="step")`` outline.

    Its vertices run (x₀, 0), (x₀, n₀), (x₁, n₀), (x₁, n₁), …, so the heights are every
    second y from the second vertex on.
    """
    return np.asarray(polygon.get_path().vertices)[1:-1:2, 1]


def bar_heights(ax) -> np.ndarray:
    """Heights of a bar histogram (``hist`` with the default ``histtype="bar"``)."""
    return np.array([p.get_height() for p in ax.patches])


def y_extent(collection) -> tuple[float, float]:
    """Lowest and highest y of a filled band (``fill_between``), ignoring NaN."""
    y = np.concatenate([p.vertices[:, 1] for p in collection.get_paths()])
    y = y[np.isfinite(y)]
    return float(y.min()), float(y.max())


def step_edges(polygon) -> np.ndarray:
    """Bin edges of a ``hist(..., histtype="step")`` outline (every second x)."""
    return np.asarray(polygon.get_path().vertices)[0::2, 0]
