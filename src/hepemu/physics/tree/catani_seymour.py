"""Catani–Seymour final–final dipoles for massless partons.

Momenta are arrays (N, legs, 4) (E, px, py, pz; metric + − − −), legs e⁺, e⁻, then the final
state; a process is described by the flavours of its final-state partons (``"q"``, ``"qbar"``,
``"g"``). All equations: S. Catani & M. H. Seymour, Nucl. Phys. B 485 (1997) 291
[hep-ph/9605323], section 5.1 ("CS" below); the emulator's choices (relevant dipoles, recoil
inputs, azimuthal angles): D. Maître & H. Truong, "A factorisation-aware matrix element
emulator" ("MT" below).

- :func:`relevant_dipoles`: every (i, j, k) whose dipole can be singular — no quark emitted
  (j a gluon), one of each g↔g pair (MT §2.4.2: 2 / 10 / 27 dipoles for 3 / 4 / 5 jets).
- :func:`dipole_factors`: D_ij,k = ⟨V_ij,k⟩/s_ij, spin averaged, with 8π α_s and the emitter's
  Casimir inside ⟨V⟩ (MT eq. 2.2; CS eqs. 5.7, 5.9).
- :func:`recoil_factors`, :func:`z_tilde`, :func:`reduced_momenta` (CS eqs. 5.3–5.6);
  :func:`emit` is the inverse map, (y, z̃, φ) and an n-parton point → an (n+1)-parton point.
- :func:`azimuths`: φ_ij of each gluon pair (MT appendix A), for the sin 2φ, cos 2φ terms.
- :func:`dipole_approximation`: the full Σ D_ij,k with colour correlations, for Borns whose
  colour correlators reduce to Casimirs (≤ 3 partons: e⁺e⁻ → q q̄ and q q̄ g). It reproduces
  |M_{n+1}|² in every soft and quark–gluon collinear limit, and in g∥g limits after an average
  over the splitting's azimuth (the spin-averaged dipole drops the cos 2φ correlation).
- :func:`spin_correlation_weights`: the size of the g → g g spin correlation per gluon pair.

The emulator's inputs built from them are in :mod:`hepemu.physics.tree.emulator_inputs`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from array_api_compat import array_namespace

from hepemu.physics.kinematics import dot, min_pair_ratio

C_F = 4.0 / 3.0
C_A = 3.0
FLAVOURS = ("q", "qbar", "g")


@dataclass(frozen=True)
class Dipole:
    """Emitter i, emitted j, spectator k (leg indices into the event); ``kind`` ``qg``/``gg``."""

    i: int
    j: int
    k: int
    kind: str

    @property
    def label(self) -> str:
        return f"D{self.i}{self.j},{self.k}"


def _check_flavours(flavours: Sequence[str]) -> None:
    bad = [f for f in flavours if f not in FLAVOURS]
    if bad:
        raise ValueError(f"unknown parton flavours {bad}; known: {', '.join(FLAVOURS)}")


def relevant_dipoles(flavours: Sequence[str], first_leg: int = 2) -> list[Dipole]:
    """The dipoles of final-state partons ``flavours`` (legs ``first_leg``, ``first_leg+1``, …).

    Quarks are never the emitted parton (no soft-quark singularity); of g_a g_b only (a, b)
    with a < b is kept, since D_ab,k = D_ba,k (MT §2.4.2).
    """
    _check_flavours(flavours)
    legs = range(first_leg, first_leg + len(flavours))
    flav = dict(zip(legs, flavours, strict=True))
    out = []
    for a, b in combinations(legs, 2):
        pair = {flav[a], flav[b]}
        if pair == {"g"}:
            i, j, kind = a, b, "gg"
        elif "g" in pair:
            i, j = (a, b) if flav[b] == "g" else (b, a)
            kind = "qg"
        else:
            continue  # q q̄: no singular splitting at tree level here
        out += [Dipole(i, j, k, kind) for k in legs if k not in (i, j)]
    return sorted(out, key=lambda d: (d.kind != "qg", d.i, d.j, d.k))


def _pdot(p: np.ndarray, a: int, b: int) -> np.ndarray:
    return dot(p[:, a], p[:, b])


def recoil_factors(p: np.ndarray, dipoles: Sequence[Dipole]) -> np.ndarray:
    """y_ij,k = p_i·p_j / (p_i·p_j + p_j·p_k + p_i·p_k), shape (N, n_dipoles) (CS eq. 5.3)."""
    cols = []
    for d in dipoles:
        ij, jk, ik = _pdot(p, d.i, d.j), _pdot(p, d.j, d.k), _pdot(p, d.i, d.k)
        cols.append(ij / (ij + jk + ik))
    return array_namespace(p).stack(cols, axis=1)


def z_tilde(p: np.ndarray, d: Dipole) -> np.ndarray:
    """z̃_i = p_i·p_k / (p_i·p_k + p_j·p_k) (CS eq. 5.6)."""
    ik, jk = _pdot(p, d.i, d.k), _pdot(p, d.j, d.k)
    return ik / (ik + jk)


def splitting(kind: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """⟨V_ij,k⟩ / (8π α_s) at ε = 0: C_F[2/(1 − z(1−y)) − (1+z)] for q → q g (CS eq. 5.7),
    2 C_A[1/(1 − z(1−y)) + 1/(1 − (1−z)(1−y)) − 2 + z(1−z)] for g → g g (CS eq. 5.9,
    averaged over the gluon's d − 2 = 2 polarisations)."""
    if kind == "qg":
        return C_F * (2.0 / (1.0 - z * (1.0 - y)) - (1.0 + z))
    if kind == "gg":
        soft = 1.0 / (1.0 - z * (1.0 - y)) + 1.0 / (1.0 - (1.0 - z) * (1.0 - y))
        return 2.0 * C_A * (soft - 2.0 + z * (1.0 - z))
    raise ValueError(f"unknown splitting kind {kind!r}; known: qg, gg")


def dipole_factors(
    p: np.ndarray, dipoles: Sequence[Dipole], alpha_s: float, y: np.ndarray | None = None
) -> np.ndarray:
    """D_ij,k = ⟨V_ij,k⟩ / s_ij for each dipole, shape (N, n_dipoles) (MT eq. 2.2); ``y``:
    their recoil factors, if the caller has them already."""
    y = recoil_factors(p, dipoles) if y is None else y
    cols = []
    for c, d in enumerate(dipoles):
        v = 8.0 * np.pi * alpha_s * splitting(d.kind, z_tilde(p, d), y[:, c])
        cols.append(v / (2.0 * _pdot(p, d.i, d.j)))
    return array_namespace(p).stack(cols, axis=1)


def reduced_momenta(p: np.ndarray, d: Dipole) -> np.ndarray:
    """The n-parton point of dipole d: p̃_k = p_k/(1−y), p̃_ij = p_i + p_j − y/(1−y) p_k in
    the place of i, j removed (CS eq. 5.4); other legs unchanged."""
    y = recoil_factors(p, [d])[:, 0][:, None]
    out = p.copy()
    out[:, d.k] = p[:, d.k] / (1.0 - y)
    out[:, d.i] = p[:, d.i] + p[:, d.j] - y / (1.0 - y) * p[:, d.k]
    return np.delete(out, d.j, axis=1)


def _transverse_basis(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two orthonormal space-like vectors (e·e = −1) orthogonal to light-like a and b: the
    x, y, z axes projected off a and b (they span the transverse plane), per event the
    longest, then the longest of the rest made orthogonal to it."""
    ab = dot(a, b)[:, None, None]
    if not np.all(ab[:, 0, 0] > 1e-12 * a[:, 0] * b[:, 0]):
        raise ValueError("emitter and spectator are collinear: no transverse plane")
    r = np.zeros((len(a), 3, 4))
    r[:, [0, 1, 2], [1, 2, 3]] = 1.0
    e = r - dot(r, b[:, None])[..., None] * a[:, None] / ab
    e = e - dot(r, a[:, None])[..., None] * b[:, None] / ab

    def longest(v: np.ndarray) -> np.ndarray:
        n2 = -dot(v, v)
        best = np.argmax(n2, axis=1)
        pick = np.take_along_axis(v, best[:, None, None], axis=1)[:, 0]
        norm2 = np.take_along_axis(n2, best[:, None], axis=1)
        if not np.all(norm2 > 1e-24):
            raise ValueError("emitter and spectator are collinear: no transverse plane")
        return pick / np.sqrt(norm2)

    e1 = longest(e)
    e2 = longest(e + dot(e, e1[:, None])[..., None] * e1[:, None])
    return e1, e2


def emit(
    p: np.ndarray, emitter: int, spectator: int, y: np.ndarray, z: np.ndarray, phi: np.ndarray
) -> np.ndarray:
    """Inverse of :func:`reduced_momenta`: split leg ``emitter`` into (i = emitter, j appended
    as the last leg) with recoil y, momentum fraction z̃_i = z and azimuth φ about p̃_ij.

    p_i = z p̃ + (1−z) y p̃_k + k⊥, p_j = (1−z) p̃ + z y p̃_k − k⊥, p_k = (1−y) p̃_k, with
    −k⊥² = z(1−z) y 2p̃·p̃_k, so that both stay massless and CS eqs. 5.3–5.6 give back y, z.
    """
    pt, pk = p[:, emitter], p[:, spectator]
    y, z, phi = (np.broadcast_to(np.asarray(v, float), (len(p),))[:, None] for v in (y, z, phi))
    e1, e2 = _transverse_basis(pt, pk)
    kt = np.sqrt(z * (1 - z) * y * 2 * dot(pt, pk)[:, None])
    kperp = kt * (np.cos(phi) * e1 + np.sin(phi) * e2)
    out = p.copy()
    out[:, emitter] = z * pt + (1 - z) * y * pk + kperp
    out[:, spectator] = (1 - y) * pk
    pj = (1 - z) * pt + z * y * pk - kperp
    return np.concatenate([out, pj[:, None]], axis=1)


def azimuths(p: np.ndarray, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    """φ_ij of each pair: angle between p_i and the z axis projected onto the plane ⟂ p_i + p_j
    (MT appendix A, eqs. A.1–A.5), shape (N, n_pairs)."""
    cols = []
    for i, j in pairs:
        with np.errstate(invalid="ignore", divide="ignore"):  # undefined → NaN, for callers
            cols.append(_azimuth(p, i, j))
    return np.stack(cols, axis=1)


def _azimuth(p: np.ndarray, i: int, j: int) -> np.ndarray:
    """φ_ij of MT appendix A (eqs. A.1–A.5) for one pair; NaN where undefined."""
    pij = p[:, i, 1:] + p[:, j, 1:]
    nij = pij / np.linalg.norm(pij, axis=1, keepdims=True)
    ez = np.zeros_like(pij)
    ez[:, 2] = 1.0
    rz = ez - np.sum(nij * ez, axis=1, keepdims=True) * nij
    ri = p[:, i, 1:] - np.sum(nij * p[:, i, 1:], axis=1, keepdims=True) * nij
    rz /= np.linalg.norm(rz, axis=1, keepdims=True)
    ri /= np.linalg.norm(ri, axis=1, keepdims=True)
    sin = np.sum(nij * np.cross(ri, rz), axis=1)
    cos = np.sum(ri * rz, axis=1)
    return np.arctan2(sin, cos)


def double_angles(p: np.ndarray, pairs: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """sin 2φ_ij and cos 2φ_ij of each pair, each (N, n_pairs), φ_ij of :func:`azimuths`, from
    the sine and cosine of φ directly (no arctan2: the same in NumPy and in torch graphs);
    NaN where undefined."""
    xp = array_namespace(p)
    sines, cosines = [], []
    with np.errstate(invalid="ignore", divide="ignore"):  # undefined → NaN, for callers
        for i, j in pairs:
            pij = p[:, i, 1:] + p[:, j, 1:]
            nij = pij / xp.linalg.vector_norm(pij, axis=1, keepdims=True)
            rz = -nij[:, 2:3] * nij  # e_z minus its projection on n_ij (MT eqs. A.1–A.5) ...
            rz = xp.concat([rz[:, :2], rz[:, 2:] + 1.0], axis=1)  # ... with e_z's 1 added
            ri = p[:, i, 1:] - xp.sum(nij * p[:, i, 1:], axis=1, keepdims=True) * nij
            sin = xp.sum(nij * xp.linalg.cross(ri, rz), axis=1)
            cos = xp.sum(ri * rz, axis=1)
            r2 = sin * sin + cos * cos
            sines.append(2.0 * sin * cos / r2)
            cosines.append((cos * cos - sin * sin) / r2)
    return xp.stack(sines, axis=1), xp.stack(cosines, axis=1)


def gluon_pairs(flavours: Sequence[str], first_leg: int = 2) -> list[tuple[int, int]]:
    """Leg pairs of gluons (a < b): one φ_ab each (MT Table 1: 0 / 1 / 3 for 3 / 4 / 5 jets)."""
    _check_flavours(flavours)
    gluons = [first_leg + n for n, f in enumerate(flavours) if f == "g"]
    return list(combinations(gluons, 2))


def colour_correlator(born: Sequence[str], emitter: int, spectator: int) -> float:
    """T_emitter·T_spectator of a Born of ≤ 3 partons (indices into ``born``), from colour
    conservation Σ T = 0: for two partons −T²; for three T_a·T_b = (T_c² − T_a² − T_b²)/2."""
    cas = {"q": C_F, "qbar": C_F, "g": C_A}
    if len(born) == 2:
        return -cas[born[emitter]]
    if len(born) == 3:
        (c,) = {0, 1, 2} - {emitter, spectator}
        return 0.5 * (cas[born[c]] - cas[born[emitter]] - cas[born[spectator]])
    raise NotImplementedError(
        f"colour correlations of a {len(born)}-parton Born are not Casimirs; "
        "colour-correlated Born amplitudes are needed"
    )


def dipole_approximation(
    p: np.ndarray,
    flavours: Sequence[str],
    born: Callable[[np.ndarray], np.ndarray],
    alpha_s: float,
    y_min: float,
    first_leg: int = 2,
) -> np.ndarray:
    """Σ_ij,k D_ij,k F(p̃) with colour correlations (CS eq. 5.2): −Σ (T_k·T_ij/T_ij²)
    ⟨V⟩/s_ij × |M_n(p̃)|² F(p̃), the emitted gluon removed from the Born, for Borns of
    ≤ 3 partons. F is the jet function of CS eq. 5.1: a dipole counts only where its reduced
    point is resolved (every parton pair s̃_ab/Q² ≥ ``y_min``); without it a dipole whose
    Born is itself singular (another parton unresolved) spoils the single-unresolved limits.

    ``born`` maps reduced momenta (N, legs − 1, 4) to the colour-summed Born |M_n|²; it must
    use the same spin/colour averages and identical-particle factors as |M_{n+1}|².
    """
    total = np.zeros(len(p))
    for d in relevant_dipoles(flavours, first_leg):
        reduced = reduced_momenta(p, d)
        resolved = min_pair_ratio(reduced, n_in=first_leg) >= y_min
        born_flav = [f for n, f in enumerate(flavours) if first_leg + n != d.j]
        at = [n for n in range(len(flavours)) if first_leg + n != d.j]
        tt = colour_correlator(born_flav, at.index(d.i - first_leg), at.index(d.k - first_leg))
        cas = C_F if d.kind == "qg" else C_A
        dfac = dipole_factors(p, [d], alpha_s)[:, 0]
        value = np.zeros(len(p))
        if np.any(resolved):
            value[resolved] = born(reduced[resolved])
        total += -(tt / cas) * dfac * value
    return total


def spin_correlation_weights(
    p: np.ndarray, flavours: Sequence[str], alpha_s: float, first_leg: int = 2
) -> np.ndarray:
    """w_ab = 16π α_s C_A ⟨z̃(1 − z̃)⟩_k / s_ab per gluon pair, shape (N, n_pairs): the size of
    the spin-correlated term of CS eq. 5.9 — 1/s_ab when a ∥ b, suppressed by z̃ when one
    gluon is soft (a bare D_ab,k would grow like its soft pole there)."""
    legs = range(first_leg, first_leg + len(flavours))
    cols = []
    for a, b in gluon_pairs(flavours, first_leg):
        zz = [z_tilde(p, Dipole(a, b, k, "gg")) for k in legs if k not in (a, b)]
        mean = sum(z * (1 - z) for z in zz) / len(zz)
        cols.append(16 * np.pi * alpha_s * C_A * mean / (2 * _pdot(p, a, b)))
    return array_namespace(p).stack(cols, axis=1)
