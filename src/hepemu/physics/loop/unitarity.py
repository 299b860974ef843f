"""Numerical D-dimensional integrand reduction of one-loop diagrams with massless propagators.

For a diagram ∫ N(l)/(d₁⋯d_n), d_i = (l + r_i)² − μ² (μ² the (−2ε)-dimensional part of
l²), the numerator is sampled on the solutions of multiple cuts, top-down, and each residue
fitted in the standard basis of irreducible and spurious terms (Ossola, Papadopoulos &
Pittau, Nucl. Phys. B763 (2007) 147; in D dimensions with μ²: Ellis, Giele, Kunszt &
Melnikov, Nucl. Phys. B822 (2009) 270, sec. 3): box d₀ + d₁ξ + μ²(d₂ + d₃ξ) + μ⁴d₄,
triangle c₀ + 6 spurious + μ²(c₇ + c₈ξ₁ + c₉ξ₂), bubble b₀ + 8 spurious + μ²b₉, pentagon
a constant e. Then A = Σ d₀ I₄ + Σ c₀ I₃ + Σ b₀ I₂ − d₄/6 + c₇/2 − s b₉/6 (the rational
terms of :mod:`scalar_integrals`) + e I₅, I₅ reduced to boxes (up to O(ε)).
Everything is vectorised over points and over a trailing axis of numerator components
(e.g. helicity configurations).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np

from hepemu.physics.loop import scalar_integrals as si

METRIC = np.array([1.0, -1.0, -1.0, -1.0])

# Numerator: (l (N, S, 4) complex, mu2 (N, S) complex) -> (N, S, H) complex
Numerator = Callable[[np.ndarray, np.ndarray], np.ndarray]


def mdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minkowski product over the last axis (no conjugation)."""
    return np.sum(a * b * METRIC, axis=-1)


