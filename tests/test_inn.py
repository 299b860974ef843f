"""Subset-derivative INN against nested autograd, and the corner-sum integral."""

import math

import numpy as np
import pytest
import torch

from hepemu.models.activations import ACTIVATIONS, INN_ACTIVATIONS
from hepemu.models.inn import INN, faa_di_bruno_subsets, nested_autograd_derivative
from hepemu.physics.integrals.quadrature import integrate_gauss_legendre


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("activation", sorted(INN_ACTIVATIONS))
def test_subset_derivative_equals_nested_autograd(k, activation):
    torch.manual_seed(k)
    net = INN(2, k, (12, 10), activation, gain=1.3).double()
    s = torch.rand(16, 2, dtype=torch.float64) * 2 - 1
    x = torch.rand(16, k, dtype=torch.float64)
    fast = net.derivative(s, x)
    ref = nested_autograd_derivative(net, s, x)
    scale = ref.abs().max().item()
    assert scale > 0
    torch.testing.assert_close(fast, ref, rtol=1e-9, atol=1e-10 * scale)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_anchored_ansatz_derivative_and_all_subsets(k):
    torch.manual_seed(0)
    net = INN(1, k, (8, 8), "tanh", ansatz="anchored").double()
    s = torch.rand(9, 1, dtype=torch.float64)
    x = torch.rand(9, k, dtype=torch.float64, requires_grad=True)
    subs = net.subset_derivatives(s, x)
    # every subset derivative against autograd
    for mask in range(1 << k):
        out = net(s, x)
        for i in range(k):
            if mask >> i & 1:
                (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
                out = g[:, i]
        torch.testing.assert_close(subs[mask], out, rtol=1e-10, atol=1e-12)


def test_activation_derivatives_match_autograd():
    z = torch.linspace(-4, 4, 41, dtype=torch.float64, requires_grad=True)
    for name in INN_ACTIVATIONS:
        d = ACTIVATIONS[name].derivs(z, 6)
        cur = d[0]
        for j in range(1, 7):
            (cur,) = torch.autograd.grad(cur.sum(), z, create_graph=True)
            torch.testing.assert_close(d[j], cur, rtol=1e-8, atol=1e-8, msg=f"{name} order {j}")


def test_one_activation_table_agrees_with_itself():
    """The module regressors use, the derivative table's φ and the export form are one φ."""
    from hepemu.models.activations import forward_function

    z = torch.linspace(-30, 30, 601, dtype=torch.float64)
    for name, act in ACTIVATIONS.items():
        ref = act.module()(z)
        if act.derivs is not None:
            torch.testing.assert_close(act.derivs(z, 0)[0], ref, rtol=1e-13, atol=1e-15)
        for own_erf in (False, True):
            got = forward_function(name, own_erf)(z)
            atol = 30 * 1e-14 if own_erf else 1e-15  # own erf: |error| < 1e-14, times |z| ≤ 30
            torch.testing.assert_close(got, ref, rtol=1e-13, atol=atol, msg=name)


@pytest.mark.parametrize("ansatz", ["plain", "anchored"])
def test_corner_sum_is_integral_of_derivative(ansatz):
    torch.manual_seed(1)
    net = INN(2, 3, (16, 16), "gelu", ansatz=ansatz).double()
    s = np.array([[0.3, -0.5], [-0.9, 0.8]])

    def f(ss, xx):
        with torch.no_grad():
            return net.derivative(torch.as_tensor(ss), torch.as_tensor(xx)).numpy()

    gl = integrate_gauss_legendre(f, s, 3, 16)
    with torch.no_grad():
        corner = net.integral(torch.as_tensor(s)).numpy()
    np.testing.assert_allclose(corner, gl, rtol=1e-10, atol=1e-12)


def set_partitions(mask: int) -> list[tuple[int, ...]]:
    """All partitions of the bitmask set into blocks (reference enumeration)."""
    if mask == 0:
        return [()]
    low = mask & -mask
    rest = mask ^ low
    out, sub = [], rest
    while True:
        for tail in set_partitions(rest ^ sub):
            out.append((low | sub, *tail))
        if sub == 0:
            return out
        sub = (sub - 1) & rest


def count_partitions(k: int) -> int:
    return sum(math.comb(k - 1, j) * count_partitions(j) for j in range(k)) if k else 1


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
def test_recursive_faa_di_bruno_equals_explicit_partition_sum(k):
    torch.manual_seed(k)
    n = 1 << k
    phis = [torch.randn(5, 3, dtype=torch.float64) for _ in range(k + 1)]
    z = [torch.randn(5, 3, dtype=torch.float64) for _ in range(n)]
    if k >= 2:
        z[3] = None  # an identically vanishing block
    fast = faa_di_bruno_subsets(phis, z, range(1, n))
    for mask in range(1, n):
        ref = None
        for part in set_partitions(mask):
            if any(z[b] is None for b in part):
                continue
            term = phis[len(part)]
            for b in part:
                term = term * z[b]
            ref = term if ref is None else ref + term
        if ref is None:
            assert fast[mask] is None
        else:
            torch.testing.assert_close(fast[mask], ref, rtol=1e-12, atol=1e-12)


def test_set_partitions_are_bell_numbers():
    for k, bell in enumerate([1, 1, 2, 5, 15, 52, 203]):
        parts = set_partitions((1 << k) - 1)
        assert len(parts) == bell == count_partitions(k)
        for p in parts:  # blocks are disjoint and cover the set
            acc = 0
            for b in p:
                assert acc & b == 0
                acc |= b
            assert acc == (1 << k) - 1


def test_bad_construction_arguments():
    with pytest.raises(ValueError, match="dim"):
        INN(1, 7)
    with pytest.raises(ValueError, match="activation"):
        INN(1, 2, activation="relu6")
    with pytest.raises(ValueError, match="ansatz"):
        INN(1, 2, ansatz="weird")
