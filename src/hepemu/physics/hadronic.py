"""Hadron-collider kinematics without parton densities: lab momenta from unit numbers (log τ,
rapidity, RAMBO in the partonic frame), boosts along the beam, the partonic frame, the
rescaling of a scale-free |M|² to another √ŝ, and the partonic region that lab cuts imply.

τ = x₁x₂ = ŝ/S is log-uniform in [τ₀, 1] and y = ½ ln(x₁/x₂) uniform in [½ ln τ, −½ ln τ]
(dx₁dx₂ = dτ dy; Ellis, Stirling & Webber, "QCD and collider physics", eq. 7.2).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hepemu.physics.cuts import PhotonJetCut
from hepemu.physics.kinematics import rambo_from_unit


def boost_z(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Momenta (N, n, 4) boosted along +z by rapidity y (N,)."""
    ch, sh = np.cosh(y)[:, None], np.sinh(y)[:, None]
    out = p.copy()
    out[..., 0] = ch * p[..., 0] + sh * p[..., 3]
    out[..., 3] = sh * p[..., 0] + ch * p[..., 3]
    return out


def lab_from_unit(u: np.ndarray, sqrt_s: float, tau0: float, n_out: int) -> np.ndarray:
    """Lab momenta (N, 2 + n_out, 4) from u (N, 2 + 4 n_out): u₀ → log τ, u₁ → rapidity,
    the rest RAMBO at √ŝ; beams x₁P₁ (+z) and x₂P₂ (−z) first."""
    u = np.clip(np.asarray(u, dtype=float), 1e-300, 1.0)
    log_tau = (1.0 - u[:, 0]) * np.log(tau0)
    y = (u[:, 1] - 0.5) * -log_tau
    sqrt_shat = sqrt_s * np.exp(0.5 * log_tau)
    p_out, _ = rambo_from_unit(u[:, 2:], 1.0)
    p_out = p_out * sqrt_shat[:, None, None]
    half, zero = 0.5 * sqrt_shat[:, None], np.zeros((len(u), 1))
    beams = np.stack(
        [np.hstack([half, zero, zero, half]), np.hstack([half, zero, zero, -half])], axis=1
    )
    return boost_z(np.concatenate([beams, p_out], axis=1), y)


def to_partonic_frame(momenta: np.ndarray) -> np.ndarray:
    """Momenta (N, n, 4) boosted along z into the frame where the two incoming legs (the
    first two) have no total longitudinal momentum (their centre-of-mass frame when they
    move along ±z)."""
    p = np.asarray(momenta, dtype=float)
    total = p[:, 0] + p[:, 1]
    beta = total[:, 3] / total[:, 0]
    gamma = 1.0 / np.sqrt(1.0 - beta**2)
    e, pz = p[..., 0], p[..., 3]
    out = p.copy()
    out[..., 0] = gamma[:, None] * (e - beta[:, None] * pz)
    out[..., 3] = gamma[:, None] * (pz - beta[:, None] * e)
    return out


def rescaled(momenta: np.ndarray, sqrt_s0: float) -> tuple[np.ndarray, np.ndarray]:
    """Momenta (N, n, 4) scaled to √s = ``sqrt_s0`` (flattened, λp with λ = √s0/√ŝ) and the
    factor λ^(2(n−4)) that turns a scale-free |M|² there into |M|² at p (dimensional
    analysis: |M|² has mass dimension 2(4−n))."""
    p = np.asarray(momenta, dtype=float)
    total = p[:, 0] + p[:, 1]
    shat = total[:, 0] ** 2 - np.sum(total[:, 1:] ** 2, axis=1)
    lam = sqrt_s0 / np.sqrt(shat)
    return (p * lam[:, None, None]).reshape(len(p), -1), lam ** (2.0 * (p.shape[1] - 4))


def mhat_min_from_cut(cut, jets: int) -> float:
    """√ŝ ≥ Σ E_T ≥ Σ p_T thresholds of the photons and ``jets`` jets (0 for other cuts)."""
    if isinstance(cut, PhotonJetCut):
        return float(sum(cut.photon_pt) + jets * cut.jet_pt)
    return 0.0


def image_region(cut: PhotonJetCut, sqrt_s0: float, sqrt_s: float, tau0: float) -> PhotonJetCut:
    """A partonic-frame cut at √s0 that every image of a lab event passing ``cut`` passes:
    the event rescaled from √ŝ ≤ √S (p_T thresholds × √s0/√S) and boosted by |y| ≤ ½ ln(1/τ₀)
    (|η| limits widened by it; ΔR is boost invariant). A necessary condition, not the image."""
    shrink, widen = sqrt_s0 / sqrt_s, 0.5 * np.log(1.0 / tau0)
    return dataclasses.replace(
        cut,
        photon_pt=tuple(t * shrink for t in cut.photon_pt),
        jet_pt=cut.jet_pt * shrink,
        photon_eta=cut.photon_eta + widen,
        jet_eta=cut.jet_eta + widen,
    )
