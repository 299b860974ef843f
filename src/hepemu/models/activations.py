"""Activations with analytic higher derivatives, for forward-mode subset derivatives.

Each activation returns [φ(z), φ'(z), …, φ⁽ⁿ⁾(z)] built from differentiable torch ops, so
backpropagation through the derivative network works unchanged.
Derivative formulas: tanh and sigmoid via their polynomial recursions, GELU via Hermite
polynomials (Hendrycks & Gimpel, arXiv:1606.08415; INN thesis appendix A), composition via
Faà di Bruno with partial Bell polynomials.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np
import torch
from numpy.polynomial import polynomial as P

DerivFn = Callable[[torch.Tensor, int], list[torch.Tensor]]


@cache
def _recursion_polys(kind: str, n: int) -> tuple[tuple[float, ...], ...]:
    """Polynomials p_j with φ⁽ʲ⁾ = p_j(φ): tanh' = 1−t², σ' = σ−σ²."""
    base = {"tanh": (1.0, 0.0, -1.0), "sigmoid": (0.0, 1.0, -1.0)}[kind]
    polys = [np.array([0.0, 1.0])]
    for _ in range(n):
        polys.append(P.polymul(P.polyder(polys[-1]), base))
    return tuple(tuple(float(c) for c in p) for p in polys)


def _horner(coeffs: tuple[float, ...], t: torch.Tensor) -> torch.Tensor:
    out = torch.full_like(t, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out = out * t + c
    return out


def _poly_derivs(kind: str, value: torch.Tensor, n: int) -> list[torch.Tensor]:
    polys = _recursion_polys(kind, n)
    return [value] + [_horner(polys[j], value) for j in range(1, n + 1)]


def tanh_derivs(z: torch.Tensor, n: int) -> list[torch.Tensor]:
    return _poly_derivs("tanh", torch.tanh(z), n)


def sigmoid_derivs(z: torch.Tensor, n: int) -> list[torch.Tensor]:
    return _poly_derivs("sigmoid", torch.sigmoid(z), n)


def softsign_derivs(z: torch.Tensor, n: int) -> list[torch.Tensor]:
    # φ = z/(1+|z|); φ⁽ʲ⁾ = j! (−sign z)^(j−1) / (1+|z|)^(j+1), j ≥ 1
    a = 1.0 + z.abs()
    sgn = -torch.sign(z)
    out = [z / a]
    for j in range(1, n + 1):
        out.append(math.factorial(j) * sgn ** (j - 1) / a ** (j + 1))
    return out


def _hermite_he(z: torch.Tensor, m: int) -> list[torch.Tensor]:
    """Probabilists' Hermite polynomials He_0 … He_m at z."""
    he = [torch.ones_like(z), z]
    for j in range(1, m):
        he.append(z * he[j] - j * he[j - 1])
    return he[: m + 1]


def gelu_derivs(z: torch.Tensor, n: int) -> list[torch.Tensor]:
    # φ = z Φ(z); φ⁽ʲ⁾ = z Φ⁽ʲ⁾ + j Φ⁽ʲ⁻¹⁾, Φ⁽ᵐ⁾ = (−1)^(m−1) He_(m−1)(z) ϕ(z)
    cdf = 0.5 * (1.0 + torch.erf(z * (1.0 / math.sqrt(2.0))))
    pdf = torch.exp(-0.5 * z * z) * (1.0 / math.sqrt(2.0 * math.pi))
    he = _hermite_he(z, max(n, 1))
    cdf_d = [cdf] + [(-1) ** (m - 1) * he[m - 1] * pdf for m in range(1, n + 1)]
    out = [z * cdf]
    for j in range(1, n + 1):
        out.append(z * cdf_d[j] + j * cdf_d[j - 1])
    return out


def _bell_partial(u: list[torch.Tensor | None], n: int) -> list[list]:
    """Partial Bell polynomials B[m][k](u_1, …) for m ≤ n, entries None when zero."""
    B: list[list] = [[None] * (n + 1) for _ in range(n + 1)]
    B[0][0] = 1.0
    for m in range(1, n + 1):
        for k in range(1, m + 1):
            acc = None
            for i in range(1, m - k + 2):
                if u[i] is None or B[m - i][k - 1] is None:
                    continue
                term = math.comb(m - 1, i - 1) * u[i] * B[m - i][k - 1]
                acc = term if acc is None else acc + term
            B[m][k] = acc
    return B


def compose_derivs(outer: list[torch.Tensor], inner: list, n: int) -> list[torch.Tensor]:
    """Derivatives of f(u(z)) up to order n (Faà di Bruno) from f⁽ʲ⁾(u) and u⁽ʲ⁾(z)."""
    B = _bell_partial(list(inner) + [None] * (n + 1 - len(inner)), n)
    out = [outer[0]]
    for m in range(1, n + 1):
        acc = torch.zeros_like(outer[0])
        for k in range(1, m + 1):
            if B[m][k] is not None:
                acc = acc + outer[k] * B[m][k]
        out.append(acc)
    return out


def gelu_tanh_derivs(z: torch.Tensor, n: int) -> list[torch.Tensor]:
    # φ = ½ z (1 + tanh u), u = c (z + 0.044715 z³), c = √(2/π) (thesis eq. 5.8)
    c, a = math.sqrt(2.0 / math.pi), 0.044715
    u = c * (z + a * z**3)
    inner = [u, c * (1.0 + 3 * a * z * z), 6 * a * c * z, torch.full_like(z, 6 * a * c)]
    h = compose_derivs(tanh_derivs(u, n), inner, n)
    h[0] = 1.0 + h[0]
    out = [0.5 * z * h[0]]
    for j in range(1, n + 1):
        out.append(0.5 * (z * h[j] + j * h[j - 1]))
    return out


def silu_derivs(z: torch.Tensor, n: int) -> list[torch.Tensor]:
    # φ = z σ(z); φ⁽ʲ⁾ = z σ⁽ʲ⁾ + j σ⁽ʲ⁻¹⁾
    sd = sigmoid_derivs(z, n)
    return [z * sd[0]] + [z * sd[j] + j * sd[j - 1] for j in range(1, n + 1)]


def softplus_derivs(z: torch.Tensor, n: int) -> list[torch.Tensor]:
    # φ = log(1 + eᶻ); φ' = σ
    sd = sigmoid_derivs(z, max(n - 1, 0))
    return [torch.nn.functional.softplus(z)] + sd[:n]


ACTIVATIONS: dict[str, DerivFn] = {
    "tanh": tanh_derivs,
    "sigmoid": sigmoid_derivs,
    "softsign": softsign_derivs,
    "gelu": gelu_derivs,
    "gelu_tanh": gelu_tanh_derivs,
    "silu": silu_derivs,
    "softplus": softplus_derivs,
}


def get_activation(name: str) -> DerivFn:
    """Look up an activation's derivative function by name."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose from {', '.join(sorted(ACTIVATIONS))}"
        ) from None
