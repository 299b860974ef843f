"""The pyamplicol tree-level provider (any process pyamplicol builds, massless legs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hepemu.physics.cuts import Cut
from hepemu.physics.kinematics import massless_volume
from hepemu.physics.providers.momenta import RamboMomenta
from hepemu.physics.tree import amplicol

AMPLICOL_PREFIX = "amplicol:"


@dataclass(frozen=True)
class AmplicolProvider(RamboMomenta):
    """A pyamplicol tree-level |M|² on massless RAMBO phase space with cuts.

    ``process`` is a pyamplicol expression (``e+ e- > d d~ g``) with two massless incoming
    legs along ±z (the first along +z) and massless final-state legs; inputs are all momenta
    flattened (E, px, py, pz per leg, in the expression's order). The artifact is built on
    first use and cached (:mod:`hepemu.physics.tree.amplicol`); constructing the provider
    is cheap and it pickles by value, so every worker loads the runtime once.
    """

    target_name = "msq"  # the truth column's name in datasets (not a field)
    process: str
    name: str = ""
    sqrt_s: float = 1000.0
    cut: Cut | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "process", amplicol.normalize_expression(self.process))
        if not self.name:
            object.__setattr__(self, "name", AMPLICOL_PREFIX + self.process)
        initial = self.process.split(">")[0].split()
        if len(initial) != 2:
            raise ValueError(f"{self.process!r}: need two incoming particles")
        if self.n_out < 2:
            raise ValueError(f"{self.process!r}: need at least two outgoing particles")
        if not self.sqrt_s > 0:
            raise ValueError(f"sqrt_s must be positive, got {self.sqrt_s}")

    @property
    def n_out(self) -> int:
        return len(self.process.split(">")[1].split())

    def columns(self) -> list[str]:
        legs = amplicol.leg_names(self.process)
        return [f"{c}_{leg}" for leg in legs for c in ("E", "px", "py", "pz")]

    def runtime(self) -> tuple[Any, dict[str, Any]]:
        """The pyamplicol runtime and physics record (built and cached on first use)."""
        runtime, physics = amplicol.load_runtime(self.process)
        if heavy := amplicol.massive_legs(physics):
            raise ValueError(
                f"{self.process!r} has massive external particles ({', '.join(heavy)}); "
                "this provider's RAMBO phase space is massless"
            )
        return runtime, physics

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return amplicol.evaluate(self.runtime()[0], self.momenta(inputs))

    def metadata(self) -> dict[str, Any]:
        summary = amplicol.physics_summary(self.runtime()[1])
        norm = summary["normalization"]
        n_legs = 2 + self.n_out
        return {
            "description": f"{self.process}, tree level, pyamplicol built-in SM (all "
            "tree diagrams at the lowest order in both couplings: γ*/Z for e+e- -> jets)",
            "process": self.process,
            "legs": summary["legs"],
            "units": f"|M|^2 in GeV^{2 * (4 - n_legs)}, momenta in GeV",
            "conventions": "averaged over initial spins and colours (divided by "
            f"{norm['initial_spin_colour_average']}), summed over final spins and colours "
            "(full colour, helicity sum), divided by the identical-final-state factor "
            f"{norm['identical_final_state_factor']} (prod n_k!); massless quarks and "
            "leptons; the first incoming particle along +z; couplings g_s^2 = 4 pi "
            "alpha_s, e^2 = 4 pi alpha_ew; no other constant (pyamplicol's value as is; "
            "for e+ e- > d d~ g it equals hepemu.physics.tree.ee_jets.ee_qqg with Z "
            "exchange at these parameters)",
            "normalization": norm,
            "couplings": summary["couplings"],
            "model": amplicol.MODEL,
            "color": summary["color_accuracy"],
            "sqrt_s": self.sqrt_s,
            "cuts": repr(self.cut),
            "phase_space": "RAMBO (massless)",
            "phase_space_weight": massless_volume(self.n_out, self.sqrt_s),
            "generator": "pyamplicol",
            "generator_version": amplicol.pyamplicol_version(),
            "generator_cache_key": amplicol.cache_key(self.process),
        }
