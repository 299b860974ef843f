"""Reference integrators over [0,1]^k, vectorised over parameter points.

- Tensor Gauss–Legendre: deterministic, excellent for smooth low-dimensional integrands.
- Randomly shifted rank-1 lattice QMC with a Korobov periodising transform, value ± error
  from the spread over independent random shifts (Sloan & Joe 1994; Borowka et al.,
  arXiv:1811.11720, sec. 3). Generating vectors by fast component-by-component
  construction (Nuyens & Cools, Math. Comp. 75 (2006) 903, for prime n).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from hepemu.physics.integrals.transforms import korobov

# evaluations per block: 512 kB temporaries stay in cache and below the allocator's mmap
# threshold (larger blocks page-faulted on every call: 2-3x slower on the 2-core EPYC)
_BLOCK = 65_536


def _chunks(n_params: int, points_per_param: int, max_points: int):
    step = max(1, min(max_points, _BLOCK) // max(points_per_param, 1))
    for start in range(0, n_params, step):
        yield slice(start, min(start + step, n_params))


@lru_cache(maxsize=32)
def gauss_legendre_nodes(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor-product Gauss–Legendre nodes on [0,1]^k (n per axis) and their weights."""
    if n < 1 or k < 1:
        raise ValueError("need n >= 1 nodes per axis and k >= 1 dimensions")
    t, w = np.polynomial.legendre.leggauss(n)
    t, w = 0.5 * (t + 1.0), 0.5 * w
    grids = np.meshgrid(*([t] * k), indexing="ij")
    wgrids = np.meshgrid(*([w] * k), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    weights = np.prod(np.stack([g.ravel() for g in wgrids], axis=1), axis=1)
    nodes.setflags(write=False)  # cached: callers must not modify
    weights.setflags(write=False)
    return nodes, weights


def integrate_gauss_legendre(
    f, s: np.ndarray, k: int, n: int = 12, max_points: int = 2_000_000
) -> np.ndarray:
    """Integrate ``f(s; x)`` over [0,1]^k for each row of ``s`` with an n^k tensor GL rule.

    Parameters
    ----------
    f
        Vectorised integrand ``f(s, x)``, s (P, m), x (P, k) → (P,).
    s
        Parameter points, shape (N, m).
    k
        Number of integration variables.
    n
        Nodes per axis.
    max_points
        Largest number of integrand evaluations done at once (memory bound).

    Returns
    -------
    numpy.ndarray
        Integrals, shape (N,).
    """
    s = np.atleast_2d(np.asarray(s, dtype=float))
    nodes, weights = gauss_legendre_nodes(n, k)
    own = own_weighted_sums(f)
    if own is not None:
        return own(s, nodes, weights)
    p = len(weights)
    out = np.empty(len(s))
    outer = _outer_evaluator(f, s, nodes)
    for sl in _chunks(len(s), p, max_points):
        out[sl] = _rowdot(outer(s[sl], nodes), weights)
    return out


def own_weighted_sums(f):
    """An integrand's own ``weighted_sums(s, x, w)`` (a rule applied to every parameter
    point at once, e.g. sector sums linear in s), if it has one, else None."""
    for obj in (f, getattr(f, "integrand", None)):
        if callable(getattr(obj, "weighted_sums", None)):
            return obj.weighted_sums
    return None


def _outer_evaluator(f, s: np.ndarray, x: np.ndarray):
    """A function ``(s, x) ->`` f on every pair (row of s, row of x), shape (len(s), len(x)).

    Column-wise integrands (``s[:, j]``, ``x[:, j]`` and element-wise arithmetic, like every
    built-in one) are evaluated by broadcasting: s as (N, m, 1) columns against x as (P, k)
    columns, so that terms depending only on x or only on s are computed once, not N·P times,
    and no (N·P, m) copies are made. Whether ``f`` broadcasts correctly is checked on the
    first rows of ``s`` against the explicit pairing (np.repeat / np.tile), which is used
    instead for any integrand that fails the check (e.g. one calling a torch network).
    """
    probe = s[:3]
    if len(s) <= len(probe):  # nothing to gain: the probe would cost more than the integral
        return lambda s_rows, x_rows: _paired(f, s_rows, x_rows)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = _paired(f, probe, x)
            got = _broadcast(f, probe, x)
        ok = got.shape == want.shape and np.allclose(
            got, want, rtol=1e-13, atol=0.0, equal_nan=True
        )
    except Exception:  # any failure of the broadcast form means: use the explicit pairing
        ok = False
    form = _broadcast if ok else _paired
    return lambda s_rows, x_rows: form(f, s_rows, x_rows)


def _broadcast(f, s: np.ndarray, x: np.ndarray) -> np.ndarray:
    vals = np.asarray(f(s[:, :, None], x))
    return np.ascontiguousarray(np.broadcast_to(vals, (len(s), len(x))))


def _paired(f, s: np.ndarray, x: np.ndarray):
    vals = f(np.repeat(s, len(x), axis=0), np.tile(x, (len(s), 1)))
    return vals.reshape(len(s), len(x))


def _rowdot(vals: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Row-wise weighted sums, bit-identical whatever the BLAS threads or batch split
    (einsum's own loop, not BLAS): data generated in parallel must hash the same."""
    return np.einsum("ij,j->i", vals, w)


def _omega(x: np.ndarray) -> np.ndarray:
    # 2π² B2(x): the kernel of the P_2 lattice criterion (Nuyens & Cools 2006, eq. 2)
    return 2.0 * np.pi**2 * (x * x - x + 1.0 / 6.0)


@lru_cache(maxsize=64)
def cbc_generating_vector(n: int, k: int, gamma: float = 1.0) -> np.ndarray:
    """Rank-1 lattice generating vector for prime ``n`` by fast CBC (P_2, product weights γ)."""
    if not sp.isprime(n):
        raise ValueError(f"fast CBC needs a prime number of points, got {n}")
    if n < 5:
        return np.ones(k, dtype=np.int64)
    g = int(sp.primitive_root(n))
    perm = np.empty(n - 1, dtype=np.int64)
    perm[0] = 1
    for j in range(1, n - 1):  # one-off setup, O(n)
        perm[j] = (perm[j - 1] * g) % n
    psi = _omega(perm / n)
    fpsi = np.fft.fft(psi)
    kk = np.arange(n, dtype=np.int64)
    prod = np.ones(n)
    z = np.empty(k, dtype=np.int64)
    for d in range(k):
        if d == 0:
            zd = 1
        else:
            q = prod[perm]
            scores = np.fft.ifft(fpsi * np.conj(np.fft.fft(q))).real
            # z, n−z (and sometimes z⁻¹) tie exactly: take the smallest z among the minima
            best = scores.min()
            ties = np.flatnonzero(scores <= best + 1e-12 * abs(best) + 1e-300)
            zd = int(perm[ties].min())
        z[d] = zd
        prod *= 1.0 + gamma * _omega(((kk * zd) % n) / n)
    z.setflags(write=False)  # cached: callers must not modify
    return z


@dataclass(frozen=True)
class QMCResult:
    """Value and standard error of randomly shifted lattice estimates."""

    value: np.ndarray
    error: np.ndarray


def integrate_qmc(
    f,
    s: np.ndarray,
    k: int,
    n: int = 10007,
    n_shifts: int = 10,
    korobov_order: int = 3,
    seed: int | np.random.Generator | None = 0,
    max_points: int = 2_000_000,
) -> QMCResult:
    """Randomly shifted rank-1 lattice QMC of ``f(s; x)`` over [0,1]^k for each row of ``s``.

    The integrand is periodised with the Korobov transform of ``korobov_order``; the value is
    the mean over ``n_shifts`` shifts and the error the standard error of that mean.
    """
    if n_shifts < 2:
        raise ValueError("need at least 2 random shifts for an error estimate")
    if n < 5:
        raise ValueError(f"lattice size must be at least 5, got {n}")
    if not sp.isprime(n):
        n = int(sp.prevprime(n))  # fast CBC needs a prime: the largest prime below n is used
    s = np.atleast_2d(np.asarray(s, dtype=float))
    rng = np.random.default_rng(seed)
    z = cbc_generating_vector(n, k)
    base = (np.arange(n)[:, None] * z[None, :] % n) / n
    shifts = rng.random((n_shifts, k))
    est = np.empty((len(s), n_shifts))
    outer, own = None, own_weighted_sums(f)
    for j, shift in enumerate(shifts):
        t = np.mod(base + shift, 1.0)
        x, w = korobov(t, korobov_order)
        wprod = np.prod(w, axis=1)
        if own is not None:
            est[:, j] = own(s, x, wprod) / n
            continue
        if outer is None:
            outer = _outer_evaluator(f, s, x)
        for sl in _chunks(len(s), n, max_points):
            est[sl, j] = _rowdot(outer(s[sl], x), wprod) / n
    value = est.mean(axis=1)
    error = est.std(axis=1, ddof=1) / np.sqrt(n_shifts)
    return QMCResult(value, error)


def integrate_gauss_legendre_u2(f, s: np.ndarray, k: int, n: int = 11) -> np.ndarray:
    """Integrate ``f(s; x)`` over [0,1]^k for each row of ``s`` with an n^k tensor
    Gauss–Legendre rule in u, x = u² per axis (dx = 2u du: endpoint behaviour at x = 0 is
    flattened). A sector sum (an integrand with ``tensor_sums``) contracts its per-sector
    tables with every parameter point at once; any other integrand gets the n^k grid."""
    from hepemu.physics.integrals.tensor_rule import gauss_legendre_u2

    s = np.atleast_2d(np.asarray(s, dtype=float))
    x, w = gauss_legendre_u2(n)
    for obj in (f, getattr(f, "integrand", None)):
        if callable(getattr(obj, "tensor_sums", None)):
            return obj.tensor_sums(s, x, w)
    nodes, weights = gauss_legendre_nodes(n, k)
    u = 0.5 * (np.polynomial.legendre.leggauss(n)[0] + 1.0)
    index = np.searchsorted(u, nodes)  # each node's position on its axis
    grid, gw = x[index], weights * np.prod(2.0 * u[index], axis=1)
    own = own_weighted_sums(f)
    if own is not None:
        return own(s, grid, gw)
    outer = _outer_evaluator(f, s, grid)
    out = np.empty(len(s))
    for sl in _chunks(len(s), len(gw), 2_000_000):
        out[sl] = _rowdot(outer(s[sl], grid), gw)
    return out


GL_MAX_DIM = 4  # above this a tensor rule's n^k nodes cost more than a lattice of equal accuracy


RULES = ("auto", "gl-u2")  # reference rules by name (the provider option ``rule``)


def reference_integrals(
    f,
    s: np.ndarray,
    k: int,
    gl_nodes: int = 32,
    qmc_points: int = 100003,
    qmc_shifts: int = 8,
    rule: str = "auto",
) -> tuple[np.ndarray, str]:
    """Accurate integrals of ``f(s; x)`` over [0,1]^k and the rule's name. ``rule="auto"``:
    tensor Gauss–Legendre (``gl_nodes`` per axis) up to k = 4 dimensions, lattice QMC
    (``qmc_points`` × ``qmc_shifts`` shifts, Korobov order 3) above; ``"gl-u2"``: tensor
    Gauss–Legendre in u with x = u² (``gl_nodes`` per axis) in any dimension."""
    name = reference_rule(k, gl_nodes, qmc_points, qmc_shifts, rule)
    if rule == "gl-u2":
        return integrate_gauss_legendre_u2(f, s, k, gl_nodes), name
    if k <= GL_MAX_DIM:
        return integrate_gauss_legendre(f, s, k, gl_nodes), name
    return integrate_qmc(f, s, k, n=qmc_points, n_shifts=qmc_shifts).value, name


def reference_rule(
    k: int, gl_nodes: int, qmc_points: int, qmc_shifts: int = 8, rule: str = "auto"
) -> str:
    """The name of the rule ``reference_integrals`` uses in k dimensions."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
    if rule == "gl-u2":
        return f"Gauss-Legendre in u, x = u^2, {gl_nodes}^{k} nodes"
    if k <= GL_MAX_DIM:
        return f"Gauss-Legendre {gl_nodes}^{k} nodes"
    return f"lattice QMC {qmc_points} x {qmc_shifts} shifts"
