"""One-loop providers: g g → γ γ (analytic), g g → γ γ g in closed form and by numerical
reduction (``ggyyg-1l-numerical``, the independent check and an honest slow truth)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hepemu.physics.cuts import Cut, PhotonJetCut
from hepemu.physics.hadronic import (
    image_region,
    lab_from_unit,
    mhat_min_from_cut,
    rescaled,
    to_partonic_frame,
)
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

    ``hadronic_sqrt_s`` (GeV): points are instead the images of a pp collider's lab phase
    space at that energy (log τ, rapidity and RAMBO from u; the cuts applied in the lab),
    boosted to the partonic frame and rescaled to ``sqrt_s`` — training data for a surrogate
    of a scale-free |M|² that serves hadron collisions (:mod:`hepemu.physics.hadronic`).
    """

    target_name = "msq"  # the truth column's name in datasets (not a field)
    process: str
    sqrt_s: float = 1000.0
    cut: Cut | None = field(default_factory=PhotonJetCut)
    rescue: str = RESCUES[0]
    hadronic_sqrt_s: float | None = None

    def __post_init__(self) -> None:
        if self.process not in LOOP_PROCESSES:
            raise ValueError(f"unknown loop process {self.process!r}")
        if self.rescue not in RESCUES:
            raise ValueError(
                f"option rescue must be one of {', '.join(RESCUES)}, got {self.rescue!r}"
            )
        if not self.sqrt_s > 0:
            raise ValueError(f"sqrt_s must be positive, got {self.sqrt_s}")
        if self.hadronic_sqrt_s is not None and not self._mhat_min() > 0:
            raise ValueError("hadronic_sqrt_s needs photon and jet cuts with p_T thresholds")
        if self.hadronic_sqrt_s is not None and not self.hadronic_sqrt_s > self._mhat_min():
            raise ValueError(
                f"hadronic_sqrt_s must exceed the cuts' lowest partonic √ŝ "
                f"({self._mhat_min():g} GeV), got {self.hadronic_sqrt_s}"
            )

    @property
    def name(self) -> str:
        return self.process

    @property
    def n_out(self) -> int:
        return LOOP_PROCESSES[self.process][0]

    # the images of hadron-collider phase space (option hadronic_sqrt_s)
    def _mhat_min(self) -> float:
        return mhat_min_from_cut(self.cut, self.n_out - 2)

    @property
    def unit_dim(self) -> int:
        return 4 * self.n_out + (0 if self.hadronic_sqrt_s is None else 2)

    @property
    def tau0(self) -> float:
        """The lowest τ = ŝ/S of the images (from the cuts' Σ p_T)."""
        return (self._mhat_min() / self.hadronic_sqrt_s) ** 2

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.hadronic_sqrt_s is None:
            return super().from_unit(u)
        lab = lab_from_unit(u, self.hadronic_sqrt_s, self.tau0, self.n_out)
        keep = self.cut(lab[:, 2:]) if self.cut is not None else np.ones(len(u), dtype=bool)
        return rescaled(to_partonic_frame(lab), self.sqrt_s)[0], keep

    @property
    def region_cut(self) -> Cut | None:
        """A cut every point of this provider passes (at ``sqrt_s``, partonic frame)."""
        if self.hadronic_sqrt_s is None or not isinstance(self.cut, PhotonJetCut):
            return self.cut
        return image_region(self.cut, self.sqrt_s, self.hadronic_sqrt_s, self.tau0)

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
            "phase_space": "RAMBO (massless)"
            if self.hadronic_sqrt_s is None
            else f"images of pp lab phase space at sqrt(S) = {self.hadronic_sqrt_s:g} GeV "
            f"(log tau, rapidity, RAMBO; cuts in the lab), rescaled to sqrt(s) = {self.sqrt_s:g}",
            # a partonic RAMBO volume; none for images of pp phase space (a folded measure)
            "phase_space_weight": massless_volume(n_out, self.sqrt_s)
            if self.hadronic_sqrt_s is None
            else None,
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
