"""The planar two-loop double box of gg→HH with a top loop, in sector-decomposed Feynman
parameters (Euclidean region).

Gluons p1, p2 attach to the left loop, the Higgs bosons p3, p4 to the right one; six outer
propagators of mass mt², a massless middle rung (issue 16; the two-loop topology of
Borowka et al., arXiv:1604.06447, fig. 1). In D = 4 it is finite: with ν = 7, L = 2,
I = (−1)^ν Γ(ν − LD/2) ∫ δ(1 − Σx) U^(ν−3D/2) / F^(ν−LD/2) = −Γ(3) ∫ U / F³
(Heinrich, Phys. Rept. 922 (2021), eq. 2.8; pySecDec normalisation ∫ d^Dk/(iπ^(D/2)) per loop).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import sympy as sp

from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.feynman import FeynmanIntegral
from hepemu.physics.integrals.gghh import (
    EUCLIDEAN,
    EUCLIDEAN_NOTE,
    MT2,
    PARAMS,
    REGION,
    gghh_kinematics,
)
from hepemu.physics.integrals.sectors import Polynomial, SectorSum, decompose


def double_box_feynman_integral() -> tuple[FeynmanIntegral, tuple[sp.Symbol, ...]]:
    """The double box from its propagators.

    Left loop k1: k1, k1+p1, k1+p1+p2; right loop k2: k2+p1+p2, k2−p4, k2; rung k1−k2
    (all incoming, p3 = −p1−p2−p4). Returns the integral and (s12, s14, mH2, mt2).
    """
    k1, k2 = sp.symbols("k1 k2")
    (p1, p2, p4), rules, invariants = gghh_kinematics()
    mt2 = invariants[-1]
    props = [
        (k1, mt2),
        (k1 + p1, mt2),
        (k1 + p1 + p2, mt2),
        (k2 + p1 + p2, mt2),
        (k2 - p4, mt2),
        (k2, mt2),
        (k1 - k2, 0),
    ]
    return FeynmanIntegral([k1, k2], [p1, p2, p4], props, rules), invariants


@cache
def double_box_sector_list() -> tuple[list, tuple[sp.Symbol, ...], float, list[int]]:
    """The double box's final sectors at mt² = 1, its parameters (s12, s14, mH2), the
    prefactor, and each sector's primary sector (the x_l set to 1); built once."""
    fi, (s12, s14, mh2, mt2) = double_box_feynman_integral()
    U, F = fi.symanzik
    a_u, a_f = fi.exponents
    U, F = U.subs(mt2, MT2), F.subs(mt2, MT2)
    sectors, primary = [], []
    for l in range(len(fi.x_symbols)):  # primary sectors x_l = 1 (Binoth–Heinrich)
        xs = fi.sector_variables(l)
        polys = [
            Polynomial.from_expr(U.subs(fi.x_symbols[l], 1), xs, int(a_u)),
            Polynomial.from_expr(F.subs(fi.x_symbols[l], 1), xs, -int(a_f)),
        ]
        found = decompose(polys)
        sectors += found
        primary += [l] * len(found)
    n = sum(fi.powers) - fi.n_loops * fi.dimension / 2  # ν − LD/2 = 3
    prefactor = (-1) ** sum(fi.powers) * float(sp.gamma(n))
    return sectors, (s12, s14, mh2), prefactor, primary


@cache
def double_box_sectors(subset: tuple[int, ...] | None = None) -> SectorSum:
    """The double box at mt² = 1 as a sum of sector integrands on [0,1]⁶ (built once), or
    the sum over the final sectors ``subset`` only (indices into :func:`double_box_sector_list`;
    the subsets of a partition add up to the whole integral)."""
    sectors, params, prefactor, _ = double_box_sector_list()
    if subset is not None:
        bad = [i for i in subset if not 0 <= i < len(sectors)]
        if bad or not subset:
            raise ValueError(f"sector indices must lie in 0..{len(sectors) - 1}, got {subset}")
        if len(set(subset)) != len(subset):
            raise ValueError(f"a sector is listed twice in {subset}: it would count twice")
        sectors = [sectors[i] for i in subset]
    return SectorSum(sectors, params, prefactor)


class DoubleBoxIntegrand:
    """Σ over sectors of the double box integrand (prefactor −2 included), x on [0,1]⁶, or
    over the final sectors ``subset``; the sectors are built on first use (the sympy
    decomposition takes seconds)."""

    def __init__(self, subset: tuple[int, ...] | None = None) -> None:
        self.subset = None if subset is None else tuple(int(i) for i in subset)

    def __call__(self, s, x):
        return double_box_sectors(self.subset)(s, x)

    def weighted_sums(self, s, x, weights):
        """A quadrature rule applied to every parameter point at once (see SectorSum)."""
        return double_box_sectors(self.subset).weighted_sums(s, x, weights)

    def tensor_sums(self, s, x, weights):
        """A tensor rule of 1-D nodes and weights for every parameter point (see SectorSum)."""
        return double_box_sectors(self.subset).tensor_sums(s, x, weights)


GGHH_DBOX = ParametricIntegral(
    name="gghh-dbox-2l",
    param_names=PARAMS,
    param_ranges=REGION,
    dim=6,
    integrand=DoubleBoxIntegrand(),
    description="gg→HH planar two-loop double box, top loop (mt²=1), massless rung; "
    "sum of sector-decomposed integrands (Binoth–Heinrich), prefactor −Γ(3)",
    fixed={"mt2": MT2},
    valid_ranges=EUCLIDEAN,
    valid_note=EUCLIDEAN_NOTE,
)


def parse_sector_spec(spec: str) -> tuple[int, ...]:
    """``"0-4,7"`` → (0, 1, 2, 3, 4, 7); ``"primary=2"`` → the final sectors of primary
    sector 2 (x₂ = 1)."""
    if spec.startswith("primary="):
        want = int(spec.removeprefix("primary="))
        primary = double_box_sector_list()[3]
        if want not in primary:
            raise ValueError(f"primary sectors are 0..{max(primary)}, got {want}")
        return tuple(i for i, l in enumerate(primary) if l == want)
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return tuple(out)


def double_box_subset(spec: str) -> ParametricIntegral:
    """The double box restricted to the final sectors of ``spec`` (:func:`parse_sector_spec`),
    registered as ``gghh-dbox-2l#sectors=<spec>``: per-sector networks, combined by adding."""
    try:
        subset = parse_sector_spec(spec)
    except ValueError as exc:
        raise ValueError(f"bad sector list {spec!r}: {exc}") from None
    double_box_sectors(subset)  # checks the indices
    return replace(
        GGHH_DBOX,
        name=f"{GGHH_DBOX.name}#sectors={spec}",
        integrand=DoubleBoxIntegrand(subset),
        description=f"{GGHH_DBOX.description}; final sectors {spec} only",
    )
