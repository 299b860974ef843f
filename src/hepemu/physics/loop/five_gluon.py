"""Quark-loop parts A₅;₁^[1/2] of the one-loop five-gluon primitive amplitudes, vectorised.

Bern, Dixon & Kosower, Phys. Rev. Lett. 70 (1993) 2677 [hep-ph/9302280], eqs. (4), (8)–(10)
(and Nucl. Phys. B437 (1995) 259 [hep-ph/9409393]), for the helicity classes (+++++),
(−++++), (−−+++) and (−+−++), normalised as (16π²)(−i) A₅;₁^[1/2] (the normalisation of
Bern, Dixon & Schmidt, Phys. Rev. D66 (2002) 074018 [hep-ph/0206194], eq. (8)). Every term
proportional to the tree amplitude that does not depend on the ordering (the 1/ε poles,
ln μ² and the constants of V^f, V^s) is dropped: it cancels in every photon-decoupling sum
(the only use here). Logarithms are ln(−s_ij − i0) of invariants divided by a common scale.

A class function takes an :class:`Ordered` view (spinor products gathered for M orderings
at once, positions 1 … 5 as in the paper) and returns a (2, M, N) complex array (both parities).
"""

from __future__ import annotations

import numpy as np

from hepemu.physics.loop.loop_functions import l0, l1, l2, log_minus, ls1


class Ordered:
    """Spinor products of N points for M orderings P (M, 5) of the five legs, both parities.

    ``a(i, j)`` is ⟨P_i P_j⟩ and ``b(i, j)`` is [P_i P_j], each (2, M, N): the second entry is
    the parity image (⟨⟩ ↔ [], every helicity flipped); ``s(i, j)`` is s_{P_i P_j} and
    ``ratio(i, j, k, l)`` is (s_ij/s_kl, ln((−s_ij − i0)/(−s_kl − i0))), each (M, N): the
    loop functions are the same for both parities. Positions i, j are 1 … 5. Gathers are
    cached (products are antisymmetric, invariants symmetric).
    """

    def __init__(self, za: np.ndarray, zb: np.ndarray, s: np.ndarray, order: np.ndarray):

        def flat(m: np.ndarray) -> np.ndarray:  # (..., N, 5, 5) → (..., 25, N): rows contiguous
            return np.moveaxis(m.reshape(*m.shape[:-2], 25), -1, -2).copy()

        self._angle = flat(np.stack([za, zb]))  # (2, 25, N)
        self._square = flat(np.stack([zb, za]))
        self._s = flat(s)
        self._logs = flat(log_table(s))
        self._order = np.asarray(order)
        self._cache: dict = {}

    def _take(self, name: str, m: np.ndarray, i: int, j: int, sign: int) -> np.ndarray:
        """The products of positions i, j for every ordering: (..., M, N)."""
        lo, hi = min(i, j), max(i, j)
        key = (name, lo, hi)
        if key not in self._cache:
            rows = 5 * self._order[:, lo - 1] + self._order[:, hi - 1]
            self._cache[key] = np.take(m, rows, axis=-2)
        out = self._cache[key]
        return -out if (sign < 0 and i > j) else out

    def a(self, i: int, j: int) -> np.ndarray:
        return self._take("a", self._angle, i, j, -1)

    def b(self, i: int, j: int) -> np.ndarray:
        return self._take("b", self._square, i, j, -1)

    def s(self, i: int, j: int) -> np.ndarray:
        return self._take("s", self._s, i, j, 1)

    def log(self, i: int, j: int) -> np.ndarray:
        """ln(−s_ij/scale − i0), one scale per point (the same for every ordering)."""
        return self._take("l", self._logs, i, j, 1)

    def ratio(self, i: int, j: int, k: int, l: int) -> tuple[np.ndarray, np.ndarray]:
        lnr = self.log(i, j) - self.log(k, l)
        return self.s(i, j) / self.s(k, l), lnr


