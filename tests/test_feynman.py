"""Symanzik polynomials and primary sectors against the published gg→HH box formula."""

import numpy as np
import sympy as sp

from hepemu.physics.integrals.feynman import FeynmanIntegral
from hepemu.physics.integrals.gghh import (
    box_feynman_integral,
    full_box_integrand,
    sector4_integrand,
)


def test_box_symanzik_matches_reference_formula():
    fi, (s12, s14, mh2, mt2) = box_feynman_integral()
    U, F = fi.symanzik
    x1, x2, x3, x4 = fi.x_symbols
    assert sp.expand(U - (x1 + x2 + x3 + x4)) == 0
    # reference: issue / thesis eq. 1.3 in the x4 = 1 sector
    ref = mt2 * (1 + x1 + x2 + x3) ** 2 - x2 * s14 - x2 * x3 * mh2 - x1 * x3 * s12 - x1 * x2 * mh2
    assert sp.expand(F.subs(x4, 1) - ref) == 0
    assert fi.exponents == (0, 2)


def test_primary_sectors_match_numeric_integrands(rng):
    fi, (s12, s14, mh2, mt2) = box_feynman_integral()
    s = rng.uniform(-30, -3, size=(50, 3))
    x = rng.random((50, 3))
    total = np.zeros(50)
    for sector in range(4):
        expr = fi.primary_sector(sector).subs(mt2, 1)
        f = sp.lambdify((s12, s14, mh2, *fi.sector_variables(sector)), expr, "numpy")
        vals = f(s[:, 0], s[:, 1], s[:, 2], x[:, 0], x[:, 1], x[:, 2])
        if sector == 3:
            np.testing.assert_allclose(vals, sector4_integrand(s, x), rtol=1e-13)
        total += vals
    np.testing.assert_allclose(total, full_box_integrand(s, x), rtol=1e-13)


def test_bubble_symanzik_textbook():
    # massive bubble: U = x1 + x2, F = −p² x1 x2 + (x1 + x2)(m1² x1 + m2² x2)
    k, p = sp.symbols("k p")
    p2, m1, m2 = sp.symbols("p2 m1sq m2sq")
    fi = FeynmanIntegral([k], [p], [(k, m1), (k + p, m2)], {(p, p): p2})
    U, F = fi.symanzik
    x1, x2 = fi.x_symbols
    assert sp.expand(U - (x1 + x2)) == 0
    assert sp.expand(F - (-p2 * x1 * x2 + (x1 + x2) * (m1 * x1 + m2 * x2))) == 0


def test_two_loop_sunrise_U():
    # massless sunrise: U = x1x2 + x1x3 + x2x3 (Heinrich 2021, sec. 2)
    k1, k2, p = sp.symbols("k1 k2 p")
    s = sp.Symbol("s")
    fi = FeynmanIntegral([k1, k2], [p], [(k1, 0), (k2, 0), (k1 + k2 + p, 0)], {(p, p): s})
    U, F = fi.symanzik
    x1, x2, x3 = fi.x_symbols
    assert sp.expand(U - (x1 * x2 + x1 * x3 + x2 * x3)) == 0
    assert sp.expand(F - (-s * x1 * x2 * x3)) == 0
