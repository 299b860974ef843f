"""One-loop g g → γ γ g through massless quark loops, in closed form, vectorised over points.

The photons are U(1) gluons: the quark-loop amplitude is the photon-decoupling sum of the
five-gluon primitive amplitudes A₅;₁^[1/2] (:mod:`five_gluon`) over the 12 cyclic orderings
in which the gluons 1, 2, 5 appear in this cyclic order (Bern, Dixon & Schmidt, Phys. Rev.
D66 (2002) 074018 [hep-ph/0206194], eqs. (4)–(8)); the reversed orderings give the same
sum with the opposite sign (reflection, (−1)⁵), so only f^{a₁a₂a₅} survives. All 32
helicities come from the four classes of :data:`five_gluon.CLASSES` by cyclic rotation and
parity (⟨ij⟩ ↔ [ij]). With S_h that sum in the normalisation (16π²)(−i)A^[1/2],
|M|² = e⁴ g_s⁶/(4π)⁴ · N_c/(N_c² − 1) · (Σ_q Q_q²)² Σ_h |S_h|² (BDS eq. (8): averaged over
initial colours and helicities, the ½ for identical photons included) = (3π/2) α² α_s³
(Σ Q²)² Σ_h |S_h|², exactly the conventions of :func:`gg_yyg.msq` (checked point by point).
Legs: gluons 1, 2 incoming, photons 3, 4 and gluon 5 outgoing (indices 0 … 4 here).
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from hepemu.physics.loop.five_gluon import CLASSES, Ordered, Tables
from hepemu.physics.loop.gg_yy import ALPHA, ALPHA_S, SUM_Q2_FIVE_FLAVOURS
from hepemu.physics.loop.spinors import Spinors

GLUONS = (0, 1, 4)
N_LEGS = 5
CHUNK = 256  # points per vectorised pass (the (2, 60, CHUNK) temporaries stay in cache)


def decoupling_orderings() -> list[tuple[int, ...]]:
    """The 12 orderings (starting with leg 0) in which the gluons appear as 0, 1, 4 cyclically."""
    return [
        (0, *rest)
        for rest in permutations(range(1, N_LEGS))
        if [x for x in (0, *rest) if x in GLUONS] == [0, 1, 4]
    ]


def _class_tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per class: the orderings (M, 5) it is evaluated on (every decoupling ordering, rotated
    so that each allowed helicity pattern starts at position 1) and the (M, 32) 0/1 matrix
    that adds each result to its helicity (index Σ_i bit_i 2^(4−i), bit 1 = negative)."""
    out = {}
    for name, (_, negative) in CLASSES.items():
        rows, hel = [], []
        rotations = range(N_LEGS) if negative else (0,)
        for order in decoupling_orderings():
            for c in rotations:
                rotated = order[c:] + order[:c]
                rows.append(rotated)
                hel.append(sum(1 << (N_LEGS - 1 - rotated[p]) for p in negative))
        scatter = np.zeros((len(rows), 2**N_LEGS))
        scatter[np.arange(len(rows)), hel] = 1.0
        out[name] = (np.array(rows), scatter)
    return out


_TABLES = _class_tables()
NORMALISATION = 1.5 * np.pi  # e⁴g_s⁶/(4π)⁴ · N_c/(N_c² − 1) = (3π/2) α² α_s³


def outgoing(p: np.ndarray) -> np.ndarray:
    """All-outgoing momenta (incoming legs 1, 2 negated) from physical ones (N, 5, 4)."""
    k = np.array(p, dtype=float, copy=True)
    k[:, :2] *= -1
    return k


def helicity_amplitudes(k: np.ndarray) -> np.ndarray:
    """S_h for all 32 helicities, (N, 32) complex, from all-outgoing momenta k (N, 5, 4).

    Helicity index Σ_i bit_i 2^(4−i) with bit 1 for a negative helicity (leg 0 slowest), i.e.
    the order of ``gg_yyg.colour_stripped(k)[..., 2].reshape(N, 32)``; phases are convention
    dependent (spinor phases), moduli are not.
    """
    k = np.asarray(k, dtype=float)
    if k.ndim != 3 or k.shape[1:] != (N_LEGS, 4):
        raise ValueError(f"expected momenta of shape (N, 5, 4) (g g → γ γ g), got {k.shape}")
    if len(k) > CHUNK:  # batches that stay in cache: a loop over batches, not points
        return np.concatenate(
            [helicity_amplitudes(k[i : i + CHUNK]) for i in range(0, len(k), CHUNK)]
        )
    sp = Spinors.of(k)
    tables = Tables.of(sp.a, sp.b, sp.s)
    total = np.zeros((2**N_LEGS, len(k)), dtype=complex)
    for name, (fn, _) in CLASSES.items():
        order, scatter = _TABLES[name]
        both = fn(Ordered(tables, order))  # (M, 2, N): as given, parity image
        total += scatter.T @ both[:, 0] + scatter[:, ::-1].T @ both[:, 1]  # parity flips bits
    return total.T


def msq(
    p: np.ndarray,
    sum_q2: float = SUM_Q2_FIVE_FLAVOURS,
    alpha: float = ALPHA,
    alpha_s: float = ALPHA_S,
) -> np.ndarray:
    """|M|² in GeV⁻², summed over final and averaged over initial helicities and colours,
    × ½ for the identical photons, for physical momenta (N, 5, 4) (g g → γ γ g): the
    conventions (and values) of :func:`gg_yyg.msq`."""
    amp = helicity_amplitudes(outgoing(_checked(p)))
    total = np.sum(amp.real**2 + amp.imag**2, axis=1)
    return NORMALISATION * alpha**2 * alpha_s**3 * sum_q2**2 * total


def _checked(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim != 3 or p.shape[1:] != (N_LEGS, 4):
        raise ValueError(
            f"g g → γ γ g takes momenta of shape (N, 5, 4) (2 incoming gluons, 2 photons, "
            f"1 gluon), got {p.shape}"
        )
    return p


# a fixed rotation (about the axis (1, 2, 3)/√14 by 1 rad): a second, equally valid evaluation
_AXIS = np.array([1.0, 2.0, 3.0]) / np.sqrt(14.0)
_K = np.array([[0, -_AXIS[2], _AXIS[1]], [_AXIS[2], 0, -_AXIS[0]], [-_AXIS[1], _AXIS[0], 0]])
ROTATION = np.eye(3) + np.sin(1.0) * _K + (1 - np.cos(1.0)) * _K @ _K


def msq_and_error(p: np.ndarray, **couplings) -> tuple[np.ndarray, np.ndarray]:
    """|M|² (as :func:`msq`) and an estimate of its relative rounding error, each (N,).

    |M|² is rotation invariant; in rotated momenta it goes through other spinor products
    and other cancellations, so |M|²_rotated/|M|² − 1 measures the digits lost there.
    Cancellations that depend on the invariants alone recur identically in both and are
    removed at the source instead (series of L₀, L₁, L₂ near r = 1 and of Ls₁ near
    r₁ + r₂ = 1). Costs two evaluations.
    """
    p = _checked(p)
    value = msq(p, **couplings)
    turned = p.copy()
    turned[..., 1:] = p[..., 1:] @ ROTATION.T
    return value, np.abs(msq(turned, **couplings) / value - 1)
