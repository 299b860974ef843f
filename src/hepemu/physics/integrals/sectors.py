"""Iterative sector decomposition of Feynman-parameter integrands, and their fast evaluation.

A sector integrand is Π x^a · Π_i P_i(x)^(p_i) on [0,1]^k. Where some P_i vanishes on a face
(all variables of a set S at zero), the sector is split into |S| subsectors x_l ≥ x_j (j ∈ S)
with x_j = x_l t_j, and the powers of x_l that every P_i then carries are pulled into the
monomial; this is repeated until every P_i has a constant term (Binoth & Heinrich,
hep-ph/0004013, sec. 3; Heinrich, arXiv:0803.4177, sec. 3.2). Polynomials are kept as
exponent matrices and coefficients linear in the kinematic invariants, so a sector evaluates
as exp(log x · Eᵀ) (one matrix product) times a coefficient matrix: NumPy arrays and torch
tensors alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import sympy as sp

_TINY = 1e-300  # log(0) guard: x = 0 only ever meets non-negative exponents


@dataclass(frozen=True)
class Polynomial:
    """Σ_t c_t Π_j x_j^E[t, j] raised to ``power``; c_t linear in the parameters."""

    exponents: np.ndarray  # (T, k) non-negative integers
    coefficients: tuple[sp.Expr, ...]  # one per term
    power: int

    @classmethod
    def from_expr(cls, expr: sp.Expr, variables: Sequence[sp.Symbol], power: int) -> Polynomial:
        poly = sp.Poly(sp.expand(expr), *variables)
        monoms, coeffs = zip(*poly.terms(), strict=True)
        return cls(np.array(monoms, dtype=np.int64).reshape(len(monoms), -1), coeffs, power)

    def has_constant_term(self) -> bool:
        return bool(np.any(self.exponents.sum(axis=1) == 0))


@dataclass(frozen=True)
class Sector:
    """Π x^monomial · Π_i P_i^(p_i) on [0,1]^k, every P_i with a constant term once final."""

    monomial: np.ndarray  # (k,) integer exponents, Jacobians included
    polynomials: tuple[Polynomial, ...]


def _merged(exps: np.ndarray, coeffs: Sequence[sp.Expr]) -> tuple[np.ndarray, tuple]:
    """Combine terms with equal exponents; drop terms whose coefficients cancel."""
    acc: dict[tuple[int, ...], sp.Expr] = {}
    for row, c in zip(map(tuple, exps), coeffs, strict=True):
        acc[row] = acc.get(row, 0) + c
    keep = [(row, sp.expand(c)) for row, c in acc.items()]
    keep = [(row, c) for row, c in keep if c != 0]
    k = exps.shape[1]
    return np.array([r for r, _ in keep], dtype=np.int64).reshape(-1, k), tuple(c for _, c in keep)


def _pull_monomials(sector: Sector) -> Sector:
    """Factor the common monomial out of every polynomial into the sector's monomial."""
    mono = sector.monomial.copy()
    polys = []
    for p in sector.polynomials:
        low = p.exponents.min(axis=0)
        mono += p.power * low
        polys.append(Polynomial(p.exponents - low, p.coefficients, p.power))
    return Sector(mono, tuple(polys))


def _vanishing_set(sector: Sector) -> tuple[int, ...] | None:
    """A smallest set of variables on whose zero face some polynomial vanishes, or None."""
    k = len(sector.monomial)
    pending = [p for p in sector.polynomials if not p.has_constant_term()]
    if not pending:
        return None
    for r in range(1, k + 1):
        for subset in combinations(range(k), r):
            cols = list(subset)
            if any(np.all(p.exponents[:, cols].sum(axis=1) > 0) for p in pending):
                return subset
    raise ValueError("a polynomial vanishes identically: the integral is not well defined")


def _subsector(sector: Sector, subset: tuple[int, ...], l: int) -> Sector:
    """The subsector x_l ≥ x_j (j in subset): x_j = x_l t_j, Jacobian x_l^(|subset|−1)."""
    cols = list(subset)

    def remap(e: np.ndarray) -> np.ndarray:
        out = e.copy()
        out[..., l] = e[..., cols].sum(axis=-1)
        return out

    mono = remap(sector.monomial)
    mono[l] += len(subset) - 1
    polys = []
    for p in sector.polynomials:
        exps, coeffs = _merged(remap(p.exponents), p.coefficients)
        polys.append(Polynomial(exps, coeffs, p.power))
    return Sector(mono, tuple(polys))


