"""Momenta arrays (N, n, 4) with components (E, px, py, pz), invariants, and RAMBO.

RAMBO (Kleiss, Stirling & Ellis, Comput. Phys. Commun. 40 (1986) 359): n massless momenta
with a flat phase-space weight from 4n uniform numbers, so straight lines in the unit
hypercube map to phase-space trajectories; masses by the standard momentum rescaling
(ibid., sec. 4). Phase-space convention: dΦ_n = Π d³p/((2π)³ 2E) (2π)⁴ δ⁴(P − Σp).
"""

from __future__ import annotations

import math

import numpy as np
from array_api_compat import array_namespace, device

METRIC = np.array([1.0, -1.0, -1.0, -1.0])


def dot(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Minkowski product over the last axis (NumPy arrays, or torch tensors: export graphs)."""
    if isinstance(p, np.ndarray) or isinstance(q, np.ndarray):
        return np.sum(p * q * METRIC, axis=-1)
    xp = array_namespace(p, q)
    return xp.sum(p * q * xp.asarray(METRIC, dtype=p.dtype, device=device(p)), axis=-1)


def invariant_mass2(p: np.ndarray) -> np.ndarray:
    """p² over the last axis."""
    return dot(p, p)


def s_ij(p: np.ndarray, i: int, j: int) -> np.ndarray:
    """(p_i + p_j)² for momenta p of shape (N, n, 4)."""
    q = p[:, i] + p[:, j]
    return dot(q, q)


def massless_volume(n: int, sqrt_s: float) -> float:
    """Volume of n-body massless phase space (RAMBO paper, eq. 2.4 with (2π)^(4−3n))."""
    s = sqrt_s**2
    return (
        (2 * math.pi) ** (4 - 3 * n)
        * (math.pi / 2) ** (n - 1)
        * s ** (n - 2)
        / (math.factorial(n - 1) * math.factorial(n - 2))
    )


def rambo_from_unit(u: np.ndarray, sqrt_s: float, masses=None) -> tuple[np.ndarray, np.ndarray]:
    """Map points of [0,1]^(4n) to n-particle momenta in the centre-of-mass frame.

    Parameters
    ----------
    u
        Uniform numbers, shape (N, 4n); u must lie in the open interval (0, 1).
    sqrt_s
        Centre-of-mass energy.
    masses
        Optional n final-state masses (default massless).

    Returns
    -------
    momenta, weights
        Shape (N, n, 4) and (N,): the phase-space weight of each event.
    """
    u = np.atleast_2d(np.asarray(u, dtype=float))
    if u.shape[1] % 4 or u.shape[1] < 8:
        raise ValueError("need 4n uniform numbers per event with n >= 2")
    n = u.shape[1] // 4
    r = u.reshape(len(u), n, 4)
    e = -np.log(r[..., 0] * r[..., 1])  # q0 with density q0 e^(−q0)
    cos_t = 2 * r[..., 2] - 1
    sin_t = np.sqrt(np.clip(1 - cos_t**2, 0, None))
    phi = 2 * np.pi * r[..., 3]
    q = np.stack([e, e * sin_t * np.cos(phi), e * sin_t * np.sin(phi), e * cos_t], axis=-1)
    p = _boost_to_centre_of_mass(q, sqrt_s)
    w = np.full(len(u), massless_volume(n, sqrt_s))
    if masses is None or not np.any(masses):
        return p, w
    return _give_masses(p, w, np.asarray(masses, dtype=float), sqrt_s)


def _boost_to_centre_of_mass(q: np.ndarray, sqrt_s: float) -> np.ndarray:
    """The RAMBO conformal map (ibid., eq. 2.3: boost to the rest frame of Σq, scale to √s)
    of massless q (N, n, 4), in light-cone components along n = Q̂ so that nothing cancels:
    q^∓ = q⁰ ∓ n·q are sums of non-negative terms, M² = Q⁺Q⁻, and the boost scales them to
    p^± = √s q^±/Q^± (the textbook form subtracts terms of size γ²√s, so momentum conservation
    fails by ~10⁻¹⁶γ²√s where a soft momentum meets a collinear one)."""
    Q = q[..., 1:].sum(axis=1)
    norm = np.linalg.norm(Q, axis=-1, keepdims=True)
    n = np.where(norm > 0, Q / np.where(norm > 0, norm, 1.0), [0.0, 0.0, 1.0])  # Q = 0: any n
    par = np.einsum("ij,inj->in", n, q[..., 1:])
    perp = q[..., 1:] - par[..., None] * n[:, None, :]
    kt2 = np.einsum("inj,inj->in", perp, perp)
    forward = par >= 0  # q⁺q⁻ = k_T²: take the small one of q^± from it, not by subtraction
    big = q[..., 0] + np.abs(par)
    small = kt2 / np.where(big > 0, big, 1.0)
    q_plus, q_minus = np.where(forward, big, small), np.where(forward, small, big)
    Q_plus, Q_minus = q_plus.sum(axis=1), q_minus.sum(axis=1)
    if np.any(Q_minus <= 1e-12 * Q_plus):  # all q parallel: a measure-zero set, map singular
        rows = ", ".join(map(str, np.flatnonzero(Q_minus <= 1e-12 * Q_plus)[:10]))
        raise ValueError(f"degenerate RAMBO input (all momenta collinear) in rows {rows}")
    p_plus = sqrt_s * q_plus / Q_plus[:, None]
    p_minus = sqrt_s * q_minus / Q_minus[:, None]
    x = sqrt_s / np.sqrt(Q_plus * Q_minus)
    pv = 0.5 * (p_plus - p_minus)[..., None] * n[:, None, :] + x[:, None, None] * perp
    return np.concatenate([0.5 * (p_plus + p_minus)[..., None], pv], axis=-1)


def _rescaling(e0: np.ndarray, m: np.ndarray, sqrt_s: float) -> np.ndarray:
    """ξ per event with Σ_i sqrt(m_i² + ξ² E_i²) = √s (RAMBO sec. 4), all events at once.

    The left side is increasing and convex in ξ and ≥ √s at ξ = 1, so Newton's method started
    at ξ = 1 decreases monotonically to the root without overshooting.
    """
    xi = np.ones(len(e0))
    for _ in range(200):
        en = np.sqrt(m**2 + (xi[:, None] * e0) ** 2)
        f = en.sum(axis=1) - sqrt_s
        slope = np.sum(xi[:, None] * e0**2 / en, axis=1)
        step = np.where(f > 0, f / np.maximum(slope, 1e-300), 0.0)
        xi = np.clip(xi - step, 0.0, 1.0)
        if np.all(step <= 1e-16 * np.maximum(xi, 1e-300)):
            break
    return xi


def _give_masses(p, w, m, sqrt_s):
    if len(m) != p.shape[1]:
        raise ValueError(f"{len(m)} masses for {p.shape[1]} particles")
    if m.sum() >= sqrt_s:
        raise ValueError("the masses exceed the centre-of-mass energy")
    e0 = p[..., 0]
    xi = _rescaling(e0, m, sqrt_s)
    k3 = xi[:, None, None] * p[..., 1:]
    kabs = xi[:, None] * e0
    ek = np.sqrt(m**2 + kabs**2)
    out = np.concatenate([ek[..., None], k3], axis=-1)
    n = p.shape[1]
    # RAMBO sec. 4: W_m = W_0 (Σ|k|/√s)^(2n−3) Π(|k|/E) √s / Σ(|k|²/E)
    factor = (
        (kabs.sum(axis=1) / sqrt_s) ** (2 * n - 3)
        * np.prod(kabs / ek, axis=1)
        * sqrt_s
        / np.sum(kabs**2 / ek, axis=1)
    )
    return out, w * factor


def mass_shell_violation(p: np.ndarray, masses: np.ndarray | None = None) -> np.ndarray:
    """max over legs of |p² − m²| / E², shape (N,), for momenta (N, n, 4)."""
    m2 = 0.0 if masses is None else np.asarray(masses, dtype=float) ** 2
    return np.max(np.abs(invariant_mass2(p) - m2) / np.maximum(p[..., 0] ** 2, 1e-300), axis=1)


def momentum_imbalance(p: np.ndarray, n_in: int = 2) -> np.ndarray:
    """max component of |Σ p_in − Σ p_out| / Σ E_in, shape (N,)."""
    diff = p[:, :n_in].sum(axis=1) - p[:, n_in:].sum(axis=1)
    return np.max(np.abs(diff), axis=1) / np.maximum(p[:, :n_in, 0].sum(axis=1), 1e-300)


def min_pair_ratio(p: np.ndarray, n_in: int = 2) -> np.ndarray:
    """min over final-state pairs of s_ij / s (s = (Σ p_in)²), shape (N,)."""
    s = invariant_mass2(p[:, :n_in].sum(axis=1))
    out = np.full(len(p), np.inf)
    for i in range(n_in, p.shape[1]):
        for j in range(i + 1, p.shape[1]):
            out = np.minimum(out, s_ij(p, i, j) / s)
    return out


def thrust_three_partons(p_out: np.ndarray, sqrt_s: float) -> np.ndarray:
    """Thrust of three massless final-state partons, T = max_i 2E_i/√s in their centre-of-mass
    frame (Ellis, Stirling & Webber, "QCD and collider physics", sec. 3.3); p_out (N, 3, 4)."""
    if p_out.shape[1:] != (3, 4):
        raise ValueError(f"thrust_three_partons needs (N, 3, 4) momenta, got {p_out.shape}")
    return 2.0 * p_out[:, :, 0].max(axis=1) / sqrt_s
