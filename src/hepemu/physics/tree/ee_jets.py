"""Analytic tree-level e⁺e⁻ → γ*(/Z) → q q̄ (g) matrix elements (massless quarks).

Momenta are arrays (N, n, 4) ordered e⁺, e⁻, q, q̄[, g]; results are |M|² averaged over the
e± spins and summed over final-state spins and colours, in GeV^(2·(4-n)) units. Photon
exchange only by default; pass a :class:`ZBoson` to add the Z (γ*/Z interference included).
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


@dataclass(frozen=True)
class ZBoson:
    """Z-boson mass, width (GeV) and sin²θ_W for γ*/Z exchange.

    The defaults are pyamplicol's built-in SM (MadGraph ``sm`` defaults: m_Z = 91.188,
    m_W = 80.419, sin²θ_W = 1 − m_W²/m_Z²); its α = 1/132.507 goes in :class:`EECouplings`.
    """

    mass: float = 91.188
    width: float = 2.441404
    sin2w: float = 0.2222464857857777

    def chiral_couplings(self, charge: float, isospin: float) -> tuple[float, float]:
        """(g_L, g_R) = (T₃ − Q s_W², −Q s_W²)/(s_W c_W), units of e (Peskin–Schroeder 20.2)."""
        norm = 1.0 / math.sqrt(self.sin2w * (1.0 - self.sin2w))
        return norm * (isospin - charge * self.sin2w), norm * (-charge * self.sin2w)


def _sij(p: np.ndarray, i: int, j: int) -> np.ndarray:
    return 2.0 * dot(p[:, i], p[:, j])


def _chiral_weights(s: np.ndarray, c: EECouplings, z: ZBoson) -> tuple[np.ndarray, np.ndarray]:
    """Σ|A_ij|² over equal (LL+RR) and opposite (LR+RL) e⁻/q chiralities, in units of e⁴.

    A_ij = Q_e Q_q/s + g_i^e g_j^q/(s − m_Z² + i m_Z Γ_Z), the γ* and Breit–Wigner Z
    propagators between chiral currents (Peskin–Schroeder sec. 20.2); T₃ of the quark is
    sign(Q)/2 (an up- or down-type quark).
    """
    prop = 1.0 / (s - z.mass**2 + 1j * z.mass * z.width)
    ge = z.chiral_couplings(-1.0, -0.5)
    gq = z.chiral_couplings(c.charge, 0.5 * math.copysign(1.0, c.charge))
    amp = [[-c.charge / s + ge[i] * gq[j] * prop for j in (0, 1)] for i in (0, 1)]
    same = np.abs(amp[0][0]) ** 2 + np.abs(amp[1][1]) ** 2
    opposite = np.abs(amp[0][1]) ** 2 + np.abs(amp[1][0]) ** 2
    return same, opposite


def ee_qq(p: np.ndarray, c: EECouplings = EECouplings(), z: ZBoson | None = None) -> np.ndarray:
    """|M|² of e⁺e⁻ → q q̄: 2 e⁴ Q² N_c (t² + u²)/s² (Peskin–Schroeder eq. 5.10 with N_c Q²).

    With ``z``: e⁴ N_c (Σ_same|A|² s_a1² + Σ_opp|A|² s_a2²), the helicity cross sections of
    Peskin–Schroeder sec. 5.2 (a = e⁺, 1 = q; see :func:`_chiral_weights`).
    """
    s, sa1, sa2 = _sij(p, 0, 1), _sij(p, 0, 2), _sij(p, 0, 3)
    if z is None:
        return 2.0 * c.e2**2 * c.charge**2 * N_C * (sa1**2 + sa2**2) / s**2
    same, opposite = _chiral_weights(s, c, z)
    return c.e2**2 * N_C * (same * sa1**2 + opposite * sa2**2)


def ee_qqg(p: np.ndarray, c: EECouplings = EECouplings(), z: ZBoson | None = None) -> np.ndarray:
    """|M|² of e⁺e⁻ → q q̄ g (Ellis, Stirling, Webber, QCD and Collider Physics, ch. 3).

    4 C_F N_c e⁴ Q² g² (s_a1² + s_a2² + s_b1² + s_b2²)/(s_ab s_13 s_23), s_ij = 2 p_i·p_j,
    a = e⁺, b = e⁻, 1 = q, 2 = q̄, 3 = g; its soft limit is the eikonal factor times ee_qq.
    With ``z``, the same per chirality (helicity amplitudes of e⁺e⁻ → q q̄ g: Dixon,
    hep-ph/9601359, sec. 5; the photon-only sum gives the formula above):
    2 C_F N_c e⁴ g² s_ab [Σ_same|A|² (s_a1² + s_b2²) + Σ_opp|A|² (s_a2² + s_b1²)]/(s_13 s_23).
    """
    sab = _sij(p, 0, 1)
    if z is None:
        num = _sij(p, 0, 2) ** 2 + _sij(p, 0, 3) ** 2 + _sij(p, 1, 2) ** 2 + _sij(p, 1, 3) ** 2
        den = sab * _sij(p, 2, 4) * _sij(p, 3, 4)
        return 4.0 * C_F * N_C * c.e2**2 * c.charge**2 * c.gs2 * num / den
    same, opposite = _chiral_weights(sab, c, z)
    num = same * (_sij(p, 0, 2) ** 2 + _sij(p, 1, 3) ** 2)
    num = num + opposite * (_sij(p, 0, 3) ** 2 + _sij(p, 1, 2) ** 2)
    return 2.0 * C_F * N_C * c.e2**2 * c.gs2 * sab * num / (_sij(p, 2, 4) * _sij(p, 3, 4))


def beams(n: int, sqrt_s: float) -> np.ndarray:
    """Incoming e⁺ (+z) and e⁻ (−z) momenta, shape (n, 2, 4)."""
    half = 0.5 * sqrt_s
    b = np.array([[half, 0.0, 0.0, half], [half, 0.0, 0.0, -half]])
    return np.broadcast_to(b, (n, 2, 4)).copy()


def sigma0(sqrt_s: float, c: EECouplings = EECouplings(), z: ZBoson | None = None) -> float:
    """Born cross section σ₀ = 4π α² Q² N_c / (3 s) in GeV⁻² (Peskin–Schroeder eq. 5.13).

    With ``z``, in vector/axial form (Ellis–Stirling–Webber sec. 3.1): the bracket Q² becomes
    Q² − 2 Q V_e V_q χ₁ + (A_e² + V_e²)(A_q² + V_q²) χ₂, V_f = T₃ − 2 Q_f s_W², A_f = T₃,
    χ₁ = κ s (s − m_Z²)/D, χ₂ = κ² s²/D, D = (s − m_Z²)² + m_Z² Γ_Z², κ = 1/(4 s_W² c_W²).
    """
    bracket = c.charge**2
    if z is not None:
        s, m2 = sqrt_s**2, z.mass**2
        kappa = 1.0 / (4 * z.sin2w * (1 - z.sin2w))
        d = (s - m2) ** 2 + m2 * z.width**2
        chi1, chi2 = kappa * s * (s - m2) / d, kappa**2 * s**2 / d
        t3 = 0.5 * math.copysign(1.0, c.charge)
        ve, ae = -0.5 + 2 * z.sin2w, -0.5
        vq, aq = t3 - 2 * c.charge * z.sin2w, t3
        bracket += -2 * c.charge * ve * vq * chi1 + (ae**2 + ve**2) * (aq**2 + vq**2) * chi2
    return 4 * math.pi * c.alpha**2 * bracket * N_C / (3 * sqrt_s**2)
