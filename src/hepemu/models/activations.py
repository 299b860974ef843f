"""The one table of activations: the torch module regressors use, the analytic higher
derivatives integration networks need, and the export-safe forward for ONNX graphs.

A derivative function returns [φ(z), φ'(z), …, φ⁽ⁿ⁾(z)] built from differentiable torch ops,
so backpropagation through the derivative network works unchanged.
Derivative formulas: tanh and sigmoid via their polynomial recursions, GELU via Hermite
polynomials (Hendrycks & Gimpel, arXiv:1606.08415; INN thesis appendix A), composition via
Faà di Bruno with partial Bell polynomials.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
from numpy.polynomial import polynomial as P
from torch import nn

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


def erf(x: torch.Tensor) -> torch.Tensor:
    """erf from elementary operations (ONNX Runtime has no double-precision Erf): the
    Maclaurin series below |x| = 2.5 (Abramowitz & Stegun 7.1.5), the continued fraction of
    erfc above (A&S 7.1.14); |error| < 1e-14 in float64."""
    a = x.abs()
    xs = torch.clamp(a, max=2.5)
    term, total = xs, xs
    for n in range(1, 40):
        term = term * (-xs * xs) / n
        total = total + term / (2 * n + 1)
    xl = torch.clamp(a, min=2.5)
    t = xl
    for k in range(30, 0, -1):
        t = xl + (k / 2) / t
    large = 1.0 - torch.exp(-xl * xl) / math.sqrt(math.pi) / t
    return torch.sign(x) * torch.where(a < 2.5, 2.0 / math.sqrt(math.pi) * total, large)


def log1p_safe(e: torch.Tensor) -> torch.Tensor:
    """log(1 + e) for e ≥ 0, accurate for small e, from log alone (no float64 Log1p in ONNX
    Runtime): e·log(u)/(u − 1), u = 1 + e (Goldberg's trick)."""
    u = 1.0 + e
    return torch.where(u == 1.0, e, e * torch.log(u) / (u - 1.0))


def softplus_export(x: torch.Tensor) -> torch.Tensor:
    """log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), x itself above 20 as torch's Softplus."""
    return torch.where(x > 20.0, x, torch.relu(x) + log1p_safe(torch.exp(-x.abs())))


def gelu_export(x: torch.Tensor) -> torch.Tensor:
    """x Φ(x) with :func:`erf` from elementary operations."""
    return x * 0.5 * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


@dataclass(frozen=True)
class Activation:
    """One activation: ``module`` (a factory, for regressors), ``derivs`` (φ and its
    derivatives, for integration networks; None where not written), ``export`` (a forward
    from operations every ONNX runtime has in float64; None where the module already is)."""

    module: Callable[[], nn.Module]
    derivs: DerivFn | None = None
    export: Callable[[torch.Tensor], torch.Tensor] | None = None


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation(nn.Tanh, tanh_derivs),
    "sigmoid": Activation(nn.Sigmoid, sigmoid_derivs),
    "softsign": Activation(nn.Softsign, softsign_derivs, lambda z: z / (1.0 + z.abs())),
    "gelu": Activation(nn.GELU, gelu_derivs, gelu_export),
    "gelu_tanh": Activation(lambda: nn.GELU(approximate="tanh"), gelu_tanh_derivs),
    "silu": Activation(nn.SiLU, silu_derivs, lambda z: z * torch.sigmoid(z)),
    "softplus": Activation(nn.Softplus, softplus_derivs, softplus_export),
    "leaky_relu": Activation(lambda: nn.LeakyReLU(0.01)),
    "relu": Activation(nn.ReLU),
    "elu": Activation(nn.ELU),
}
# the names integration networks accept (those with derivatives)
INN_ACTIVATIONS = tuple(k for k, a in ACTIVATIONS.items() if a.derivs is not None)


def _lookup(name: str, names) -> Activation:
    if name not in names:
        raise ValueError(f"unknown activation {name!r}; choose from {', '.join(sorted(names))}")
    return ACTIVATIONS[name]


def activation(name: str) -> nn.Module:
    """A new torch module of activation ``name`` (regressors)."""
    return _lookup(name, ACTIVATIONS).module()


def get_activation(name: str) -> DerivFn:
    """The derivative function of activation ``name`` (integration networks)."""
    return _lookup(name, INN_ACTIVATIONS).derivs


def forward_function(name: str, own_erf: bool = False) -> Callable[[torch.Tensor], torch.Tensor]:
    """φ as a plain function for graphs: the export-safe form where one is written (GELU's
    only with ``own_erf``, for ONNX Runtime in float64), else φ from the derivative table."""
    act = _lookup(name, ACTIVATIONS)
    if act.export is not None and (name != "gelu" or own_erf):
        return act.export
    if name == "gelu":
        return lambda z: z * 0.5 * (1.0 + torch.erf(z * (1.0 / math.sqrt(2.0))))
    module = act.module()
    return module.forward