def decompose(
    polynomials: Sequence[Polynomial], monomial: np.ndarray | None = None, max_sectors: int = 5000
) -> list[Sector]:
    """Split one integrand on [0,1]^k into sectors whose polynomials all have constant terms.

    Parameters
    ----------
    polynomials
        The factors P_i^(p_i) of the integrand.
    monomial
        Exponents of the monomial prefactor (default none).
    max_sectors
        Stop with an error beyond this many sectors (the heuristic is not guaranteed to end).

    Returns
    -------
    list of Sector
        Final sectors; their integrals over [0,1]^k sum to the original one.
    """
    k = polynomials[0].exponents.shape[1]
    start = Sector(
        np.zeros(k, dtype=np.int64) if monomial is None else np.asarray(monomial, dtype=np.int64),
        tuple(polynomials),
    )
    todo, done = [_pull_monomials(start)], []
    while todo:
        sector = todo.pop()
        subset = _vanishing_set(sector)
        if subset is None:
            done.append(sector)
        else:
            todo.extend(_pull_monomials(_subsector(sector, subset, l)) for l in subset)
        if len(done) + len(todo) > max_sectors:
            raise RuntimeError(f"sector decomposition exceeded {max_sectors} sectors")
    return done


def _linear_coefficients(coeffs: Sequence[sp.Expr], params: Sequence[sp.Symbol]) -> np.ndarray:
    """Matrix C (T, 1 + m) with c_t = C[t, 0] + Σ_b C[t, 1 + b] params_b."""
    out = np.zeros((len(coeffs), 1 + len(params)))
    for t, c in enumerate(coeffs):
        if not params:
            out[t, 0] = float(c)
            continue
        poly = sp.Poly(c, *params)
        if poly.total_degree() > 1:
            raise ValueError(f"coefficient {c} is not linear in {params}")
        for monom, value in poly.terms():
            col = 0 if sum(monom) == 0 else 1 + monom.index(1)
            out[t, col] += float(value)
    return out


