"""Feynman-parameter representation of scalar loop integrals from propagators (sympy).

For propagators D_i = q_i² − m_i² (Minkowski), Σ x_i D_i = kᵀ M k − 2 Qᵀ k + J gives the
Symanzik polynomials U = det M and F = det M (Qᵀ M⁻¹ Q − J)
(Heinrich, Phys. Rept. 922 (2021), eqs. 2.9–2.11; Borowka et al., arXiv:1703.09692, sec. 2.1).
The integral over the simplex is split into N primary sectors x_l ≥ x_j (Binoth–Heinrich,
hep-ph/0004013), each on [0,1]^(N−1) with x_l = 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp


def _apply_dot_rules(expr: sp.Expr, vectors: Sequence[sp.Symbol], rules: dict) -> sp.Expr:
    """Replace products of momentum symbols (treated as commuting) by scalar products."""
    poly = sp.Poly(sp.expand(expr), *vectors)
    out = sp.Integer(0)
    for monom, coeff in poly.terms():
        degree = sum(monom)
        if degree == 0:
            out += coeff
            continue
        if degree != 2:
            raise ValueError(f"momentum monomial of degree {degree} is not a scalar product")
        idx = [i for i, p in enumerate(monom) for _ in range(p)]
        a, b = vectors[idx[0]], vectors[idx[1]]
        key = (a, b) if (a, b) in rules else (b, a)
        if key not in rules:
            raise KeyError(f"no replacement rule for the scalar product {a}·{b}")
        out += coeff * rules[key]
    return sp.expand(out)


@dataclass
class FeynmanIntegral:
    """A scalar L-loop integral given by its propagators.

    Parameters
    ----------
    loop_momenta
        Symbols of the loop momenta, e.g. ``[k]``.
    external_momenta
        Symbols of the independent external momenta appearing in the propagators.
    propagators
        ``(momentum, mass²)`` pairs; ``momentum`` is a linear expression in the momenta symbols.
    scalar_products
        Rules ``{(p_a, p_b): value}`` for every product of external momenta that occurs.
    powers
        Propagator powers ν_i (default all 1).
    dimension
        Space-time dimension D (default 4; one-loop boxes are finite there).
    """

    loop_momenta: Sequence[sp.Symbol]
    external_momenta: Sequence[sp.Symbol]
    propagators: Sequence[tuple[sp.Expr, sp.Expr]]
    scalar_products: dict
    powers: Sequence[int] | None = None
    dimension: sp.Expr = 4
    x_symbols: tuple[sp.Symbol, ...] = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.propagators)
        self.x_symbols = sp.symbols(f"x1:{n + 1}", nonnegative=True)
        if self.powers is None:
            self.powers = [1] * n
        if len(self.powers) != n:
            raise ValueError("one power per propagator is required")

    @property
    def n_loops(self) -> int:
        return len(self.loop_momenta)

    @cached_property
    def symanzik(self) -> tuple[sp.Expr, sp.Expr]:
        """Return the first and second Symanzik polynomials (U, F)."""
        ks = list(self.loop_momenta)
        ps = list(self.external_momenta)
        quad = sum(
            x * sp.expand(q**2) for x, (q, _) in zip(self.x_symbols, self.propagators, strict=True)
        )
        quad = sp.expand(quad)
        masses = sum(x * m2 for x, (_, m2) in zip(self.x_symbols, self.propagators, strict=True))
        L = len(ks)
        M = sp.zeros(L, L)
        Q = [sp.Integer(0)] * L
        poly = sp.Poly(quad, *ks)
        rest = sp.Integer(0)
        for monom, coeff in poly.terms():
            deg = sum(monom)
            if deg == 2:
                idx = [i for i, p in enumerate(monom) for _ in range(p)]
                a, b = idx
                if a == b:
                    M[a, a] += coeff
                else:
                    M[a, b] += coeff / 2
                    M[b, a] += coeff / 2
            elif deg == 1:
                a = monom.index(1)
                Q[a] += -coeff / 2  # Σ x D = kMk − 2 Q·k + J
            else:
                rest += coeff
        U = sp.factor(M.det())
        Minv_adj = M.adjugate()  # det(M) M⁻¹
        qmq = sum(Q[a] * Minv_adj[a, b] * Q[b] for a in range(L) for b in range(L))
        J = _apply_dot_rules(rest, ps, self.scalar_products) - masses
        F = _apply_dot_rules(qmq, ps, self.scalar_products) - sp.expand(U * J)
        return sp.expand(U), sp.expand(F)

    @property
    def exponents(self) -> tuple[sp.Expr, sp.Expr]:
        """Exponents (a_U, a_F) of the integrand U^a_U · F^(−a_F)."""
        nu = sum(self.powers)
        L, D = self.n_loops, self.dimension
        return nu - sp.Rational(L + 1, 2) * D, nu - sp.Rational(L, 2) * D

    def integrand(self) -> sp.Expr:
        """Projective integrand Π x^(ν−1) U^a_U / F^a_F (without the Γ prefactor)."""
        U, F = self.symanzik
        a_u, a_f = self.exponents
        mono = sp.Mul(*[x ** (nu - 1) for x, nu in zip(self.x_symbols, self.powers, strict=True)])
        return mono * U**a_u / F**a_f

    def primary_sector(self, l: int) -> sp.Expr:
        """Integrand of primary sector ``l`` (0-based): x_l = 1, the others on [0,1]."""
        if not 0 <= l < len(self.x_symbols):
            raise IndexError(f"sector {l} out of range")
        return self.integrand().subs(self.x_symbols[l], 1)

    def sector_variables(self, l: int) -> tuple[sp.Symbol, ...]:
        """The integration variables of primary sector ``l``, in order."""
        return tuple(x for i, x in enumerate(self.x_symbols) if i != l)
