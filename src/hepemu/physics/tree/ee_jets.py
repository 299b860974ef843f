"""Analytic tree-level e⁺e⁻ → γ* → q q̄ (g) matrix elements (photon exchange, massless quarks).

Momenta are arrays (N, n, 4) ordered e⁺, e⁻, q, q̄[, g]; results are |M|² averaged over the
e± spins and summed over final-state spins and colours, in GeV^(2·(4-n)) units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hepemu.physics.kinematics import dot

ALPHA_EM = 1.0 / 137.035999084
N_C = 3
C_F = 4.0 / 3.0


@dataclass(frozen=True)
class EECouplings:
    """Couplings and the quark charge (in units of e) of one massless flavour."""

    alpha: float = ALPHA_EM
    alpha_s: float = 0.118
    charge: float = 2.0 / 3.0

    @property
    def e2(self) -> float:
        return 4 * math.pi * self.alpha

    @property
    def gs2(self) -> float:
        return 4 * math.pi * self.alpha_s


def _sij(p: np.ndarray, i: int, j: int) -> np.ndarray:
    return 2.0 * dot(p[:, i], p[:, j])


def ee_qq(p: np.ndarray, c: EECouplings = EECouplings()) -> np.ndarray:
    """|M|² of e⁺e⁻ → q q̄: 2 e⁴ Q² N_c (t² + u²)/s² (Peskin–Schroeder eq. 5.10 with N_c Q²)."""
    s, sa1, sa2 = _sij(p, 0, 1), _sij(p, 0, 2), _sij(p, 0, 3)
    return 2.0 * c.e2**2 * c.charge**2 * N_C * (sa1**2 + sa2**2) / s**2


def ee_qqg(p: np.ndarray, c: EECouplings = EECouplings()) -> np.ndarray:
    """|M|² of e⁺e⁻ → q q̄ g (Ellis, Stirling, Webber, QCD and Collider Physics, ch. 3).

    4 C_F N_c e⁴ Q² g² (s_a1² + s_a2² + s_b1² + s_b2²)/(s_ab s_13 s_23), s_ij = 2 p_i·p_j,
    a = e⁺, b = e⁻, 1 = q, 2 = q̄, 3 = g; its soft limit is the eikonal factor times ee_qq.
    """
    sab = _sij(p, 0, 1)
    num = _sij(p, 0, 2) ** 2 + _sij(p, 0, 3) ** 2 + _sij(p, 1, 2) ** 2 + _sij(p, 1, 3) ** 2
    den = sab * _sij(p, 2, 4) * _sij(p, 3, 4)
    return 4.0 * C_F * N_C * c.e2**2 * c.charge**2 * c.gs2 * num / den


def beams(n: int, sqrt_s: float) -> np.ndarray:
    """Incoming e⁺ (+z) and e⁻ (−z) momenta, shape (n, 2, 4)."""
    half = 0.5 * sqrt_s
    b = np.array([[half, 0.0, 0.0, half], [half, 0.0, 0.0, -half]])
    return np.broadcast_to(b, (n, 2, 4)).copy()


def sigma0(sqrt_s: float, c: EECouplings = EECouplings()) -> float:
    """Born cross section σ₀ = 4π α² Q² N_c / (3 s) in GeV⁻² (Peskin–Schroeder eq. 5.13)."""
    return 4 * math.pi * c.alpha**2 * c.charge**2 * N_C / (3 * sqrt_s**2)
