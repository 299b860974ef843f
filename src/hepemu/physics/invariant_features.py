"""Log Lorentz invariants of massless momenta, the inputs that straighten a matrix element's
soft and collinear poles (see :mod:`hepemu.physics.features` for when each is used).

Bishara, Paul & Dy, "High-precision regressors for particle physics", "Preprocessing".
"""

from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace, is_torch_array

from hepemu.physics.kinematics import s_ij


def invariants(x: np.ndarray, log_beam: bool = False) -> np.ndarray:
    """log(s_ij/Q²) over final-state pairs, then s_{beam, i}/Q² (their logs with ``log_beam``;
    see the module docstring). NumPy, or torch tensors (export graphs: no row checks)."""
    numpy_input = not is_torch_array(x)
    x = np.asarray(x, dtype=float) if numpy_input else x
    xp = array_namespace(x)
    if x.ndim != 2 or x.shape[1] % 4 or x.shape[1] // 4 < 4:
        raise ValueError(
            "feature invariants needs flattened momenta of 2 incoming and >= 2 final legs, "
            f"got shape {x.shape}"
        )
    legs = x.shape[1] // 4
    p = xp.reshape(x, (x.shape[0], legs, 4))
    q2 = s_ij(p, 0, 1)
    pairs = [s_ij(p, i, j) / q2 for i in range(2, legs) for j in range(i + 1, legs)]
    ratios = xp.stack(pairs, axis=1)
    beam = xp.stack([s_ij(p, b, i) / q2 for b in (0, 1) for i in range(2, legs)], axis=1)
    if numpy_input:
        _require_positive(ratios, "feature invariants needs s_ij > 0 for every final-state pair")
        if log_beam:
            _require_positive(beam, "feature log-invariants needs s_(beam, i) > 0")
    if log_beam:
        beam = xp.log(beam)
    return xp.concat([xp.log(ratios), beam], axis=1)


def _require_positive(ratios: np.ndarray, need: str) -> None:
    """Raise naming the first row (and how many more) with a ratio s/Q² ≤ 0."""
    bad = np.flatnonzero(~np.all(ratios > 0, axis=1))
    if bad.size:
        raise ValueError(
            f"{need}; row {bad[0]} (and {bad.size - 1} more) has s <= 0: not massless "
            "physical momenta"
        )


def log_invariants(x: np.ndarray) -> np.ndarray:
    """``invariants`` with log(s_{beam, i}/Q²) (initial-state collinear poles straightened)."""
    return invariants(x, log_beam=True)
