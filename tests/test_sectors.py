"""Sector decomposition and the two-loop double box against independent references."""

import math

import numpy as np
import pytest
import sympy as sp
import torch

from hepemu.physics.integrals.gghh2l import (
    GGHH_DBOX,
    double_box_feynman_integral,
    double_box_sectors,
)
from hepemu.physics.integrals.quadrature import integrate_gauss_legendre, integrate_qmc
from hepemu.physics.integrals.registry import get_integral
from hepemu.physics.integrals.sectors import Polynomial, SectorSum, decompose
from hepemu.physics.providers import get_provider

# pySecDec 1.6.6 (issue 16): I = −9.18759027342678e−3 ± 6.8e−12 at (s12, s14, mH²) = (−10, −5, −4)
PYSECDEC_POINT = np.array([[-10.0, -5.0, -4.0]])
PYSECDEC_VALUE = -9.18759027342678e-3


def _sector_integral(expr, variables, power, numerator=None, nodes=20):
    polys = [Polynomial.from_expr(expr, variables, power)]
    if numerator is not None:
        polys.append(Polynomial.from_expr(numerator, variables, 1))
    sectors = decompose(polys)
    total = SectorSum(sectors, ())
    return integrate_gauss_legendre(total, np.zeros((1, 0)), len(variables), nodes)[0], sectors


def test_decomposition_of_endpoint_singularities_matches_closed_forms():
    x, y = sp.symbols("x y")
    # ∫∫ dx dy /(x + y) = 2 ln 2; ∫∫ x/(x + y)² = ln 2: singular at the origin, integrable
    value, sectors = _sector_integral(x + y, (x, y), -1)
    assert len(sectors) == 2
    assert all(p.has_constant_term() for s in sectors for p in s.polynomials)
    assert value == pytest.approx(2 * math.log(2), rel=1e-12)
    value, _ = _sector_integral(x + y, (x, y), -2, numerator=x)
    assert value == pytest.approx(math.log(2), rel=1e-12)


def test_decomposition_keeps_a_regular_integrand_whole():
    x, y, z = sp.symbols("x y z")
    value, sectors = _sector_integral(1 + x * y + z, (x, y, z), 2)
    assert len(sectors) == 1
    exact = sp.integrate((1 + x * y + z) ** 2, (x, 0, 1), (y, 0, 1), (z, 0, 1))
    assert value == pytest.approx(float(exact), rel=1e-13)


def test_double_box_symanzik_polynomials():
    # planar double box: U = (x1+x2+x3)(x4+x5+x6) + x7 (x1+…+x6) (Heinrich 2021, sec. 2.2)
    fi, (s12, s14, mh2, mt2) = double_box_feynman_integral()
    U, F = fi.symanzik
    x = fi.x_symbols
    left, right = x[0] + x[1] + x[2], x[3] + x[4] + x[5]
    assert sp.expand(U - (left * right + x[6] * (left + right))) == 0
    assert fi.exponents == (1, 3)
    # massive lines: F = U Σ m² x − (momentum part); at zero momenta only the mass term stays
    F0 = F.subs({s12: 0, s14: 0, mh2: 0})
    assert sp.expand(F0 - U * mt2 * (left + right)) == 0


def test_double_box_matches_pysecdec():
    res = integrate_qmc(GGHH_DBOX, PYSECDEC_POINT, 6, n=30011, n_shifts=8, seed=3)
    assert res.error[0] < 1e-4 * abs(PYSECDEC_VALUE)
    assert abs(res.value[0] - PYSECDEC_VALUE) < 4 * res.error[0]


def test_double_box_sectors_are_bounded_and_agree_across_backends(rng):
    total = double_box_sectors()
    assert total.n_sectors == 30 and np.all(total._mono >= 0)
    s = GGHH_DBOX.sample_params(64, rng)
    x = rng.random((64, 6))
    values = GGHH_DBOX(s, x)
    assert np.all(np.isfinite(values)) and np.all(values < 0)
    t = GGHH_DBOX(torch.tensor(s), torch.tensor(x)).numpy()
    np.testing.assert_allclose(t, values, rtol=1e-13)
    # the per-row quadrature path (every s against one rule) gives the paired values
    weights = rng.random(64)
    rows = GGHH_DBOX.integrand.weighted_sums(s[:3], x, weights)
    paired = [np.dot(GGHH_DBOX(np.repeat(s[i : i + 1], 64, 0), x), weights) for i in range(3)]
    np.testing.assert_allclose(rows, paired, rtol=1e-12)


def test_double_box_value_provider_uses_a_lattice():
    provider = get_provider("gghh-dbox-2l/integral", {"points": 1009})
    assert "lattice QMC 1009" in provider.metadata()["truth"]
    assert get_integral("gghh-dbox-2l") is GGHH_DBOX
    value = provider(PYSECDEC_POINT)  # the rule of the test above, on a coarser lattice
    expect = integrate_qmc(GGHH_DBOX, PYSECDEC_POINT, 6, n=1009, n_shifts=8, seed=0).value
    assert value[0] == expect[0] and value[0] < 0


def test_double_box_normalisers_agree_across_backends(rng):
    from hepemu.models.inn_surrogate import normalisation

    s = GGHH_DBOX.sample_params(5, rng)
    ref = integrate_gauss_legendre(GGHH_DBOX, s, 6, 4)
    for scheme in ("gl2", "gl3"):
        values = normalisation(GGHH_DBOX, s, scheme)
        t = normalisation(GGHH_DBOX, torch.tensor(s), scheme).numpy()
        np.testing.assert_allclose(t, values, rtol=1e-12)
        assert np.all(np.abs(values / ref - 1) < 0.5)  # a scale, not a value


def test_sector_subsets_partition_the_double_box():
    """`gghh-dbox-2l#sectors=…` integrands of a partition add up to the whole integrand."""
    full = get_integral("gghh-dbox-2l")
    rng = np.random.default_rng(3)
    s, x = full.sample_params(40, rng), rng.random((40, 6))
    parts = [get_integral(f"gghh-dbox-2l#sectors=primary={p}") for p in range(7)]
    np.testing.assert_allclose(sum(p(s, x) for p in parts), full(s, x), rtol=1e-12)
    halves = [get_integral("gghh-dbox-2l#sectors=0-11"), get_integral("gghh-dbox-2l#sectors=12-29")]
    np.testing.assert_allclose(sum(p(s, x) for p in halves), full(s, x), rtol=1e-12)
    assert halves[0].name == "gghh-dbox-2l#sectors=0-11"
    for bad in ("30", "3-x", "primary=7", "0-2,1"):
        with pytest.raises(ValueError, match="sector"):
            get_integral(f"gghh-dbox-2l#sectors={bad}")


def test_sector_rule_in_a_traced_graph_follows_the_batch():
    """The torch all-points rule has no shape fixed by the batch: a traced graph (as export
    writes) gives the NumPy Gauss–Legendre values at any N."""
    import warnings

    from hepemu.models.inn_graph import GaussLegendreGraph

    part = get_integral("gghh-dbox-2l#sectors=0-3")
    rule = GaussLegendreGraph(part, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(
            rule, torch.tensor(part.sample_params(3, np.random.default_rng(0)))
        )
    for n in (1, 5):
        s = part.sample_params(n, np.random.default_rng(n))
        got = traced(torch.tensor(s)).numpy()
        np.testing.assert_allclose(got, integrate_gauss_legendre(part, s, 6, 2), rtol=1e-13)