def all_plus(v: Ordered) -> np.ndarray:
    """(+++++): BDK (1993) eq. (4); A^[1/2] = −A^[0] (the N=1 and N=4 parts vanish)."""
    a, b, s = v.a, v.b, v.s
    sym = (
        s(1, 2) * s(2, 3)
        + s(2, 3) * s(3, 4)
        + s(3, 4) * s(4, 5)
        + s(4, 5) * s(5, 1)
        + s(5, 1) * s(1, 2)
    )
    asym = b(1, 2) * a(2, 3) * b(3, 4) * a(4, 1) - a(1, 2) * b(2, 3) * a(3, 4) * b(4, 1)
    return -(sym + asym) / (6 * a(1, 2) * a(2, 3) * a(3, 4) * a(4, 5) * a(5, 1))


def one_minus(v: Ordered) -> np.ndarray:
    """(−++++): BDK (1993) eq. (4) (sign fixed by the collinear limits)."""
    a, b, s = v.a, v.b, v.s
    inner = (
        a(1, 2) ** 2 * a(1, 3) ** 2 * b(2, 3) / a(2, 3)
        + a(1, 3) ** 2 * a(1, 4) ** 2 * b(3, 4) / a(3, 4)
        + a(1, 4) ** 2 * a(1, 5) ** 2 * b(4, 5) / a(4, 5)
    )
    x = (
        (s(2, 3) + s(3, 4) + s(4, 5)) * b(2, 5) ** 2
        - b(2, 4) * a(4, 3) * b(3, 5) * b(2, 5)
        - b(1, 2) * b(1, 5) / (a(1, 2) * a(1, 5)) * inner
    )
    return x / (3 * b(1, 2) * a(2, 3) * a(3, 4) * a(4, 5) * b(5, 1))


def _tree_like(v: Ordered, numerator: np.ndarray, i: tuple, j: tuple) -> np.ndarray:
    """(V^f + V^s) A^tree without the ordering-independent terms: ⅓(ln(−s_i) + ln(−s_j)) A^tree.

    BDK (1993) eq. (10): V^f = −5/(2ε) − ½[ln(μ²/−s_i) + ln(μ²/−s_j)] − 2, V^s = −V^f/3 + 2/9.
    """
    a = v.a
    tree = numerator / (a(1, 2) * a(2, 3) * a(3, 4) * a(4, 5) * a(5, 1))
    return (v.log(*i) + v.log(*j)) / 3 * tree


def adjacent_minus(v: Ordered) -> np.ndarray:
    """(−−+++): BDK (1993) eqs. (8), (10); −(V^f + V^s) A^tree − (F^f + F^s)."""
    a, b, s = v.a, v.b, v.s
    s23, s51 = s(2, 3), s(5, 1)
    r = v.ratio(2, 3, 5, 1)
    chain = a(2, 3) * b(3, 4) * a(4, 1) + a(2, 4) * b(4, 5) * a(5, 1)
    ff = -(a(1, 2) ** 2) * l0(*r) * chain / (2 * a(2, 3) * a(3, 4) * a(4, 5) * a(5, 1) * s51)
    fs = (
        -ff / 3
        - b(3, 4) * a(4, 1) * a(2, 4) * b(4, 5) * l2(*r) * chain / (3 * a(3, 4) * a(4, 5) * s51**3)
        - a(3, 5) * b(3, 5) ** 3 / (3 * b(1, 2) * b(2, 3) * a(3, 4) * a(4, 5) * b(5, 1))
        + a(1, 2) * b(3, 5) ** 2 / (3 * b(2, 3) * a(3, 4) * a(4, 5) * b(5, 1))
        + a(1, 2) * b(3, 4) * a(4, 1) * a(2, 4) * b(4, 5) / (6 * s23 * a(3, 4) * a(4, 5) * s51)
    )
    return -_tree_like(v, a(1, 2) ** 4, (2, 3), (5, 1)) - (ff + fs)


