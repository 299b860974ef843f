"""Spinor products ⟨ij⟩, [ij] and polarisation vectors for real massless momenta, vectorised.

Conventions of Dixon, "Calculating scattering amplitudes efficiently", TASI 1995
[hep-ph/9601359], sec. 2: every leg outgoing (an incoming momentum enters negated, with
negative energy), ⟨ij⟩[ji] = s_ij = 2 k_i·k_j, and ε(i,j,m,n) = [ij]⟨jm⟩[mn]⟨ni⟩ −
⟨ij⟩[jm]⟨mn⟩[ni] = 4i ε_μνρσ k_i^μ k_j^ν k_m^ρ k_n^σ. A momentum k is the 2×2 matrix
K = k⁰ + k⃗·σ⃗ = λ λ̃ᵀ with λ = (√k⁺, k_⊥/√k⁺), λ̃ = (√k⁺, k̄_⊥/√k⁺), k^± = k⁰ ± k³,
k_⊥ = k¹ + i k²; for k⁺ < 0 the root is i√|k⁺|, which continues the spinors to negative
energy. Momenta along −z (k⁺ = 0, e.g. a beam) have no such spinors, so every momentum is
first turned by one fixed rotation (:data:`FRAME`): spinor products change only by phases,
which cancel in every |amplitude|² and in ratios of amplitudes built from the same spinors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A fixed generic rotation (Euler angles 0.3, 1.1, 2.3): no beam along ±z maps to −z.
_a, _b, _c = 0.3, 1.1, 2.3
_RZ1 = np.array([[np.cos(_a), -np.sin(_a), 0], [np.sin(_a), np.cos(_a), 0], [0, 0, 1]])
_RY = np.array([[np.cos(_b), 0, np.sin(_b)], [0, 1, 0], [-np.sin(_b), 0, np.cos(_b)]])
_RZ2 = np.array([[np.cos(_c), -np.sin(_c), 0], [np.sin(_c), np.cos(_c), 0], [0, 0, 1]])
FRAME = _RZ2 @ _RY @ _RZ1


def rotate(k: np.ndarray) -> np.ndarray:
    """Apply :data:`FRAME` to the spatial parts of momenta (..., 4)."""
    out = np.array(k, dtype=float, copy=True)
    out[..., 1:] = k[..., 1:] @ FRAME.T
    return out


def two_spinors(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """λ and λ̃ of momenta (..., 4), each (..., 2) complex (in the :data:`FRAME`)."""
    k = rotate(k)
    kp = (k[..., 0] + k[..., 3]).astype(complex)
    root = np.sqrt(kp)  # principal root: i√|k⁺| for k⁺ < 0
    perp = k[..., 1] + 1j * k[..., 2]
    lam = np.stack([root, perp / root], axis=-1)
    lamt = np.stack([root, np.conj(perp) / root], axis=-1)
    return lam, lamt


@dataclass(frozen=True)
class Spinors:
    """Spinor products of n massless momenta for N points.

    Attributes
    ----------
    a, b
        ⟨ij⟩ and [ij], each (N, n, n) complex, antisymmetric.
    s
        s_ij = ⟨ij⟩[ji], (N, n, n) real.
    """

    a: np.ndarray
    b: np.ndarray
    s: np.ndarray

    @classmethod
    def of(cls, k: np.ndarray) -> Spinors:
        """Spinor products of all-outgoing massless momenta k of shape (N, n, 4)."""
        lam, lamt = two_spinors(np.asarray(k, dtype=float))
        a = lam[:, :, None, 0] * lam[:, None, :, 1] - lam[:, :, None, 1] * lam[:, None, :, 0]
        b = -(lamt[:, :, None, 0] * lamt[:, None, :, 1] - lamt[:, :, None, 1] * lamt[:, None, :, 0])
        s = (a * np.swapaxes(b, 1, 2)).real
        return cls(a=a, b=b, s=s)

    def eps(self, i: int, j: int, m: int, n: int) -> np.ndarray:
        """ε(i,j,m,n) = 4i ε_μνρσ k_i k_j k_m k_n (Dixon's tr₅ convention), shape (N,)."""
        a, b = self.a, self.b
        return (
            b[:, i, j] * a[:, j, m] * b[:, m, n] * a[:, n, i]
            - a[:, i, j] * b[:, j, m] * a[:, m, n] * b[:, n, i]
        )


def vector_of(m: np.ndarray) -> np.ndarray:
    """The complex 4-vector v with v⁰ + v⃗·σ⃗ = m for 2×2 matrices m (..., 2, 2), in FRAME."""
    v0 = (m[..., 0, 0] + m[..., 1, 1]) / 2
    v3 = (m[..., 0, 0] - m[..., 1, 1]) / 2
    v1 = (m[..., 0, 1] + m[..., 1, 0]) / 2
    v2 = 1j * (m[..., 0, 1] - m[..., 1, 0]) / 2
    return np.stack([v0, v1, v2, v3], axis=-1)


def polarisations(k: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ε₊, ε₋ of gluons/photons k with reference momenta q (Dixon sec. 3), shapes (..., 4).

    ε₊^μ(k; q) = ⟨q|γ^μ|k]/(√2⟨qk⟩), ε₋^μ(k; q) = ⟨k|γ^μ|q]/(√2[kq]), written as the
    vectors of the matrices √2 λ_q λ̃_kᵀ/⟨qk⟩ and √2 λ_k λ̃_qᵀ/[kq]; ε₊·ε₋ = −1,
    ε±·k = ε±·q = 0. The vectors are returned in the original frame (FRAME undone).
    """
    lk, ltk = two_spinors(k)
    lq, ltq = two_spinors(q)
    aqk = lq[..., 0] * lk[..., 1] - lq[..., 1] * lk[..., 0]
    bkq = -(ltk[..., 0] * ltq[..., 1] - ltk[..., 1] * ltq[..., 0])
    plus = np.sqrt(2) * lq[..., :, None] * ltk[..., None, :] / aqk[..., None, None]
    minus = np.sqrt(2) * lk[..., :, None] * ltq[..., None, :] / bkq[..., None, None]
    return _unrotate(vector_of(plus)), _unrotate(vector_of(minus))


def _unrotate(v: np.ndarray) -> np.ndarray:
    out = v.copy()
    out[..., 1:] = v[..., 1:] @ FRAME  # FRAME is orthogonal: its inverse is its transpose
    return out