class SectorSum:
    """Σ over sectors of Π x^a Π P_i^(p_i), evaluated vectorised, times a constant prefactor.

    Parameters
    ----------
    sectors
        Final sectors (every exponent of their monomials must be ≥ 0: a bounded integrand).
    params
        Symbols of the parameters s in the coefficients, in the column order of ``s``.
    prefactor
        Constant multiplying the sum (e.g. −Γ(3) for a two-loop integral).
    """

    def __init__(self, sectors: Sequence[Sector], params: Sequence[sp.Symbol], prefactor=1.0):
        self.n_sectors = len(sectors)
        self.dim = len(sectors[0].monomial)
        self.prefactor = float(prefactor)
        mono = np.array([s.monomial for s in sectors], dtype=float)
        if np.any(mono < 0):
            raise ValueError("a sector has a negative monomial exponent: not a bounded integrand")
        self._mono = mono  # (S, k)
        # every polynomial of every sector stacked: exponents (T, k), coefficients (T, 1 + m)
        exps, coefs, self._slices, self._powers = [], [], [], []
        start = 0
        for sec in sectors:
            slices = []
            for p in sec.polynomials:
                exps.append(p.exponents)
                coefs.append(_linear_coefficients(p.coefficients, params))
                slices.append(slice(start, start + len(p.exponents)))
                start += len(p.exponents)
            self._slices.append(slices)
            self._powers.append([p.power for p in sec.polynomials])
        self._exps = np.concatenate(exps).astype(float)
        self._coefs = np.concatenate(coefs)
        self.n_terms = start

    def _tables(self, x):
        """Monomial prefactors (P, S) and every polynomial's value per parameter-basis
        component, G (P, n_polynomials, 1 + m): P_i(s; x) = G[:, i] · (1, s)."""
        if isinstance(x, np.ndarray):
            xp, logx = np, np.log(np.maximum(x, _TINY))
            exps, mono, coefs = self._exps, self._mono, self._coefs
        else:
            import torch

            xp, logx = torch, torch.log(torch.clamp(x, min=_TINY))
            exps, mono, coefs = (
                torch.as_tensor(a, dtype=x.dtype, device=x.device)
                for a in (self._exps, self._mono, self._coefs)
            )
        # one polynomial at a time keeps the (P, terms) monomial table small
        g = [xp.exp(logx @ exps[sl].T) @ coefs[sl] for slices in self._slices for sl in slices]
        return xp.exp(logx @ mono.T), xp.stack(g, 1)

    def _sum(self, mono, value):
        """Σ_sectors monomial · Π P_i^(p_i); ``value(i)`` gives polynomial i's values."""
        total, i = 0.0, 0
        for j, powers in enumerate(self._powers):
            term = mono[..., j]
            for p in powers:
                term = term * value(i) ** p
                i += 1
            total = total + term
        return self.prefactor * total

    def __call__(self, s, x):
        """Integrand at paired rows: s (N, m) parameters, x (N, k) Feynman variables → (N,)."""
        mono, g = self._tables(x)
        values = g[..., 0]
        for b in range(s.shape[1]):
            values = values + g[..., b + 1] * s[:, b : b + 1]
        return self._sum(mono, lambda i: values[:, i])

    def weighted_sums(
        self, s, x: np.ndarray, weights: np.ndarray, block: int = 8192, rows: int = 256
    ):
        """Σ_p w_p f(s_n; x_p) for every row s_n: every parameter point on one rule (x (P, k),
        weights (P,), NumPy) at once, the rule's monomial tables computed once per block of x
        (and kept for a read-only x, e.g. cached Gauss–Legendre nodes). ``s`` (N, m) may be a
        NumPy array or a torch tensor (the result follows it). Each row's result is
        independent of the other rows (fixed operation order). Returns (N,)."""
        if isinstance(s, np.ndarray) or not hasattr(s, "device"):
            s, convert = np.asarray(s, dtype=float), np.asarray
        else:
            import torch

            def convert(a):
                return torch.tensor(a, dtype=s.dtype, device=s.device)  # a copy: a may be read-only

        def value(g, part):  # P_i(s_n; x_p) as (N, P): linear in s, a broadcast per parameter
            def at(i):
                out = part.sum(1, keepdims=True) * 0.0 + g[None, :, i, 0]  # (N, P); N from part
                for b in range(part.shape[1]):
                    out = out + part[:, b, None] * g[None, :, i, b + 1]
                return out

            return at

        if convert is not np.asarray:  # torch: every row at once, no shape fixed by N (graphs)
            total = s.sum(1) * 0.0
            for a in range(0, len(x), block):
                mono, g = (convert(t) for t in self._block_tables(x, a, block))
                w = convert(weights[a : a + block])
                total = total + (self._sum(mono[None], value(g, s)) * w).sum(1)
            return total
        total = np.zeros(len(s))
        for a in range(0, len(x), block):
            mono, g = self._block_tables(x, a, block)
            w = weights[a : a + block]
            for r in range(0, len(s), rows):
                vals = self._sum(mono[None], value(g, s[r : r + rows]))
                total[r : r + rows] += np.einsum("np,p->n", vals, w)
        return total

    def tensor_sums(self, s, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The n^k tensor rule of 1-D nodes ``x`` and weights ``w`` (n,) for every row of
        ``s`` (N, m), NumPy (see :mod:`hepemu.physics.integrals.tensor_rule`). Returns (N,)."""
        from hepemu.physics.integrals.tensor_rule import tensor_rule_sums

        return tensor_rule_sums(self, np.asarray(s, dtype=float), x, w)

    def _block_tables(self, x: np.ndarray, start: int, block: int):
        """``_tables`` of x[start : start + block], remembered for a read-only x."""
        key = (id(x), start, block)
        cache = self.__dict__.setdefault("_cache", {})
        if x.flags.writeable or key not in cache:
            tables = self._tables(x[start : start + block])
            if x.flags.writeable:
                return tables
            if len(cache) > 16:
                cache.clear()
            cache[key] = (x, tables)  # x kept alive: its id stays unique
        return cache[key][1]
