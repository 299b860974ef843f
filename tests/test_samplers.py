"""Unit-cube samplers: ranges, exact resumption, lattice structure, low discrepancy."""

import numpy as np
import pytest
from scipy.stats import qmc

from hepemu.data.samplers import UnitCubeSampler
from hepemu.physics.integrals.base import ParametricIntegral


@pytest.mark.parametrize("kind", ["uniform", "sobol", "lattice"])
def test_range_and_resume(kind):
    a = UnitCubeSampler(kind, 5, 256, seed=4)
    first = a.draw()
    assert first.shape[1] == 5 and np.all((first >= 0) & (first < 1))
    state = a.get_state()
    nxt = a.draw()
    b = UnitCubeSampler(kind, 5, 256, seed=4)
    b.set_state(state)
    np.testing.assert_array_equal(b.draw(), nxt)
    assert not np.array_equal(first, nxt)


def test_lattice_is_a_shifted_rank1_lattice():
    s = UnitCubeSampler("lattice", 3, 1000, seed=0)
    pts = s.draw()
    n = len(pts)
    assert n == 997  # largest prime ≤ 1001
    shift = pts[0]
    base = np.mod(pts - shift, 1.0) * n
    np.testing.assert_allclose(base, np.round(base), atol=1e-6)  # on the grid (i z mod n)/n


def test_sobol_and_lattice_beat_uniform_discrepancy():
    d = {
        k: qmc.discrepancy(UnitCubeSampler(k, 4, 1024, seed=1).draw())
        for k in ("uniform", "sobol", "lattice")
    }
    assert d["sobol"] < d["uniform"] and d["lattice"] < d["uniform"]


def test_box_map_and_bad_kind():
    box = ParametricIntegral("box", ("a", "b"), ((-30, -3), (1, 2)), 1, lambda s, x: x[:, 0])
    u = np.array([[0.0, 1.0], [0.5, 0.5]])
    np.testing.assert_allclose(box.params_from_unit(u), [[-30, 2], [-16.5, 1.5]])
    with pytest.raises(ValueError, match="unknown sampler"):
        UnitCubeSampler("halton", 2, 4, 0)
