"""One-loop providers: g g → γ γ (analytic), g g → γ γ g in closed form and by numerical
reduction (``ggyyg-1l-numerical``, the independent check and an honest slow truth)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hepemu.physics.cuts import Cut, PhotonJetCut
from hepemu.physics.kinematics import massless_volume
from hepemu.physics.loop import gg_yy, gg_yyg, gg_yyg_closed
from hepemu.physics.providers.momenta import RamboMomenta

LOOP_PROCESSES: dict[str, tuple[int, Callable, str, str]] = {
    "ggyyg-1l": (
        3,
        gg_yyg_closed.msq,
        "g g -> gamma gamma g, one loop (massless quark loops, 5 flavours)",
        "analytic, Bern, Dixon & Kosower five-gluon amplitudes, photon-decoupling sum "
        "(Bern, Dixon & Schmidt 2002)",
    ),
    "ggyyg-1l-numerical": (
        3,
        gg_yyg.msq,
        "g g -> gamma gamma g, one loop (massless quark loops, 5 flavours)",
        "Feynman diagrams reduced numerically in D dimensions (hepemu.physics.loop)",
    ),
    "ggyy-1l": (
        2,
        gg_yy.msq,
        "g g -> gamma gamma, one loop (massless quark loops, 5 flavours)",
        "analytic, Bern, De Freitas & Dixon, JHEP 09 (2001) 037",
    ),
}
LOOP_CHUNK = 64  # points per evaluation of a numerically reduced loop (bounds memory)
NUMERICAL_LOOP = "ggyyg-1l-numerical"  # the one truth whose reduction can be unstable
LOOP_TOLERANCE = 1e-5  # relative error above which a numerically reduced |M|² is unstable
# what the numerical truth answers where its reduction is unstable: the closed form (as
# production one-loop codes rescue such points by another evaluation), or NaN ("none")
RESCUES = ("closed-form", "none")


@dataclass(frozen=True)
class LoopProvider(RamboMomenta):
    """A one-loop g g → γ γ (+ g) |M|² in the partonic centre-of-mass frame, with cuts.

    Inputs are all momenta flattened (E, px, py, pz of g₁ (+z), g₂ (−z), γ, γ (, g)); the
    final state is RAMBO at ``sqrt_s`` (1000 GeV) with the photon and jet cuts of
    :class:`~hepemu.physics.cuts.PhotonJetCut`. ``rescue`` (numerical reduction only, one of
    :data:`RESCUES`): the answer where the reduction's error estimate exceeds
    :data:`LOOP_TOLERANCE` — the closed form (the default: the truth answers everywhere), or NaN.
    """

    target_name = "msq"  # the truth column's name in datasets (not a field)
    process: str
    sqrt_s: float = 1000.0
    cut: Cut | None = field(default_factory=PhotonJetCut)
    rescue: str = RESCUES[0]

    def __post_init__(self) -> None:
        if self.process not in LOOP_PROCESSES:
            raise ValueError(f"unknown loop process {self.process!r}")
        if self.rescue not in RESCUES:
            raise ValueError(
                f"option rescue must be one of {', '.join(RESCUES)}, got {self.rescue!r}"
            )
        if not self.sqrt_s > 0:
            raise ValueError(f"sqrt_s must be positive, got {self.sqrt_s}")

    @property
    def name(self) -> str:
        return self.process

    @property
    def n_out(self) -> int:
        return LOOP_PROCESSES[self.process][0]

    def columns(self) -> list[str]:
        legs = ["g1", "g2", "a1", "a2", "g3"][: 2 + self.n_out]
        return [f"{c}_{leg}" for leg in legs for c in ("E", "px", "py", "pz")]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        p = self.momenta(inputs)
        fn = LOOP_PROCESSES[self.process][1]
        if len(p) == 0:
            return np.zeros(0)
        if self.process != NUMERICAL_LOOP:
            return fn(p)  # closed forms: vectorised in batches of their own
        opts = {"tolerance": LOOP_TOLERANCE}
        y = np.concatenate(
            [fn(p[i : i + LOOP_CHUNK], **opts) for i in range(0, len(p), LOOP_CHUNK)]
        )
        unstable = np.isnan(y)
        if self.rescue == "closed-form" and unstable.any():
            y[unstable] = gg_yyg_closed.msq(p[unstable])
        return y

    def metadata(self) -> dict[str, Any]:
        n_out, _, description, method = LOOP_PROCESSES[self.process]
        return {
            "description": description,
            "truth": method,
            "units": f"|M|^2 in GeV^{2 * (4 - (2 + n_out))}, momenta in GeV",
            "conventions": "summed over final and averaged over initial helicities and "
            "colours, x 1/2 for the identical photons; alpha = 1/137.036, alpha_s = 0.118, "
            "sum of Q_q^2 over u, d, s, c, b; the first gluon along +z",
            "numerical_stability": self._stability(),
            "sqrt_s": self.sqrt_s,
            "cuts": repr(self.cut),
            "phase_space": "RAMBO (massless)",
            "phase_space_weight": massless_volume(n_out, self.sqrt_s),
            "generator": "hepemu.physics.loop",
        }

    def _stability(self) -> str:
        if self.process != NUMERICAL_LOOP:
            return "analytic"
        where = (
            f"where the reduction's estimated relative error exceeds {LOOP_TOLERANCE:g} "
            "(ill-conditioned: near-planar events and the like, ~6 % of points)"
        )
        if self.rescue == "none":
            return f"NaN (left out of datasets, counted as rejected_nonfinite) {where}"
        return f"rescued by the closed form (ggyyg-1l) {where}; rescue=none gives NaN there"
