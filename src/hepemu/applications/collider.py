"""Hadron collisions: a partonic momentum provider and its surrogate folded with parton
densities, so that the unweighting of :mod:`hepemu.applications.unweighting` runs unchanged.

σ = Σ ∫dx₁dx₂ f(x₁, μ_F) f(x₂, μ_F) σ̂(x₁x₂S) (collinear factorisation; Ellis, Stirling,
Webber, "QCD and collider physics", eq. 7.2), with τ = x₁x₂ log-uniform in [τ₀, 1] and the
rapidity y = ½ ln(x₁/x₂) uniform in [½ ln τ, −½ ln τ] (dx₁dx₂ = dτ dy), both in the vegas
map beside the RAMBO numbers. The partonic final state is made at √ŝ in the partonic frame
and boosted along z into the lab, where the process's cuts apply. The truth of the folded
process is dσ/du in pb: J · f₁f₂ · Φₙ(ŝ)/(2ŝ) · |M|² · (α_s(μ_R)/α_s⁰)^k; its inputs are
the lab-frame momenta (beams x₁P₁, x₂P₂).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from hepemu.applications.process_legs import alpha_s_power, process_legs, scale_free
from hepemu.applications.unweighting import PB_PER_GEV2
from hepemu.physics.hadronic import (
    lab_from_unit,
    mhat_min_from_cut,
    rescaled,
    to_partonic_frame,
)
from hepemu.physics.kinematics import massless_volume
from hepemu.physics.pdf import PartonDensity

SCALES = ("fixed:VALUE", "mgg", "mhat")


@dataclass(frozen=True)
class Collider:
    """Beams, energy and parton densities of a hadron collider run (μ_F = μ_R = ``scale``:
    ``fixed:VALUE`` in GeV, ``mgg`` the diphoton mass, ``mhat`` the partonic √ŝ)."""

    sqrt_s: float
    pdf: str  # the set's folder (resolved by hepemu.physics.pdf.find_set)
    member: int = 0
    scale: str = "mgg"
    mhat_min: float = 0.0  # GeV; 0: from the process's cuts
    beams: str = "pp"

    def __post_init__(self) -> None:
        if self.beams != "pp":
            raise ValueError(f"collider {self.beams!r}: only pp is supported")
        if not self.sqrt_s > 0:
            raise ValueError(f"--sqrt-s must be positive, got {self.sqrt_s}")
        if self.scale.startswith("fixed:"):
            try:
                ok = float(self.scale[6:]) > 0
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"--scale {self.scale!r}: fixed:VALUE needs a positive GeV value")
        elif self.scale not in SCALES:
            raise ValueError(f"--scale {self.scale!r}: use one of {', '.join(SCALES)}")


@cache
def _density(folder: str, member: int) -> PartonDensity:
    return PartonDensity(folder, member)


class HadronicProcess:
    """A partonic momentum provider (incoming partons) at a hadron collider: the provider
    protocol with lab-frame inputs and dσ/du in pb as the truth."""

    weight_in_pb = True  # PhaseSpace: the truth already holds flux and phase space

    def __init__(self, base, collider: Collider) -> None:
        if getattr(base, "hadronic_sqrt_s", None) is not None:  # how training points were
            base = dataclasses.replace(base, hadronic_sqrt_s=None)  # drawn; the |M|² is the same
        self.base, self.collider = base, collider
        self.legs = process_legs(base)
        self.pdgs = [pdg for pdg, _ in self.legs]
        if not all(pdg == 21 or 1 <= abs(pdg) <= 5 for pdg in self.pdgs[:2]):
            raise ValueError(f"{base.name}: hadron collisions need incoming partons")
        self.pdf = _density(collider.pdf, collider.member)
        self.n_out = len(self.legs) - 2
        jets = sum(1 for pdg in self.pdgs[2:] if pdg != 22)
        mhat_min = collider.mhat_min or mhat_min_from_cut(getattr(base, "cut", None), jets)
        if not mhat_min > 0:
            raise ValueError(f"{base.name}: give --mhat-min (GeV), the lowest partonic √ŝ")
        self.tau0 = max(mhat_min**2 / collider.sqrt_s**2, self.pdf.x_range[0])
        if self.tau0 >= 1:
            raise ValueError(f"--mhat-min {mhat_min:g} GeV is not below --sqrt-s")
        self.photons = [i for i, pdg in enumerate(self.pdgs) if pdg == 22]
        if collider.scale == "mgg" and len(self.photons) != 2:
            raise ValueError(f"--scale mgg needs two photons; {base.name} has {len(self.photons)}")
        self.alpha = alpha_s_power(base)

    # the provider protocol
    @property
    def name(self) -> str:
        return f"{self.base.name}@pp"

    @property
    def sqrt_s(self) -> float:
        return self.collider.sqrt_s

    @property
    def unit_dim(self) -> int:
        return self.base.unit_dim + 2

    def columns(self) -> list[str]:
        return self.base.columns()

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lab = lab_from_unit(u, self.collider.sqrt_s, self.tau0, self.n_out)
        cut = getattr(self.base, "cut", None)
        keep = cut(lab[:, 2:]) if cut is not None else np.ones(len(u), dtype=bool)
        return lab.reshape(len(u), -1), keep

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        p = self._momenta(inputs)
        msq = np.asarray(self.base(to_partonic_frame(p).reshape(len(p), -1)), dtype=float)
        return msq * self.density(p)

    def metadata(self) -> dict[str, Any]:
        meta = dict(self.base.metadata())
        meta.update(
            legs=[{"pdg": pdg, "role": "initial" if st < 0 else "final"} for pdg, st in self.legs],
            collider={**self.collider.__dict__, "pdf_name": self.pdf.name, "lhaid": self.pdf.lhaid},
            frame="lab (beams x1 P1 along +z, x2 P2 along -z)",
            truth_units="dsigma/du in pb (parton densities, flux, phase space and |M|^2)",
            alpha_s_power=None if self.alpha is None else self.alpha[0],
            tau_min=self.tau0,
        )
        return meta

    # the folding
    def _momenta(self, inputs: np.ndarray) -> np.ndarray:
        return np.asarray(inputs, dtype=float).reshape(len(inputs), len(self.legs), 4)

    def x1_x2(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 2 * p[:, 0, 0] / self.collider.sqrt_s, 2 * p[:, 1, 0] / self.collider.sqrt_s

    def scale(self, p: np.ndarray) -> np.ndarray:
        """μ_F = μ_R at each event (GeV)."""
        s = self.collider.scale
        if s.startswith("fixed:"):
            return np.full(len(p), float(s[6:]))
        q = p[:, self.photons].sum(axis=1) if s == "mgg" else p[:, 0] + p[:, 1]
        return np.sqrt(np.maximum(q[:, 0] ** 2 - np.sum(q[:, 1:] ** 2, axis=1), 0.0))

    def density(self, p: np.ndarray) -> np.ndarray:
        """dσ/du per unit |M|² at lab momenta (N, n, 4): J f₁ f₂ Φₙ(ŝ)/(2ŝ) (α_s ratio)^k."""
        x1, x2 = self.x1_x2(p)
        tau = x1 * x2
        shat = tau * self.collider.sqrt_s**2
        jac = tau * np.log(1 / self.tau0) * np.log(1 / tau)
        mu = self.scale(p)
        f = self.pdf.xf(self.pdgs[0], x1, mu) * self.pdf.xf(self.pdgs[1], x2, mu) / tau
        phase = massless_volume(self.n_out, 1.0) * shat ** (self.n_out - 2) / (2 * shat)
        out = jac * f * phase * PB_PER_GEV2
        if self.alpha is not None:
            power, reference = self.alpha
            a = self.pdf.alpha_s(mu)
            if a is not None:
                out = out * (a / reference) ** power
        return np.where(np.isfinite(out), out, 0.0)


class HadronicSurrogate:
    """A surrogate of a scale-free partonic |M|² (trained at one √s) as a surrogate of the
    folded process: predictions at the rescaled partonic momenta times the folding."""

    def __init__(self, surrogate, process: HadronicProcess) -> None:
        if not scale_free(process.base):
            raise ValueError(
                f"{process.base.name}: its surrogate was trained at one sqrt(s); hadron "
                "collisions need a process without a mass scale (e.g. ggyyg-1l, ggyy-1l)"
            )
        self.surrogate, self.process = surrogate, process
        self.input_columns = surrogate.input_columns
        self.target, self.info = surrogate.target, surrogate.info

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = self.process._momenta(x)
        scaled, factor = rescaled(to_partonic_frame(p), self.process.base.sqrt_s)
        mean, sigma = self.surrogate.predict(scaled)
        d = self.process.density(p) * factor
        return np.asarray(mean) * d, np.asarray(sigma) * d

    def outside_region(self, x: np.ndarray) -> np.ndarray:
        """Rows whose rescaled partonic point lies outside the surrogate's trained region."""
        inner = getattr(self.surrogate, "outside_region", None)
        if inner is None:
            return np.zeros(len(x), dtype=bool)
        p = self.process._momenta(x)
        scaled, _ = rescaled(to_partonic_frame(p), self.process.base.sqrt_s)
        return np.asarray(inner(scaled), dtype=bool)


def hadronic(provider, surrogate, collider: dict):
    """The folded process and surrogate of a run's ``collider`` settings."""
    process = HadronicProcess(provider, Collider(**collider))
    return process, HadronicSurrogate(surrogate, process)
