"""Scale and PDF-member variations of hadron-collider events as extra weights.

An event generated at μ_F = μ_R = μ (its SCALUP) with one member of a parton-density set has
weight w ∝ f(x₁, μ) f(x₂, μ) α_s(μ)^k |M|²; a variation changes only the densities and the
coupling, so its weight is w · f'(x₁, μ_F') f'(x₂, μ_F') / (f(x₁, μ) f(x₂, μ)) ·
(α_s(μ_R')/α_s(μ))^k (the on-the-fly variations of event generators; Bothmann, Schönherr
& Schumann, Eur. Phys. J. C 76 (2016) 590, eq. 2.3 at leading order). Scales: the
seven-point set μ_R, μ_F ∈ {μ/2, μ, 2μ} without the opposite pairs (the central one is
the event's own weight); the set's other members at μ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hepemu.physics.pdf import PartonDensity

SEVEN_POINT = [(0.5, 0.5), (0.5, 1.0), (1.0, 0.5), (1.0, 2.0), (2.0, 1.0), (2.0, 2.0)]
KINDS = ("scale", "pdf")


def scale_name(k_r: float, k_f: float) -> str:
    return f"MUR{k_r:g}_MUF{k_f:g}"


@dataclass
class Variations:
    """Extra weights of events from one PDF set (``density``: the member the events were
    generated with), for |M|² ∝ α_s^``alpha_s_power``; ``members``: PDF members varied."""

    density: PartonDensity  # the member the events were generated with
    alpha_s_power: int
    beam_energies: tuple[float, float]  # GeV: the proton beams along +z and −z
    scales: bool = True
    members: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.alpha_s_power < 0:
            raise ValueError(f"the α_s power must be ≥ 0, got {self.alpha_s_power}")
        if self.scales and self.alpha_s_power and self.density.alpha_s(np.ones(1)) is None:
            raise ValueError(f"{self.density.name} records no α_s: μ_R cannot be varied")
        self._members = {m: PartonDensity(self.density.folder, m) for m in self.members}

    @property
    def names(self) -> dict[str, str]:
        """Weight id → description, in the order the weights are written."""
        out = {}
        if self.scales:
            for k_r, k_f in SEVEN_POINT:
                out[scale_name(k_r, k_f)] = f"mu_R = {k_r:g} mu, mu_F = {k_f:g} mu (mu = SCALUP)"
        for m in self.members:
            out[self._pdf_name(m)] = f"member {m} of {self.density.name} (LHAPDF id {self._id(m)})"
        return out

    def _id(self, member: int) -> int:
        return int(self.density.info.get("SetIndex", 0)) + member

    def _pdf_name(self, member: int) -> str:
        return f"PDF{self._id(member)}"

    def factors(self, ids: np.ndarray, x: np.ndarray, mu: np.ndarray) -> dict[str, np.ndarray]:
        """Weight ratios per variation at incoming partons ``ids`` (N, 2), momentum fractions
        ``x`` (N, 2) and event scales ``mu`` (N,)."""
        central = self._lumi(self.density, ids, x, mu)
        out = {}
        if self.scales:
            a0 = self.density.alpha_s(mu) if self.alpha_s_power else None
            for k_r, k_f in SEVEN_POINT:
                r = self._lumi(self.density, ids, x, k_f * mu) / central
                if a0 is not None:
                    r = r * (self.density.alpha_s(k_r * mu) / a0) ** self.alpha_s_power
                out[scale_name(k_r, k_f)] = r
        for m, dens in self._members.items():
            out[self._pdf_name(m)] = self._lumi(dens, ids, x, mu) / central
        return out

    @staticmethod
    def _lumi(dens: PartonDensity, ids: np.ndarray, x: np.ndarray, mu: np.ndarray):
        f = np.ones(len(x))
        for leg in (0, 1):
            for pid in np.unique(ids[:, leg]):
                rows = ids[:, leg] == pid
                f[rows] *= dens.xf(int(pid), x[rows, leg], mu[rows]) / x[rows, leg]
        return f

    def at_momenta(self, ids: list[int], p: np.ndarray, mu: np.ndarray) -> dict[str, np.ndarray]:
        """:meth:`factors` of lab-frame events (N, legs, 4): incoming partons first, the first
        along +z (raises ``ValueError`` naming an event whose ratios are not finite)."""
        x = p[:, :2, 0] / np.asarray(self.beam_energies)
        return self._checked(np.broadcast_to(np.asarray(ids[:2]), (len(p), 2)), x, mu, 1)

    def _checked(self, ids, x, mu, first: int) -> dict[str, np.ndarray]:
        out = self.factors(ids, x, mu)
        for name, r in out.items():
            bad = ~np.isfinite(r)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"event {first + k}: weight {name} is {r[k]} (x = {x[k].tolist()}, "
                    f"μ = {mu[k]:g} GeV; x below the set's XMin {self.density.x_range[0]:g}?)"
                )
        return out

    def named_weights(self, records, first: int, check=None) -> dict[str, np.ndarray]:
        """The variation weights of LHE records (XWGTUP × ratio); raises ``ValueError`` naming
        an event whose incoming partons are not two beams' partons or whose ratios are not
        finite. The incoming parton along +z comes from the first beam."""
        n = len(records)
        ids, x, mu = np.zeros((n, 2), dtype=int), np.zeros((n, 2)), np.zeros(n)
        for k, rec in enumerate(records):
            incoming = np.flatnonzero(rec.status == -1)
            if len(incoming) != 2:
                raise ValueError(f"event {first + k}: {len(incoming)} incoming particles, not 2")
            if rec.momenta[incoming[0], 3] < rec.momenta[incoming[1], 3]:
                incoming = incoming[::-1]  # the first beam moves along +z
            ids[k] = rec.ids[incoming]
            x[k] = rec.momenta[incoming, 0] / np.asarray(self.beam_energies)
            mu[k] = rec.scale
        bad = ~((x > 0) & (x <= 1 + 1e-9)).all(axis=1) | ~(mu > 0)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"event {first + k}: x = {x[k].tolist()} of beams of "
                f"{list(self.beam_energies)} GeV, scale {mu[k]:g} GeV: not an event of these beams"
            )
        xwgtup = np.array([r.weight for r in records])
        return {name: xwgtup * r for name, r in self._checked(ids, x, mu, first).items()}
