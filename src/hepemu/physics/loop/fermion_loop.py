"""Massless fermion loops with external gauge bosons, from Feynman rules and numerical reduction.

A diagram is one cyclic ordering σ of the bosons around the loop (both orientations count):
−∫ d⁴l/(2π)⁴ Tr[ε̸_σn S(l − q_{n−1}) ⋯ ε̸_σ1 S(l)] / Π d_i with q_i = k_σ1 + ⋯ + k_σi (all
momenta outgoing), S(p) = p̸ in 4 − 2ε dimensions: p̸ + iμγ₅ represents the (−2ε)-dimensional
part (μ̸² = −μ², anticommuting with every 4-dimensional γ; odd powers of μ dropped).
Couplings and colour are left to the caller: each diagram returns
R_σ = ∫ dᴰl/(iπ^{D/2} r_Γ) (−Tr[…]/Π d_i), so that ∫ dᴰl/(2π)ᴰ(…) = i R_σ/(16π²).
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from hepemu.physics.loop.spinors import polarisations
from hepemu.physics.loop.unitarity import Reduction

_I2 = np.eye(2)
_Z2 = np.zeros((2, 2))
_SIGMA = [
    np.array([[0, 1], [1, 0]], dtype=complex),
    np.array([[0, -1j], [1j, 0]], dtype=complex),
    np.array([[1, 0], [0, -1]], dtype=complex),
]
GAMMA = np.array(
    [np.block([[_Z2, _I2], [_I2, _Z2]]).astype(complex)]
    + [np.block([[_Z2, s], [-s, _Z2]]) for s in _SIGMA]
)  # Weyl representation, γ^μ
GAMMA5 = np.block([[-_I2, _Z2], [_Z2, _I2]]).astype(complex)
_LOWER = np.array([1.0, -1.0, -1.0, -1.0])


def slash(v: np.ndarray) -> np.ndarray:
    """v̸ = v_μ γ^μ for complex 4-vectors (..., 4) → (..., 4, 4)."""
    return np.einsum("...m,mab->...ab", v * _LOWER, GAMMA)


def helicity_polarisations(k: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """ε̸ for helicities (+, −) of every leg: (N, n, 2, 4, 4); ref (N, n, 4) references."""
    ep, em = polarisations(k, ref)
    return np.stack([slash(ep), slash(em)], axis=2)


def diagram(
    k: np.ndarray,
    eps_slash,
    order: tuple[int, ...],
    variant: int = 0,
    stats: dict | None = None,
) -> np.ndarray:
    """R_σ for one ordering and every helicity: (N, h₁, …, h_n, 3), legs in natural order.

    Parameters
    ----------
    k
        All-outgoing momenta (N, n, 4); a leg may be off shell (an internal gluon's current).
    eps_slash
        Per leg, ε̸ for each of its h_j polarisation states: arrays (N, h_j, 4, 4) (or one
        array (N, n, h, 4, 4)).
    order
        The cyclic order σ of the legs along the fermion line.
    variant
        The reduction's set of μ² samples (0 or 1: independent evaluations).
    stats
        If given, ``stats["gram_condition"]`` becomes the pointwise maximum of its value
        and this diagram's largest Gram condition number.
    """
    eps_list = (
        [eps_slash[:, j] for j in range(k.shape[1])]
        if not isinstance(eps_slash, list | tuple)
        else list(eps_slash)
    )
    n = len(order)
    q = np.cumsum(k[:, list(order)], axis=1)  # q_1 … q_n (q_n = 0)
    r = -q
    r[:, -1] = 0.0
    scale = np.max(np.abs(k[..., 0]), axis=1) ** 2

    half = (n + 1) // 2  # legs σ1 … σ_half on the right, the rest on the left

    def numerator(l: np.ndarray, mu2: np.ndarray) -> np.ndarray:
        """−Tr[ε̸_σn S ⋯ ε̸_σ1 S(l)], μ-even part, as Tr(L·R) of two half chains."""
        mu = np.sqrt(mu2)
        total = 0.0
        for sign in (1.0, -1.0):
            mu5 = sign * 1j * mu[..., None, None] * GAMMA5

            def prop(pos: int, mu5: np.ndarray = mu5) -> np.ndarray:
                """S(l − q_pos), pos = 0 … n−1 (q_0 = q_n = 0)."""
                return slash(l + r[:, None, (pos - 1) % n]) + mu5

            right = prop(0)[:, :, None]  # (N, S, H, 4, 4)
            for pos in range(half):
                right = _left(eps_list[order[pos]], right)
                if pos < half - 1:
                    right = prop(pos + 1)[:, :, None] @ right
            left = prop(half)[:, :, None]
            for pos in range(half, n):
                left = _left(eps_list[order[pos]], left)
                if pos < n - 1:
                    left = prop(pos + 1)[:, :, None] @ left
            # Tr(L R) for every pair of helicity states; R's legs vary slowest
            both = np.einsum("nslij,nsrji->nsrl", left, right)
            total = total + both.reshape(both.shape[0], both.shape[1], -1)
        return -0.5 * total

    red = Reduction(r, numerator, scale, variant)
    out = red.run()
    if stats is not None:
        stats["gram_condition"] = np.maximum(
            stats.get("gram_condition", 1.0), red.gram_condition
        )  # (N, Π h, 3), helicity axes in σ order (first leg slowest)
    sizes = [eps_list[j].shape[1] for j in order]
    shaped = out.reshape((len(k), *sizes, 3))
    inverse = np.argsort(order)
    return np.transpose(shaped, (0, *(1 + inverse), n + 1))


def _left(eps: np.ndarray, mat: np.ndarray) -> np.ndarray:
    """ε̸ (N, 2, 4, 4) times mat (N, S, H, 4, 4) → (N, S, 2H, 4, 4); the new axis varies fastest."""
    out = eps[:, None, None] @ mat[:, :, :, None]  # (N, S, H, g, 4, 4)
    n, s, h, g = out.shape[:4]
    return out.reshape(n, s, h * g, 4, 4)


def amplitude(k: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Σ over all (n−1)! orderings of R_σ: (N, 2, …, 2, 3); k all outgoing (N, n, 4)."""
    n = k.shape[1]
    eps_slash = helicity_polarisations(k, ref)
    total = 0.0
    for rest in permutations(range(1, n)):
        total = total + diagram(k, eps_slash, (0, *rest))
    return total
