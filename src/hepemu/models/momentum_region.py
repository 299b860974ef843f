"""The region a matrix-element emulator was trained on, as tests on momenta (N, legs, 4):
below its y_min, outside its provider's cuts, at another collision energy."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hepemu.physics.kinematics import invariant_mass2, min_pair_ratio

Check = tuple[str, Callable[[np.ndarray], np.ndarray]]


def trained_region(dataset: dict) -> list[Check]:
    """(what, test) pairs naming momenta outside the region of a model trained on
    ``dataset`` (the ``info["dataset"]`` a fit records: provider and its options)."""
    from hepemu.physics.providers import get_provider  # pyamplicol only when needed

    options = dataset.get("provider_options", {})
    checks: list[Check] = []
    if options.get("y_min") is not None:
        y_min = float(options["y_min"])
        checks.append(
            (f"below the trained cut s_ij/s ≥ {y_min:g}", lambda p: min_pair_ratio(p) < y_min)
        )
    try:
        prov = get_provider(dataset["provider"], dict(options))
    except (KeyError, TypeError, ValueError):
        return checks  # a model of unknown provenance: only the checks above
    cut = getattr(prov, "region_cut", getattr(prov, "cut", None))
    if cut is not None and options.get("y_min") is None:
        checks.append(
            (f"outside the trained cuts of {dataset['provider']}", lambda p: ~cut(p[:, 2:]))
        )
    sqrt_s = getattr(prov, "sqrt_s", None)
    if sqrt_s is not None:

        def other_energy(p: np.ndarray) -> np.ndarray:
            m = np.sqrt(np.abs(invariant_mass2(p[:, 0] + p[:, 1])))
            return np.abs(m / sqrt_s - 1) > 1e-6

        checks.append((f"not at the trained √s = {sqrt_s:g} GeV", other_energy))
    return checks
