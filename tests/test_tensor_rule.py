"""The sector-wise tensor Gauss–Legendre rule in x = u² (tensor_rule.py, provider option
``rule = "gl-u2"``) and the shipped double-box interpolant built on its labels."""

import numpy as np
import pytest

from hepemu.physics.integrals.gghh2l import double_box_sectors
from hepemu.physics.integrals.quadrature import (
    gauss_legendre_nodes,
    integrate_gauss_legendre,
    integrate_gauss_legendre_u2,
)
from hepemu.physics.integrals.registry import get_integral
from hepemu.physics.integrals.tensor_rule import gauss_legendre_u2, tensor_rule_sums
from hepemu.physics.providers import get_provider
from hepemu.registry import load_model

# the double box at two interior points by the same rule at 20⁶ nodes per sector (converged:
# 16 nodes agree to ≤ 2.5e-9 at 12 points across the box, 14 to ≤ 9.4e-9)
REFERENCE = {
    (-8.264921058874734, -8.185598677114669, -16.086209851862165): -0.004481147417195001,
    (-18.256416089921167, -3.696972782000106, -5.762704581069183): -0.004495930087310093,
}
S_REF = np.array(list(REFERENCE))
I_REF = np.array(list(REFERENCE.values()))


def full_grid(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The n^k grid of the x = u² rule, written out node by node."""
    nodes, weights = gauss_legendre_nodes(n, k)
    return nodes**2, weights * np.prod(2.0 * nodes, axis=1)


def test_contracted_rule_equals_the_rule_applied_node_by_node():
    ss = double_box_sectors()
    s = np.array([[-10.0, -5.0, -20.0], [-30.0, -30.0, -30.0], [-3.0, -3.0, -3.0]])
    x, w = gauss_legendre_u2(4)
    got = tensor_rule_sums(ss, s, x, w)
    want = ss.weighted_sums(s, *full_grid(4, 6))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # each row alone gives the same bits as in the batch (labels must not depend on chunks)
    alone = np.array([tensor_rule_sums(ss, row[None], x, w)[0] for row in s])
    np.testing.assert_array_equal(alone, got)


def test_u2_rule_reaches_its_accuracy_and_plain_gl_does_not():
    ig = get_integral("gghh-dbox-2l")
    s = S_REF[:1]
    err11 = abs(integrate_gauss_legendre_u2(ig, s, 6, 11)[0] / I_REF[0] - 1)
    err6 = abs(integrate_gauss_legendre_u2(ig, s, 6, 6)[0] / I_REF[0] - 1)
    assert err11 < 3e-7 < 1e-5 < err6  # measured 2.1e-8 and 1e-4: the rule converges
    t, w = np.polynomial.legendre.leggauss(11)
    plain = ig.integrand.tensor_sums(s, 0.5 * (t + 1.0), 0.5 * w)[0]
    assert abs(plain / I_REF[0] - 1) > 10 * err11  # plain GL in x: ~100x worse


def test_generic_integrand_gets_the_same_rule_on_the_full_grid():
    box = get_integral("gghh-box-1l")
    s = box.sample_params(3, np.random.default_rng(4))
    got = integrate_gauss_legendre_u2(box, s, 3, 30)
    np.testing.assert_allclose(got, integrate_gauss_legendre(box, s, 3, 40), rtol=1e-7)


def test_provider_option_rule():
    p = get_provider("gghh-dbox-2l/integral", {"rule": "gl-u2", "nodes": 6})
    assert "x = u^2, 6^6" in p.metadata()["truth"]
    np.testing.assert_allclose(p(S_REF[:1]), I_REF[:1], rtol=1e-3)
    with pytest.raises(ValueError, match="rule"):
        get_provider("gghh-dbox-2l/integral", {"rule": "simpson"})
    with pytest.raises(ValueError, match="nodes must be in"):
        get_provider("gghh-dbox-2l/integral", {"rule": "gl-u2", "nodes": 40})


def test_shipped_double_box_chebyshev_predicts_within_sigma():
    model = load_model("gghh-dbox-2l-chebyshev")  # checksum verified
    mean, sigma = model.predict(S_REF)
    digits = -np.log10(np.abs(mean / I_REF - 1))
    assert digits.min() > 5.5, digits
    assert np.all(np.abs(mean - I_REF) < 3 * sigma), (mean / I_REF - 1, sigma / np.abs(I_REF))
    with pytest.raises(ValueError):
        model.predict(np.array([[-31.0, -10.0, -10.0]]))  # outside its box