class CutFrame:
    """Geometry of a cut {d_i = 0, i ∈ subset}: physical part of l and transverse basis.

    With l' = l + r_{i₀} and K_j = r_{i_j} − r_{i₀}, the cut is l'·K_j = −K_j²/2 and
    l'² = μ². l' = l_phys + Σ_a x_a n_a with n_a·n_b = η_a δ_ab ⟂ every K_j; ξ_a = √η_a x_a
    obeys Σ ξ_a² = R = μ² − l_phys².
    """

    def __init__(self, r: np.ndarray, subset: tuple[int, ...]):
        self.subset = subset
        self.base = r[:, subset[0]]  # (N, 4)
        k = np.stack([r[:, j] - self.base for j in subset[1:]], axis=1)  # (N, m-1, 4)
        gram = mdot(k[:, :, None], k[:, None, :])  # (N, m-1, m-1)
        self.condition = np.linalg.cond(gram)
        self.gram_inv = np.linalg.pinv(gram)  # no exception at exactly degenerate points
        b = -0.5 * mdot(k, k)
        coef = np.einsum("njk,nk->nj", self.gram_inv, b)
        self.l_phys = np.einsum("nj,njm->nm", coef, k)
        self.k = k
        self.n, self.eta = self._transverse(k, 5 - len(subset))

    def _transverse(self, k: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """An orthonormal (Minkowski) basis of the complement of span(K), (N, dim, 4)."""
        n_pts = len(k)
        chosen: list[np.ndarray] = []
        etas: list[np.ndarray] = []
        for _ in range(dim):
            best = None
            for e in np.eye(4):
                v = np.broadcast_to(e, (n_pts, 4)).copy()
                kv = mdot(k, v[:, None, :])  # (N, m-1)
                v -= np.einsum("nj,njk,nkm->nm", kv, self.gram_inv, k)
                for c, eta in zip(chosen, etas, strict=True):
                    v -= (mdot(v, c) * eta)[:, None] * c
                norm = np.abs(mdot(v, v))
                if best is None:
                    best, best_norm = v, norm
                else:
                    better = norm > best_norm
                    best = np.where(better[:, None], v, best)
                    best_norm = np.where(better, norm, best_norm)
            eta = np.sign(mdot(best, best))
            chosen.append(best / np.sqrt(best_norm)[:, None])
            etas.append(eta)
        if not chosen:
            return np.zeros((n_pts, 0, 4)), np.zeros((n_pts, 0))
        return np.stack(chosen, axis=1), np.stack(etas, axis=1)

    def xi_of(self, l: np.ndarray) -> np.ndarray:
        """ξ_a of loop momenta l (N, S, 4) → (N, S, dim)."""
        lp = l + self.base[:, None, :]
        x = mdot(lp[:, :, None, :], self.n[:, None, :, :]) * self.eta[:, None, :]
        return x * np.sqrt(self.eta.astype(complex))[:, None, :]

    def l_of(self, xi: np.ndarray) -> np.ndarray:
        """Loop momenta l (N, S, 4) of transverse coordinates ξ (N, S, dim)."""
        x = xi / np.sqrt(self.eta.astype(complex))[:, None, :]
        lp = self.l_phys[:, None, :] + np.einsum("nsa,nam->nsm", x, self.n)
        return lp - self.base[:, None, :]


def _basis(m: int, xi: np.ndarray, mu2: np.ndarray) -> np.ndarray:
    """Residue basis functions (N, S, B) for an m-propagator cut (OPP/EGKM)."""
    one = np.ones_like(mu2)
    if m == 5:
        cols = [one]
    elif m == 4:
        x = xi[..., 0]
        cols = [one, x, mu2, mu2 * x, mu2**2]
    elif m == 3:
        x, y = xi[..., 0], xi[..., 1]
        cols = [
            one,
            x,
            y,
            x**2 - y**2,
            x * y,
            x**3 - 3 * x * y**2,
            3 * x**2 * y - y**3,
            mu2,
            mu2 * x,
            mu2 * y,
        ]
    elif m == 2:
        x, y, z = xi[..., 0], xi[..., 1], xi[..., 2]
        cols = [one, x, y, z, x**2 - z**2, y**2 - z**2, x * y, x * z, y * z, mu2]
    else:
        raise ValueError(f"no residue basis for {m} propagators")
    return np.stack(cols, axis=-1)


_BUBBLE_DIRECTIONS = np.array(
    [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 1],
        [1, -1, 2],
        [2, 1, -1],
        [-1, 2, 1],
        [3, -1, 1],
        [1, 3, -2],
        [-2, 1, 3],
        [2, -3, 1],
    ],
    dtype=float,
)  # generic unit directions: a well-conditioned fit of the ten bubble coefficients
_BUBBLE_DIRECTIONS /= np.linalg.norm(_BUBBLE_DIRECTIONS, axis=1, keepdims=True)
# μ² sample values (× scale); a second set ("variant" 1) gives an independent evaluation
_MU2_VALUES = (
    np.array([0.37, 0.81, 1.43]) * 1j + np.array([0.11, -0.29, 0.53]),
    np.array([0.62, -0.44, 1.17]) * 1j + np.array([-0.23, 0.71, 0.35]),
)


_TRIANGLE_ANGLES = 2 * np.pi * (np.arange(7) + 0.31) / 7
_DIRECTIONS = {
    4: [np.array([[1.0], [-1.0]])] * 3,
    # harmonics up to 3 at the first μ²; the μ² terms sit in harmonics 0, ±1 only
    3: [
        np.stack([np.cos(_TRIANGLE_ANGLES), np.sin(_TRIANGLE_ANGLES)], axis=-1),
        np.stack([np.cos(_TRIANGLE_ANGLES[:4]), np.sin(_TRIANGLE_ANGLES[:4])], axis=-1),
    ],
    # degree-2 harmonics (nine) at the first μ²; the μ² term sits in the constant only
    2: [_BUBBLE_DIRECTIONS[:9], _BUBBLE_DIRECTIONS[9:11]],
}


