"""Cuts as composable predicates on momenta (N, n, 4) → bool mask (N,).

- :class:`InvariantCut`: s_ij / s > y_min for every pair of final-state momenta.
- :class:`DurhamJetCut`: exactly ``n_jets`` jets from exclusive e⁺e⁻ kt (Durham) clustering
  at y_cut, y_ij = 2 min(E_i², E_j²)(1 − cos θ_ij)/E_vis² (Catani et al., Phys. Lett. B 269
  (1991) 432), through the ``fastjet`` PyPI package, as in the factorisation-aware emulator
  paper (Maître & Truong, arXiv:2107.06625, sec. 2.3).
- :class:`PhotonJetCut`: hadron-collider photon and jet cuts (p_T, |η|, ΔR separation).
Cuts combine with ``&``, ``|`` and ``~``.
"""

from __future__ import annotations

import operator
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hepemu.physics.kinematics import dot, invariant_mass2, s_ij


class Cut:
    """Base class: ``cut(p)`` returns the mask of events that pass."""

    def __call__(self, p: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def __and__(self, other: Cut) -> Cut:
        return _Combined(operator.and_, self, other, "&")  # picklable (no lambda)

    def __or__(self, other: Cut) -> Cut:
        return _Combined(operator.or_, self, other, "|")

    def __invert__(self) -> Cut:
        return _Not(self)


@dataclass(frozen=True)
class _Combined(Cut):
    op: Callable
    a: Cut
    b: Cut
    symbol: str

    def __call__(self, p: np.ndarray) -> np.ndarray:
        return self.op(self.a(p), self.b(p))

    def __repr__(self) -> str:
        return f"({self.a!r} {self.symbol} {self.b!r})"


@dataclass(frozen=True)
class _Not(Cut):
    a: Cut

    def __call__(self, p: np.ndarray) -> np.ndarray:
        return ~self.a(p)


@dataclass(frozen=True)
class InvariantCut(Cut):
    """All pairs i < j of final-state momenta satisfy s_ij / s > y_min."""

    y_min: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.y_min < 1.0:
            raise ValueError(f"y_min must be in [0, 1), got {self.y_min}")

    def __call__(self, p: np.ndarray) -> np.ndarray:
        total = p.sum(axis=1)
        s = dot(total, total)
        n = p.shape[1]
        ok = np.ones(len(p), dtype=bool)
        for i in range(n):
            for j in range(i + 1, n):  # loop over pairs, vectorised over events
                q = p[:, i] + p[:, j]
                ok &= dot(q, q) / s > self.y_min
        return ok


def durham_y(p: np.ndarray) -> np.ndarray:
    """Pairwise Durham distances y_ij (N, n, n) of momenta (N, n, 4); diagonal = inf."""
    e = p[..., 0]
    v = p[..., 1:]
    norm = np.linalg.norm(v, axis=-1)
    cos = np.einsum("nik,njk->nij", v, v) / (norm[:, :, None] * norm[:, None, :])
    emin2 = np.minimum(e[:, :, None], e[:, None, :]) ** 2
    evis2 = e.sum(axis=1) ** 2
    y = 2 * emin2 * (1 - cos) / evis2[:, None, None]
    idx = np.arange(p.shape[1])
    y[:, idx, idx] = np.inf
    return y


@dataclass(frozen=True)
class DurhamJetCut(Cut):
    """Exactly ``n_jets`` jets from exclusive Durham clustering at ``y_cut`` (fastjet)."""

    n_jets: int
    y_cut: float

    def __post_init__(self) -> None:
        if not 0.0 < self.y_cut < 1.0:
            raise ValueError(f"ycut must be in (0, 1), got {self.y_cut}")
        if self.n_jets < 1:
            raise ValueError(f"n_jets must be >= 1, got {self.n_jets}")

    def __call__(self, p: np.ndarray) -> np.ndarray:
        try:
            import fastjet
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("jet cuts need the fastjet package: pip install fastjet") from None
        import awkward as ak  # a dependency of fastjet; clusters all events in one C++ call

        events = ak.zip(
            {"px": p[..., 1], "py": p[..., 2], "pz": p[..., 3], "E": p[..., 0]}, depth_limit=2
        )
        jet_def = fastjet.JetDefinition0Param(fastjet.ee_kt_algorithm)
        _banner_to_stderr(fastjet, jet_def)
        jets = fastjet.ClusterSequence(events, jet_def).exclusive_jets_ycut(self.y_cut)
        return ak.to_numpy(ak.num(jets)) == self.n_jets


_BANNER_SHOWN = False


def _banner_to_stderr(fastjet, jet_def) -> None:
    """FastJet prints its banner (with its citation request) to C++ stdout on first use;
    send it to stderr so that stdout stays machine-readable."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return
    _BANNER_SHOWN = True
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        fastjet.ClusterSequence([fastjet.PseudoJet(1.0, 0.0, 0.0, 1.0)], jet_def)
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def durham_clusters(p: np.ndarray, y_cut: float) -> np.ndarray:
    """Exclusive Durham (e⁺e⁻ k_t, E scheme) clustering of momenta (N, n, 4) at ``y_cut``:
    bitmasks (N, n) of the partons in each final jet (0 where a slot was merged away).

    Catani, Dokshitzer, Olsson, Turnock & Webber, Phys. Lett. B 269 (1991) 432: merge the pair
    of smallest y_ij = 2 min(E_i², E_j²)(1 − cos θ_ij)/E_vis² while it is below y_cut.
    """
    q = np.array(p, dtype=float, copy=True)
    n = q.shape[1]
    masks = np.broadcast_to(1 << np.arange(n), q.shape[:2]).copy()
    alive = np.ones(q.shape[:2], dtype=bool)
    rows = np.arange(len(q))
    for _ in range(n - 1):
        with np.errstate(invalid="ignore", divide="ignore"):
            y = durham_y(q)
        y = np.where(alive[:, :, None] & alive[:, None, :] & np.isfinite(y), y, np.inf)
        k = np.argmin(y.reshape(len(q), -1), axis=1)
        i, j = np.divmod(k, n)
        merge = y[rows, i, j] < y_cut
        if not merge.any():
            break
        r, a, b = rows[merge], i[merge], j[merge]
        q[r, a] += q[r, b]
        q[r, b] = 0.0
        masks[r, a] |= masks[r, b]
        masks[r, b] = 0
        alive[r, b] = False
    return np.where(alive, masks, 0)


REGIONS = ("inside", "single", "single+single", "double", "double+single", "other")


def unresolved_regions(p: np.ndarray, y_cut: float, quark_pair: tuple[int, int] = (0, 1)):
    """The unresolved structure of final-state partons (N, n, 4) relative to ``y_cut``: one
    of :data:`REGIONS` per event (Maître & Truong, section 3.3: white / pink / purple / blue).

    ``inside``: every parton pair but the q q̄ pair (no singularity) has s_ij/s ≥ y_cut, the
    region a model trained with that cut has seen. Otherwise the Durham clusters at y_cut
    decide: one jet of 2 partons ``single``, two such ``single+single``, one of 3 ``double``,
    3 and 2 ``double+single``; anything else ``other``. A jet of just q and q̄ is not counted.
    """
    n = p.shape[1]
    s = invariant_mass2(p.sum(axis=1))
    below = np.zeros(len(p), dtype=bool)
    for a in range(n):
        for b in range(a + 1, n):
            if (a, b) != tuple(sorted(quark_pair)):
                below |= s_ij(p, a, b) < y_cut * s
    masks = durham_clusters(p, y_cut)
    qq = (1 << quark_pair[0]) | (1 << quark_pair[1])
    sizes = np.where(masks == qq, 1, _popcount(masks))
    sizes = -np.sort(-sizes, axis=1)
    top = [tuple(int(v) for v in row[row > 1]) for row in sizes]
    names = {
        (): "inside",
        (2,): "single",
        (2, 2): "single+single",
        (3,): "double",
        (3, 2): "double+single",
    }
    out = np.array([names.get(t, "other") for t in top], dtype=object)
    out[~below] = "inside"
    out[below & (out == "inside")] = "single"  # a pair below the cut that Durham kept apart
    return out


def _popcount(m: np.ndarray) -> np.ndarray:
    c = np.zeros_like(m)
    v = m.copy()
    while np.any(v):
        c += v & 1
        v >>= 1
    return c


def pt_eta_phi(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transverse momentum, pseudorapidity and azimuth of momenta (..., 4) (beam along z)."""
    pt = np.hypot(p[..., 1], p[..., 2])
    eta = np.arcsinh(p[..., 3] / np.maximum(pt, 1e-300))
    return pt, eta, np.arctan2(p[..., 2], p[..., 1])


@dataclass(frozen=True)
class PhotonJetCut(Cut):
    """Photon and jet acceptance for final states (N, n, 4) with the given photon legs.

    Photons: p_T above ``photon_pt`` (leading, subleading, …) and |η| < ``photon_eta``;
    other legs are jets: p_T > ``jet_pt``, |η| < ``jet_eta``; every pair of final-state
    objects separated by ΔR > ``delta_r``: the defaults are eq. (2) of Badger, Butter,
    Luchmann, Pitz & Plehn, "Loop amplitudes from precision networks" (di-photon + jet).
    """

    photons: tuple[int, ...] = (0, 1)
    photon_pt: tuple[float, ...] = (40.0, 30.0)
    photon_eta: float = 2.37
    jet_pt: float = 20.0
    jet_eta: float = 5.0
    delta_r: float = 0.4

    def __post_init__(self) -> None:
        if len(self.photon_pt) != len(self.photons):
            raise ValueError("give one photon_pt threshold per photon")
        if min(self.photon_pt + (self.jet_pt, self.photon_eta, self.jet_eta, self.delta_r)) < 0:
            raise ValueError("cut thresholds must be non-negative")

    def __call__(self, p: np.ndarray) -> np.ndarray:
        pt, eta, phi = pt_eta_phi(p)
        n = p.shape[1]
        jets = [i for i in range(n) if i not in self.photons]
        ok = np.ones(len(p), dtype=bool)
        leading = -np.sort(-pt[:, list(self.photons)], axis=1)  # photon p_T, descending
        for rank, threshold in enumerate(self.photon_pt):
            ok &= leading[:, rank] > threshold
        ok &= np.all(np.abs(eta[:, list(self.photons)]) < self.photon_eta, axis=1)
        if jets:
            ok &= np.all(pt[:, jets] > self.jet_pt, axis=1)
            ok &= np.all(np.abs(eta[:, jets]) < self.jet_eta, axis=1)
        for i in range(n):
            for j in range(i + 1, n):
                dphi = np.angle(np.exp(1j * (phi[:, i] - phi[:, j])))
                ok &= np.hypot(eta[:, i] - eta[:, j], dphi) > self.delta_r
        return ok
