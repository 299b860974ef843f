"""Quark-loop parts A₅;₁^[1/2] of the one-loop five-gluon primitive amplitudes, vectorised.

Bern, Dixon & Kosower, Phys. Rev. Lett. 70 (1993) 2677 [hep-ph/9302280], eqs. (4), (8)–(10)
(and Nucl. Phys. B437 (1995) 259 [hep-ph/9409393]), for the helicity classes (+++++),
(−++++), (−−+++) and (−+−++), normalised as (16π²)(−i) A₅;₁^[1/2] (the normalisation of
Bern, Dixon & Schmidt, Phys. Rev. D66 (2002) 074018 [hep-ph/0206194], eq. (8)). Every term
proportional to the tree amplitude that does not depend on the ordering (the 1/ε poles,
ln μ² and the constants of V^f, V^s) is dropped: it cancels in every photon-decoupling sum
(the only use here). Logarithms are ln(−s_ij − i0) of invariants divided by a common scale.

A class function takes an :class:`Ordered` view (spinor products gathered for M orderings
at once, positions 1 … 5 as in the paper) and returns an (M, 2, N) complex array (both parities).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepemu.physics.loop.loop_functions import l0, l1, l2, log_minus, ls1


@dataclass(frozen=True)
class Tables:
    """Spinor products of N points as rows of pairs (5i + j): (25, 2, N) complex for ⟨ij⟩,
    [ij] and their reciprocals (entry 1 the parity image ⟨⟩ ↔ []), (25, 1, N) for s_ij
    (real), 1/s_ij (complex) and ln(−s_ij/scale − i0) (one scale per point)."""

    angle: np.ndarray
    square: np.ndarray
    inv_angle: np.ndarray
    inv_square: np.ndarray
    s: np.ndarray
    inv_s: np.ndarray
    logs: np.ndarray

    @classmethod
    def of(cls, za: np.ndarray, zb: np.ndarray, s: np.ndarray) -> Tables:
        """From ⟨ij⟩, [ij], s_ij, each (N, 5, 5)."""

        def rows(m: np.ndarray) -> np.ndarray:  # (..., N, 5, 5) → (25, ..., N), rows contiguous
            m = m.reshape(*m.shape[:-2], 25)
            return np.ascontiguousarray(np.moveaxis(m, -1, 0))

        eye = np.eye(za.shape[-1])  # the diagonal is never used: keeps the reciprocals finite
        both = np.stack([za, zb])
        flip = both[::-1]
        return cls(
            angle=rows(both),
            square=rows(flip),
            inv_angle=rows(1 / (both + eye)),
            inv_square=rows(1 / (flip + eye)),
            s=rows(s[None]),
            inv_s=rows(1 / (s[None] + eye) + 0j),  # complex: multiplies complex arrays uncast
            logs=rows(log_table(s)[None]),
        )


class Ordered:
    """The :class:`Tables` of N points gathered for M orderings P (M, 5) of the five legs.

    ``a(i, j)`` is ⟨P_i P_j⟩ and ``b(i, j)`` is [P_i P_j], each (M, 2, N): entry 1 is the
    parity image (⟨⟩ ↔ [], every helicity flipped); ``s(i, j)`` is s_{P_i P_j} and
    ``ratio(i, j, k, l)`` is (s_ij/s_kl, ln((−s_ij − i0)/(−s_kl − i0))), each (M, 1, N): the
    loop functions are the same for both parities. Positions i, j are 1 … 5; gathers are
    cached.
    """

    def __init__(self, tables: Tables, order: np.ndarray):
        self._t = tables
        self._order = np.asarray(order)
        self._cache: dict = {}

    def _take(self, name: str, i: int, j: int) -> np.ndarray:
        """Table ``name`` at positions i, j of every ordering: (M, ·, N)."""
        key = (name, i, j)
        if key not in self._cache:
            rows = 5 * self._order[:, i - 1] + self._order[:, j - 1]
            self._cache[key] = np.take(getattr(self._t, name), rows, axis=0)
        return self._cache[key]

    def a(self, i: int, j: int) -> np.ndarray:
        return self._take("angle", i, j)

    def b(self, i: int, j: int) -> np.ndarray:
        return self._take("square", i, j)

    def ia(self, i: int, j: int) -> np.ndarray:
        """1/⟨ij⟩."""
        return self._take("inv_angle", i, j)

    def ib(self, i: int, j: int) -> np.ndarray:
        """1/[ij]."""
        return self._take("inv_square", i, j)

    def s(self, i: int, j: int) -> np.ndarray:
        return self._take("s", i, j)

    def inv_s(self, i: int, j: int) -> np.ndarray:
        """1/s_ij (as a complex array)."""
        return self._take("inv_s", i, j)

    def inv_ring(self) -> np.ndarray:
        """1/(⟨12⟩⟨23⟩⟨34⟩⟨45⟩⟨51⟩)."""
        if "ring" not in self._cache:
            ia = self.ia
            self._cache["ring"] = ia(1, 2) * ia(2, 3) * ia(3, 4) * ia(4, 5) * ia(5, 1)
        return self._cache["ring"]

    def log(self, i: int, j: int) -> np.ndarray:
        """ln(−s_ij/scale − i0), one scale per point (the same for every ordering)."""
        return self._take("logs", i, j)

    def ratio(self, i: int, j: int, k: int, l: int) -> tuple[np.ndarray, np.ndarray]:
        lnr = self.log(i, j) - self.log(k, l)
        return self.s(i, j) / self.s(k, l), lnr


def _cube(x: np.ndarray) -> np.ndarray:
    """x³ by multiplication (numpy's complex power is several times slower)."""
    return x * x * x


def all_plus(v: Ordered) -> np.ndarray:
    """(+++++): BDK (1993) eq. (4); A^[1/2] = −A^[0] (the N=1 and N=4 parts vanish)."""
    a, b, s = v.a, v.b, v.s
    s12, s23, s34, s45, s51 = s(1, 2), s(2, 3), s(3, 4), s(4, 5), s(5, 1)
    sym = s12 * s23 + s23 * s34 + s34 * s45 + s45 * s51 + s51 * s12
    asym = b(1, 2) * a(2, 3) * b(3, 4) * a(4, 1) - a(1, 2) * b(2, 3) * a(3, 4) * b(4, 1)
    return -(sym + asym) * v.inv_ring() / 6


def one_minus(v: Ordered) -> np.ndarray:
    """(−++++): BDK (1993) eq. (4) (sign fixed by the collinear limits)."""
    a, b, s, ia, ib = v.a, v.b, v.s, v.ia, v.ib
    a13, a14 = a(1, 3), a(1, 4)
    inner = (
        (a(1, 2) * a13) ** 2 * b(2, 3) * ia(2, 3)
        + (a13 * a14) ** 2 * b(3, 4) * ia(3, 4)
        + (a14 * a(1, 5)) ** 2 * b(4, 5) * ia(4, 5)
    )
    b25 = b(2, 5)
    x = (
        (s(2, 3) + s(3, 4) + s(4, 5)) * b25**2
        - b(2, 4) * a(4, 3) * b(3, 5) * b25
        - b(1, 2) * b(1, 5) * ia(1, 2) * ia(1, 5) * inner
    )
    return x * ib(1, 2) * ia(2, 3) * ia(3, 4) * ia(4, 5) * ib(5, 1) / 3


def _tree_like(v: Ordered, numerator: np.ndarray, i: tuple, j: tuple) -> np.ndarray:
    """(V^f + V^s) A^tree without the ordering-independent terms: ⅓(ln(−s_i) + ln(−s_j)) A^tree.

    BDK (1993) eq. (10): V^f = −5/(2ε) − ½[ln(μ²/−s_i) + ln(μ²/−s_j)] − 2, V^s = −V^f/3 + 2/9.
    """
    return (v.log(*i) + v.log(*j)) / 3 * numerator * v.inv_ring()


def adjacent_minus(v: Ordered) -> np.ndarray:
    """(−−+++): BDK (1993) eqs. (8), (10); −(V^f + V^s) A^tree − (F^f + F^s)."""
    a, b, ia, ib = v.a, v.b, v.ia, v.ib
    r = v.ratio(2, 3, 5, 1)
    q51 = v.inv_s(5, 1)
    a12, a41, a24, b34, b45, b35 = a(1, 2), a(4, 1), a(2, 4), b(3, 4), b(4, 5), b(3, 5)
    g = ia(3, 4) * ia(4, 5)  # 1/(⟨34⟩⟨45⟩)
    chain = a(2, 3) * b34 * a41 + a24 * b45 * a(5, 1)
    ff = -(a12**2) * l0(*r) * chain * ia(2, 3) * g * ia(5, 1) * q51 / 2
    fs_rest = (
        -b34 * a41 * a24 * b45 * l2(*r) * chain * g * _cube(q51) / 3
        - a(3, 5) * _cube(b35) * ib(1, 2) * ib(2, 3) * g * ib(5, 1) / 3
        + a12 * b35**2 * ib(2, 3) * g * ib(5, 1) / 3
        + a12 * b34 * a41 * a24 * b45 * v.inv_s(2, 3) * g * q51 / 6
    )
    # F^f + F^s = F^f − F^f/3 + (the rest of F^s)
    return -_tree_like(v, a12**4, (2, 3), (5, 1)) - (2 * ff / 3 + fs_rest)


def split_minus(v: Ordered) -> np.ndarray:
    """(−+−++): BDK (1993) eqs. (9), (10); −(V^f + V^s) A^tree − (F^f + F^s)."""
    a, b, ia, ib = v.a, v.b, v.ia, v.ib
    q34, q51 = v.inv_s(3, 4), v.inv_s(5, 1)
    r23_51, r34_51 = v.ratio(2, 3, 5, 1), v.ratio(3, 4, 5, 1)
    r12_34, r51_34 = v.ratio(1, 2, 3, 4), v.ratio(5, 1, 3, 4)
    lsa = ls1(*r23_51, *r34_51)
    lsb = ls1(*r12_34, *r51_34)
    a12, a13, a15, a23, a34 = a(1, 2), a(1, 3), a(1, 5), a(2, 3), a(3, 4)
    a41, a53, b24, b25 = a(4, 1), a(5, 3), b(2, 4), b(2, 5)
    i24, i25, i45 = ia(2, 4), ia(2, 5), ia(4, 5)
    g4 = i45 * ia(5, 1)  # 1/(⟨45⟩⟨51⟩)
    g5 = i45 * ia(3, 4)  # 1/(⟨54⟩⟨43⟩) = 1/(⟨45⟩⟨34⟩)
    x4, x5 = a41 * b24, a53 * b25  # ⟨41⟩[24], ⟨53⟩[25]
    chain = a15 * b(5, 2) * a23 - a34 * b(4, 2) * a(2, 1)
    a13_2 = a13**2
    ff = (
        -a13_2 * a41 * b24**2 * g4 * q51**2 * lsa
        + a13_2 * a53 * b25**2 * g5 * q34**2 * lsb
        # with F^s's ⟨13⟩³ L₀ term: −½ + ⅙ = −⅓
        - a13_2 * a13 * l0(*r34_51) * chain * v.inv_ring() * q51 / 3
    )
    fs = (
        -a12 * a23 * a34 * x4**2 * g4 * i24**2 * q51**2 * (2 * lsa + l1(*r23_51) + l1(*r34_51))
        + a23 * a12 * a15 * x5**2 * g5 * i25**2 * q34**2 * (2 * lsb + l1(*r12_34) + l1(*r51_34))
        + 2 * a23**2 * _cube(x4) * l2(*r23_51) * g4 * i24 * _cube(q51) / 3
        - 2 * a12**2 * _cube(x5) * l2(*r12_34) * g5 * i25 * _cube(q34) / 3
        + l2(*r34_51)
        * _cube(q51)
        * (
            a13 * b24 * b25 * i45 * chain / 3
            + 2 * (a12 * a34) ** 2 * a41 * _cube(b24) * g4 * i24 / 3
            - 2 * (a23 * a15) ** 2 * a53 * _cube(b25) * g5 * i25 / 3
        )
        + (b24 * b25) ** 2 * i45 * ib(1, 2) * ib(2, 3) * ib(3, 4) * ib(5, 1) / 3
        - a12 * a41**2 * _cube(b24) * g4 * i24 * ib(2, 3) * ib(3, 4) * q51 / 3
        + a23 * a53**2 * _cube(b25) * g5 * i25 * ib(1, 2) * ib(1, 5) * q34 / 3
        + a13_2 * b24 * b25 * q34 * i45 * q51 / 6
    )
    return -_tree_like(v, a13_2**2, (3, 4), (5, 1)) - (ff + fs)


# class → the positions (0-based) of its negative helicities along the ordering
CLASSES = {
    "all_plus": (all_plus, ()),
    "one_minus": (one_minus, (0,)),
    "adjacent_minus": (adjacent_minus, (0, 1)),
    "split_minus": (split_minus, (0, 2)),
}


def log_table(s: np.ndarray) -> np.ndarray:
    """ln(−s_ij/scale − i0) for every pair, scale = max |s_ij| per point; (N, 5, 5)."""
    scale = np.max(np.abs(s), axis=(1, 2), keepdims=True)
    off = s / scale + np.eye(s.shape[1])  # the diagonal (s_ii = 0) is never used
    return log_minus(off)
