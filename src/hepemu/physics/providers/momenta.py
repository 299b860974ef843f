"""Tree-level providers on massless RAMBO phase space: the shared momenta map and the
analytic e+e- → jets matrix elements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hepemu.physics.cuts import Cut
from hepemu.physics.kinematics import massless_volume, rambo_from_unit
from hepemu.physics.tree.ee_jets import EECouplings, beams, ee_qq, ee_qqg


def _beams_and_rambo(u: np.ndarray, sqrt_s: float, cut: Cut | None):
    """Beams (+z, −z) and massless RAMBO final states from u, flattened; the cut's mask."""
    u = np.clip(u, 1e-300, 1.0)  # RAMBO takes logs of u
    p_out, _ = rambo_from_unit(u, sqrt_s)
    keep = cut(p_out) if cut is not None else np.ones(len(u), dtype=bool)
    p = np.concatenate([beams(len(u), sqrt_s), p_out], axis=1)
    return p.reshape(len(u), -1), keep


class RamboMomenta:
    """Shared by the momentum providers: inputs are all momenta (beams, then RAMBO final
    states at ``sqrt_s`` with ``cut``), flattened; needs ``n_out``, ``sqrt_s``, ``cut``."""

    @property
    def unit_dim(self) -> int:
        return 4 * self.n_out

    def momenta(self, inputs: np.ndarray) -> np.ndarray:
        return np.asarray(inputs, dtype=float).reshape(len(inputs), 2 + self.n_out, 4)

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _beams_and_rambo(u, self.sqrt_s, self.cut)


PROCESSES: dict[str, tuple[int, Callable, str]] = {
    "ee-qq": (2, ee_qq, "e+ e- -> gamma* -> q qbar, tree level"),
    "ee-qqg": (3, ee_qqg, "e+ e- -> gamma* -> q qbar g, tree level"),
}


@dataclass(frozen=True)
class PhaseSpaceProvider(RamboMomenta):
    """A matrix element on RAMBO phase space with cuts; inputs are all momenta, flattened.

    Inputs are (N, 4·(2+n)): E, px, py, pz of e⁺, e⁻ and the n final-state partons; the
    RAMBO weight (constant for massless partons) is in ``metadata``.
    """

    target_name = "msq"  # the truth column's name in datasets (not a field)
    process: str
    sqrt_s: float = 91.188
    cut: Cut | None = None
    couplings: EECouplings = field(default_factory=EECouplings)

    def __post_init__(self) -> None:
        if self.process not in PROCESSES:
            raise ValueError(f"unknown process {self.process!r}; known: {', '.join(PROCESSES)}")
        if not self.sqrt_s > 0:
            raise ValueError(f"sqrt_s must be positive, got {self.sqrt_s}")

    @property
    def name(self) -> str:
        return self.process

    @property
    def n_out(self) -> int:
        return PROCESSES[self.process][0]

    def columns(self) -> list[str]:
        names = ["ep", "em", "q", "qbar", "g"][: 2 + self.n_out]
        return [f"{c}_{name}" for name in names for c in ("E", "px", "py", "pz")]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return PROCESSES[self.process][1](self.momenta(inputs), self.couplings)

    def metadata(self) -> dict[str, Any]:
        c = self.couplings
        return {
            "description": PROCESSES[self.process][2],
            "units": f"|M|^2 in GeV^{2 * (4 - (2 + self.n_out))}, momenta in GeV",
            "conventions": "averaged over e+- spins, summed over final spins and colours; "
            "photon exchange only; massless quarks; one flavour",
            "sqrt_s": self.sqrt_s,
            "couplings": {"alpha": c.alpha, "alpha_s": c.alpha_s, "quark_charge": c.charge},
            "cuts": repr(self.cut),
            "phase_space": "RAMBO (massless)",
            "phase_space_weight": massless_volume(self.n_out, self.sqrt_s),
            "generator": "hepemu.physics.tree.ee_jets",
        }
