"""One-loop g g → γ γ through a loop of massless quarks: helicity amplitudes and |M|².

Bern, De Freitas & Dixon, JHEP 09 (2001) 037 [hep-ph/0109079], eqs. (2.3)–(2.7):
M = 4 α α_s δ^{a₁a₂} (Σ_q Q_q²) M^(1)_{λ₁λ₂λ₃λ₄}, legs all outgoing (gluons 1, 2, photons
3, 4), s = s₁₂, t = s₁₄, u = s₁₃. |M^(1)| = 1 for the ten configurations with fewer or more
than two negative helicities; with legs i, j negative, M^(1) = F(s_ij; the other two
invariants), where F, written with ln(−x − i0), is the analytic form of their
M^(1)_{−−++}(s, t, u) and gives their M^(1)_{−+−+} and M^(1)_{+−−+} by crossing.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from hepemu.physics.kinematics import dot

ALPHA = 1 / 137.036
ALPHA_S = 0.118
SUM_Q2_FIVE_FLAVOURS = 2 * (2 / 3) ** 2 + 3 * (1 / 3) ** 2  # u, c and d, s, b


def log_minus(x: np.ndarray) -> np.ndarray:
    """ln(−x − i0) for real x: ln|x| − iπ θ(x)."""
    x = np.asarray(x, dtype=float)
    return np.log(np.abs(x)) - 1j * np.pi * (x > 0)


def box_function(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """F(a; b, c) = −½ (b²+c²)/a² [(L_b − L_c)² + π²] − (b−c)/a (L_b − L_c) − 1, L = ln(−x−i0).

    BDD (2001) eq. (2.5) for M^(1)_{−−++}(s, t, u) = F(s; t, u); symmetric in b ↔ c.
    """
    diff = log_minus(b) - log_minus(c)
    return -0.5 * (b**2 + c**2) / a**2 * (diff**2 + np.pi**2) - (b - c) / a * diff - 1.0


def invariants(k: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
    """s_ij = (k_i + k_j)² for the six pairs of four momenta (N, 4, 4)."""
    return {(i, j): 2 * dot(k[:, i], k[:, j]) for i, j in combinations(range(4), 2)}


def helicity_amplitudes(p: np.ndarray) -> dict[tuple[int, ...], np.ndarray]:
    """M^(1) for all 16 helicity configurations (all outgoing, ±1), up to phases.

    Parameters
    ----------
    p
        Physical momenta (N, 4, 4): incoming gluons 1, 2, then outgoing photons 3, 4.
    """
    k = np.asarray(p, dtype=float).copy()
    k[:, :2] *= -1  # all outgoing
    s = invariants(k)
    out: dict[tuple[int, ...], np.ndarray] = {}
    for hel in np.ndindex(2, 2, 2, 2):
        h = tuple(1 - 2 * x for x in hel)  # 0 → +1, 1 → −1
        neg = [i for i in range(4) if h[i] < 0]
        if len(neg) != 2:
            out[h] = np.ones(len(k), dtype=complex)
            continue
        # the channel s_0m (= s_ij) holding the negative pair, and the other two channels
        m = neg[1] if neg[0] == 0 else next(i for i in range(1, 4) if i not in neg)
        b, c = (s[(0, q)] for q in range(1, 4) if q != m)
        out[h] = box_function(s[(0, m)], b, c)
    return out


def msq(
    p: np.ndarray,
    sum_q2: float = SUM_Q2_FIVE_FLAVOURS,
    alpha: float = ALPHA,
    alpha_s: float = ALPHA_S,
) -> np.ndarray:
    """|M|² summed over final and averaged over initial helicities and colours, × ½ for the
    identical photons (dimensionless), for physical momenta (N, 4, 4)."""
    total = sum(np.abs(m) ** 2 for m in helicity_amplitudes(p).values())
    colour = 8.0  # δ^{ab} δ^{ab}
    average = 1 / (4 * 64)
    return 0.5 * average * colour * (4 * alpha * alpha_s * sum_q2) ** 2 * total