def split_minus(v: Ordered) -> np.ndarray:
    """(−+−++): BDK (1993) eqs. (9), (10); −(V^f + V^s) A^tree − (F^f + F^s)."""
    a, b, s = v.a, v.b, v.s
    s34, s51 = s(3, 4), s(5, 1)
    r23_51, r34_51 = v.ratio(2, 3, 5, 1), v.ratio(3, 4, 5, 1)
    r12_34, r51_34 = v.ratio(1, 2, 3, 4), v.ratio(5, 1, 3, 4)
    lsa = ls1(*r23_51, *r34_51)
    lsb = ls1(*r12_34, *r51_34)
    l0c = l0(*r34_51)
    l2c = l2(*r34_51)
    chain = a(1, 5) * b(5, 2) * a(2, 3) - a(3, 4) * b(4, 2) * a(2, 1)
    ring = a(1, 2) * a(2, 3) * a(3, 4) * a(4, 5) * a(5, 1)
    x4 = a(4, 1) * b(2, 4)  # ⟨41⟩[24]
    x5 = a(5, 3) * b(2, 5)  # ⟨53⟩[25]
    ff = (
        -(a(1, 3) ** 2) * a(4, 1) * b(2, 4) ** 2 / (a(4, 5) * a(5, 1) * s51**2) * lsa
        + a(1, 3) ** 2 * a(5, 3) * b(2, 5) ** 2 / (a(3, 4) * a(4, 5) * s34**2) * lsb
        - a(1, 3) ** 3 * l0c * chain / (2 * ring * s51)
    )
    fs = (
        -a(1, 2)
        * a(2, 3)
        * a(3, 4)
        * x4**2
        / (a(4, 5) * a(5, 1) * a(2, 4) ** 2 * s51**2)
        * (2 * lsa + l1(*r23_51) + l1(*r34_51))
        + a(3, 2)
        * a(2, 1)
        * a(1, 5)
        * x5**2
        / (a(5, 4) * a(4, 3) * a(2, 5) ** 2 * s34**2)
        * (2 * lsb + l1(*r12_34) + l1(*r51_34))
        + 2 * a(2, 3) ** 2 * x4**3 * l2(*r23_51) / (3 * a(4, 5) * a(5, 1) * a(2, 4) * s51**3)
        - 2 * a(2, 1) ** 2 * x5**3 * l2(*r12_34) / (3 * a(5, 4) * a(4, 3) * a(2, 5) * s34**3)
        + l2c
        / s51**3
        * (
            a(1, 3) * b(2, 4) * b(2, 5) / (3 * a(4, 5)) * chain
            + 2
            * (a(1, 2) * a(3, 4)) ** 2
            * a(4, 1)
            * b(2, 4) ** 3
            / (3 * a(4, 5) * a(5, 1) * a(2, 4))
            - 2
            * (a(3, 2) * a(1, 5)) ** 2
            * a(5, 3)
            * b(2, 5) ** 3
            / (3 * a(5, 4) * a(4, 3) * a(2, 5))
        )
        + a(1, 3) ** 3 * l0c * chain / (6 * ring * s51)
        + (b(2, 4) * b(2, 5)) ** 2 / (3 * b(1, 2) * b(2, 3) * b(3, 4) * a(4, 5) * b(5, 1))
        - a(1, 2)
        * a(4, 1) ** 2
        * b(2, 4) ** 3
        / (3 * a(4, 5) * a(5, 1) * a(2, 4) * b(2, 3) * b(3, 4) * s51)
        + a(3, 2)
        * a(5, 3) ** 2
        * b(2, 5) ** 3
        / (3 * a(5, 4) * a(4, 3) * a(2, 5) * b(2, 1) * b(1, 5) * s34)
        + a(1, 3) ** 2 * b(2, 4) * b(2, 5) / (6 * s34 * a(4, 5) * s51)
    )
    return -_tree_like(v, a(1, 3) ** 4, (3, 4), (5, 1)) - (ff + fs)


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
