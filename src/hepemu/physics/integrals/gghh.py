"""The one-loop gg→HH top-loop box in Feynman parameters (Euclidean region).

Sector x4 = 1: F = mt²(1+x1+x2+x3)² − x2 s14 − x2x3 mH² − x1x3 s12 − x1x2 mH²
(Bentley 2024, INN thesis eqs. 1.2–1.4; Maître & Santos-Mateos, arXiv:2211.02834).
Written with arithmetic operators only, so it evaluates NumPy arrays and torch tensors alike.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.feynman import FeynmanIntegral

REGION = ((-30.0, -3.0), (-30.0, -3.0), (-30.0, -3.0))
PARAMS = ("s12", "s14", "mH2")
MT2 = 1.0
# Euclidean region: with s12, s14, mH² ≤ 0 every term of F is ≥ 0, so F ≥ mt²U² > 0 on the cube
EUCLIDEAN = ((-np.inf, 0.0), (-np.inf, 0.0), (-np.inf, 0.0))
EUCLIDEAN_NOTE = (
    "the Euclidean region, where F > 0 on the whole cube; above it the integrand has poles "
    "on the integration domain and needs a contour deformation"
)


def box_F(s, x4x):
    """Second Symanzik polynomial of the box, ``x4x`` = (x1, x2, x3, x4) columns, mt² = 1."""
    s12, s14, mh2 = s[:, 0], s[:, 1], s[:, 2]
    x1, x2, x3, x4 = x4x
    u = x1 + x2 + x3 + x4
    return MT2 * u * u - x2 * x4 * s14 - x2 * x3 * mh2 - x1 * x3 * s12 - x1 * x2 * mh2


def sector4_integrand(s, x):
    """1/F² on the x4 = 1 primary sector (the published single-sector benchmark)."""
    f = box_F(s, (x[:, 0], x[:, 1], x[:, 2], 1.0))
    return 1.0 / (f * f)


def full_box_integrand(s, x):
    """Sum of the four primary-sector integrands: the whole box on [0,1]³."""
    x1, x2, x3 = x[:, 0], x[:, 1], x[:, 2]
    total = 0.0
    for cols in ((1.0, x1, x2, x3), (x1, 1.0, x2, x3), (x1, x2, 1.0, x3), (x1, x2, x3, 1.0)):
        f = box_F(s, cols)
        total = total + 1.0 / (f * f)
    return total


GGHH_BOX_SECTOR = ParametricIntegral(
    name="gghh-box-1l",
    param_names=PARAMS,
    param_ranges=REGION,
    dim=3,
    integrand=sector4_integrand,
    description="gg→HH one-loop top box, primary sector x4=1 (thesis eq. 1.2), mt²=1",
    fixed={"mt2": MT2},
    valid_ranges=EUCLIDEAN,
    valid_note=EUCLIDEAN_NOTE,
)

GGHH_BOX_FULL = ParametricIntegral(
    name="gghh-box-1l-full",
    param_names=PARAMS,
    param_ranges=REGION,
    dim=3,
    integrand=full_box_integrand,
    description="gg→HH one-loop top box, sum of the four primary sectors, mt²=1",
    fixed={"mt2": MT2},
    valid_ranges=EUCLIDEAN,
    valid_note=EUCLIDEAN_NOTE,
)


def box_feynman_integral() -> tuple[FeynmanIntegral, tuple[sp.Symbol, ...]]:
    """The same box built from its propagators, for cross-checks.

    Legs p1, p2 massless, p3, p4 of mass mH²; propagators k, k+p1, k+p1+p4, k−p2, all mt².
    Returns the integral and the invariants (s12, s14, mH2, mt2).
    """
    k = sp.Symbol("k")
    (p1, p2, p4), rules, invariants = gghh_kinematics()
    mt2 = invariants[-1]
    props = [(k + p1, mt2), (k + p1 + p4, mt2), (k - p2, mt2), (k, mt2)]
    return FeynmanIntegral([k], [p1, p2, p4], props, rules), invariants


def gghh_kinematics() -> tuple[tuple[sp.Symbol, ...], dict, tuple[sp.Symbol, ...]]:
    """Momenta (p1, p2, p4), scalar-product rules and invariants (s12, s14, mH2, mt2) of
    g(p1) g(p2) → H(p3) H(p4), all incoming: p1² = p2² = 0, p3² = p4² = mH²."""
    p1, p2, p4 = sp.symbols("p1 p2 p4")
    s12, s14, mh2, mt2 = sp.symbols("s12 s14 mH2 mt2")
    p1p2 = s12 / 2
    p1p4 = (s14 - mh2) / 2
    p2p4 = -p1p2 - p1p4  # from p3² = (p1+p2+p4)² = mH²
    rules = {
        (p1, p1): 0,
        (p2, p2): 0,
        (p4, p4): mh2,
        (p1, p2): p1p2,
        (p1, p4): p1p4,
        (p2, p4): p2p4,
    }
    return (p1, p2, p4), rules, (s12, s14, mh2, mt2)