def _samples(
    m: int, frame: CutFrame, scale: np.ndarray, variant: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Points on the cut: ξ (N, S, 5-m) with Σξ² = R(μ²), and μ² (N, S).

    Generic complex μ² values (three on boxes for the μ⁴ term, two elsewhere: triangle and
    bubble residues are at most linear in μ²), and per μ² the directions of
    :data:`_DIRECTIONS`: a few more samples than coefficients, well conditioned.
    """
    if m == 5:  # the cut fixes l (four conditions) and μ² = l_phys²
        mu2 = mdot(frame.l_phys, frame.l_phys)[:, None].astype(complex)
        return np.zeros((len(scale), 1, 0), dtype=complex), mu2
    l2 = mdot(frame.l_phys, frame.l_phys)
    xis, mu2s = [], []
    for value, dirs in zip(_MU2_VALUES[variant], _DIRECTIONS[m], strict=False):
        mu2 = scale * value  # (N,)
        root = np.sqrt(mu2 - l2)
        xis.append(root[:, None, None] * dirs[None, :, :])
        mu2s.append(np.repeat(mu2[:, None], len(dirs), axis=1))
    return np.concatenate(xis, axis=1), np.concatenate(mu2s, axis=1)


class Reduction:
    """Integrand reduction of one diagram: offsets r (N, n, 4), numerator N(l, μ²).

    ``variant`` picks the set of μ² sample values (0 or 1: two independent evaluations);
    after :meth:`run`, ``gram_condition`` (N,) is the largest condition number of the Gram
    matrices of the cuts, the usual predictor of lost digits (near-planar pentagons,
    two-mass triangles of nearly equal masses, …).
    """

    def __init__(self, r: np.ndarray, numerator: Numerator, scale: np.ndarray, variant: int = 0):
        self.r = np.asarray(r, dtype=float)
        self.numerator = numerator
        self.scale = np.asarray(scale, dtype=float)
        self.variant = variant
        self.gram_condition = np.ones(len(self.r))
        self.n_props = self.r.shape[1]
        if self.n_props > 5:
            raise NotImplementedError("more than five propagators")
        self.frames: dict[tuple[int, ...], CutFrame] = {}
        self.coef: dict[tuple[int, ...], np.ndarray] = {}

    def d(self, l: np.ndarray, mu2: np.ndarray, i: int) -> np.ndarray:
        q = l + self.r[:, None, i, :]
        return mdot(q, q) - mu2

    def residue(self, subset: tuple[int, ...], l: np.ndarray, mu2: np.ndarray) -> np.ndarray:
        """The fitted residue of a cut at any l, μ² (N, S, H)."""
        frame = self.frames[subset]
        basis = self._basis(len(subset), frame.xi_of(l), mu2)
        return np.einsum("nsb,nbh->nsh", basis, self.coef[subset])

    def _basis(self, m: int, xi: np.ndarray, mu2: np.ndarray) -> np.ndarray:
        """The residue basis in the dimensionless ξ/√scale, μ²/scale (well conditioned)."""
        return _basis(m, xi / np.sqrt(self.scale)[:, None, None], mu2 / self.scale[:, None])

    def _massless_bubble(self, subset: tuple[int, ...]) -> bool:
        k = self.r[:, subset[1]] - self.r[:, subset[0]]
        return bool(np.all(np.abs(mdot(k, k)) < 1e-9 * self.scale))

    def run(self) -> np.ndarray:
        """Integrated diagram as a Laurent series (N, H, 3), coefficients of 1/ε², 1/ε, 1."""
        total = None
        for m in range(self.n_props, 1, -1):
            for subset in combinations(range(self.n_props), m):
                if m == 2 and self._massless_bubble(subset):
                    continue  # scaleless: its integral and its μ² term vanish
                frame = CutFrame(self.r, subset)
                self.frames[subset] = frame
                self.gram_condition = np.maximum(self.gram_condition, frame.condition)
                xi, mu2 = _samples(m, frame, self.scale, self.variant)
                l = frame.l_of(xi)
                value = self.numerator(l, mu2)
                for j in range(self.n_props):
                    if j not in subset:
                        value = value / self.d(l, mu2, j)[..., None]
                for higher, _ in list(self.coef.items()):
                    if set(subset) < set(higher):
                        extra = [j for j in higher if j not in subset]
                        den = np.prod([self.d(l, mu2, j) for j in extra], axis=0)
                        value = value - self.residue(higher, l, mu2) / den[..., None]
                basis = self._basis(m, xi, mu2)
                self.coef[subset] = np.linalg.pinv(basis) @ value
                term = self._integrated(subset)
                total = term if total is None else total + term
        return total

    def _inv(self, a: int, b: int) -> np.ndarray:
        d = self.r[:, a] - self.r[:, b]
        return mdot(d, d)

    def _box_integral(self, subset: tuple[int, ...]) -> np.ndarray:
        """The scalar box of four propagators (cyclic order of the diagram), (N, 3)."""
        i, j, k, l_ = subset
        s, t = self._inv(i, k), self._inv(j, l_)
        tiny = 1e-9 * self.scale
        masses = [self._inv(i, j), self._inv(j, k), self._inv(k, l_), self._inv(l_, i)]
        if np.any(sum((np.abs(x) > tiny).astype(int) for x in masses) > 1):
            raise NotImplementedError("boxes with more than one massive leg")
        m2 = sum(np.where(np.abs(x) > tiny, x, 0.0) for x in masses)
        return si.box(s, t, m2)

    def _integrated(self, subset: tuple[int, ...]) -> np.ndarray:
        """Σ (cut-constructible coefficient × master) + rational term, (N, H, 3)."""
        c = self.coef[subset]  # (N, B, H)
        r = self.r
        inv = lambda a, b: mdot(r[:, a] - r[:, b], r[:, a] - r[:, b])  # noqa: E731
        m = len(subset)
        out = np.zeros(c.shape[:1] + c.shape[2:] + (3,), dtype=complex)
        if m == 5:
            # I₅ = −½ Σ_i b_i I₄^(i) + O(ε), b = S⁻¹·1, S_ij = −½(r_i − r_j)² (Melrose;
            # van Neerven & Vermaseren, Phys. Lett. B137 (1984) 241), sign checked numerically
            d = r[:, :, None, :] - r[:, None, :, :]
            s_mat = -0.5 * mdot(d, d)
            b = np.linalg.solve(s_mat, np.ones(s_mat.shape[:2])[..., None])[..., 0]
            for i in range(5):
                box = self._box_integral(tuple(j for j in subset if j != i))
                out += (-0.5 * b[:, i, None, None]) * c[:, 0, :, None] * box[:, None, :]
        elif m == 4:
            out += c[:, 0, :, None] * self._box_integral(subset)[:, None, :]
            out[..., 2] += si.MU4_BOX * c[:, 4, :] / self.scale[:, None] ** 2
        elif m == 3:
            i, j, k = subset
            legs = [inv(i, j), inv(j, k), inv(k, i)]
            massive = [np.where(np.abs(x) > 1e-9 * self.scale, x, 0.0) for x in legs]
            nz = np.stack(massive, axis=-1)
            order = np.argsort(np.abs(nz), axis=-1)[:, ::-1]  # the two largest |masses|
            s2 = np.take_along_axis(nz, order[:, :1], axis=-1)[:, 0]
            s3 = np.take_along_axis(nz, order[:, 1:2], axis=-1)[:, 0]
            if np.any(np.all(np.abs(nz) > 0, axis=-1)):
                raise NotImplementedError("triangles with three massive legs")
            out += c[:, 0, :, None] * si.triangle(s2, s3)[:, None, :]
            out[..., 2] += si.MU2_TRIANGLE * c[:, 7, :] / self.scale[:, None]
        else:
            i, j = subset
            s = inv(i, j)
            out += c[:, 0, :, None] * si.bubble(s)[:, None, :]
            out[..., 2] += si.MU2_BUBBLE_PER_S * s[:, None] * c[:, 9, :] / self.scale[:, None]
        return out
