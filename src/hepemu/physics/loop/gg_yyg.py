"""One-loop g g → γ γ g through loops of massless quarks, from Feynman rules.

Diagrams (Peskin & Schroeder's rules, Feynman gauge): pentagons with the five bosons on the
quark loop, and boxes in which two gluons meet at a triple-gluon vertex and the internal
gluon joins the loop (loops with a single gluon vanish, Tr T^a = 0). Each loop is reduced
numerically (:mod:`fermion_loop`). With A_σ the pentagon of ordering σ and the colour trace
read against the fermion flow, Furry's theorem pairs each ordering with its reverse, and
M = (−i/16π²) e² Σ_q Q_q² g_s³ (i/2) f^{a₁a₂a₅} 𝒜, 𝒜 = Σ_{σ ∈ Tr(T¹T²T⁵)} A_σ +
Σ_{(a,b) cyclic} B_ab, where B_ab is the box with the current
J = [2(k_a·ε_b)ε_a − 2(k_b·ε_a)ε_b + (ε_a·ε_b)(k_b − k_a)]/(k_a + k_b)². Hence
Σ_colours |M|² = 24π α² α_s³ (Σ Q²)² |𝒜|² (f^{abc} f^{abc} = 24).
Legs: gluons 1, 2 incoming, photons 3, 4 and gluon 5 outgoing (indices 0 … 4 here).
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from hepemu.physics.loop import fermion_loop
from hepemu.physics.loop.gg_yy import ALPHA, ALPHA_S, SUM_Q2_FIVE_FLAVOURS
from hepemu.physics.loop.spinors import polarisations

GLUONS = (0, 1, 4)
PHOTONS = (2, 3)


def _mdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 0] - np.sum(a[..., 1:] * b[..., 1:], axis=-1)


def default_references(k: np.ndarray) -> np.ndarray:
    """Reference momenta for the polarisations: leg i uses leg i+1 (cyclically)."""
    return np.roll(k, -1, axis=1)


def pentagon_orderings() -> list[tuple[int, ...]]:
    """Orderings σ (starting with leg 0) whose colour trace is Tr(T⁰T¹T⁴)."""
    out = []
    for rest in permutations(range(1, 5)):
        order = (0, *rest)
        if [x for x in order if x in GLUONS] == [0, 4, 1]:
            out.append(order)
    return out


def current(k_a, k_b, eps_a, eps_b) -> np.ndarray:
    """The triple-gluon current J(h_a, h_b), (N, 2, 2, 4), of gluons a, b (P&S eq. 16.10)."""
    ka, kb = k_a[:, None, None, :], k_b[:, None, None, :]
    ea, eb = eps_a[:, :, None, :], eps_b[:, None, :, :]
    v = (
        2 * _mdot(ka, eb)[..., None] * ea
        - 2 * _mdot(kb, ea)[..., None] * eb
        + _mdot(ea, eb)[..., None] * (kb - ka)
    )
    p = k_a + k_b
    return v / _mdot(p, p)[:, None, None, None]


def colour_stripped(
    k: np.ndarray, ref: np.ndarray | None = None, variant: int = 0, stats: dict | None = None
) -> np.ndarray:
    """𝒜 for every helicity: (N, 2, 2, 2, 2, 2) complex (axes legs 0…4; index 0 = +, 1 = −).

    Parameters
    ----------
    k
        All-outgoing momenta (N, 5, 4).
    ref
        Reference momenta of the polarisations (N, 5, 4); the result's modulus is independent
        of them (gauge invariance), its phase is not.
    variant, stats
        Passed to every :func:`fermion_loop.diagram` (μ² sample set; Gram conditioning).
    """
    k = np.asarray(k, dtype=float)
    ref = default_references(k) if ref is None else ref
    ep, em = polarisations(k, ref)
    eps = np.stack([ep, em], axis=2)  # (N, 5, 2, 4)
    eps_slash = fermion_loop.slash(eps)
    legs = [eps_slash[:, j] for j in range(5)]
    total = 0.0
    for order in pentagon_orderings():
        total = total + fermion_loop.diagram(k, legs, order, variant, stats)
    for a, b in ((0, 1), (1, 4), (4, 0)):
        c = next(g for g in GLUONS if g not in (a, b))
        j = current(k[:, a], k[:, b], eps[:, a], eps[:, b])  # (N, 2, 2, 4)
        box_k = np.stack([k[:, a] + k[:, b], k[:, c], k[:, 2], k[:, 3]], axis=1)
        box_legs = [fermion_loop.slash(j.reshape(len(k), 4, 4)), legs[c], legs[2], legs[3]]
        box = 0.0
        for rest in permutations(range(1, 4)):
            if rest[0] < rest[-1]:  # the reversed loop is equal (Furry, (−1)⁴): counted twice
                box = box + 2 * fermion_loop.diagram(box_k, box_legs, (0, *rest), variant, stats)
        box = box.reshape(len(k), 2, 2, 2, 2, 2, 3)  # (h_a, h_b, h_c, h_2, h_3)
        axes = {a: 1, b: 2, c: 3, 2: 4, 3: 5}
        total = total + np.transpose(box, (0, *(axes[i] for i in range(5)), 6))
    return total


def _helicity_sum(amp: np.ndarray) -> np.ndarray:
    return np.sum(np.abs(amp[..., 2].reshape(len(amp), -1)) ** 2, axis=1)


def _pole_residual(amp: np.ndarray) -> np.ndarray:
    n = len(amp)
    poles = np.abs(amp[..., :2]).reshape(n, -1).max(axis=1)
    return poles / np.maximum(np.abs(amp[..., 2]).reshape(n, -1).max(axis=1), 1e-300)


# points whose cut Gram matrices are worse conditioned than this, or whose 1/ε poles cancel
# worse than POLE_TRIAGE, are evaluated a second time (other references, other μ² samples)
GRAM_TRIAGE = 1e4
POLE_TRIAGE = 1e-8


def colour_summed(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ_h |𝒜|² and an estimate of its relative numerical error, each (N,).

    The error estimate is the relative 1/ε-pole residual; where the reduction is
    ill-conditioned (Gram condition above :data:`GRAM_TRIAGE`, residual above
    :data:`POLE_TRIAGE`: ~30 % of points) the amplitude is evaluated again with other
    reference momenta and μ² samples, and the difference counts too (it exposes losses the
    poles miss: near-planar events, two-mass triangles of nearly equal masses).
    """
    stats: dict = {}
    amp = colour_stripped(k, stats=stats)
    value = _helicity_sum(amp)
    error = _pole_residual(amp)
    again = (stats["gram_condition"] > GRAM_TRIAGE) | (error > POLE_TRIAGE)
    if np.any(again):
        second = colour_stripped(k[again], ref=np.roll(k[again], 2, axis=1), variant=1)
        other = _helicity_sum(second)
        diff = np.abs(other / np.maximum(value[again], 1e-300) - 1)
        error[again] = np.maximum.reduce([error[again], diff, _pole_residual(second)])
    return value, error


def msq(
    p: np.ndarray,
    sum_q2: float = SUM_Q2_FIVE_FLAVOURS,
    alpha: float = ALPHA,
    alpha_s: float = ALPHA_S,
    tolerance: float | None = None,
) -> np.ndarray:
    """|M|² in GeV⁻², summed over final and averaged over initial helicities and colours,
    × ½ for the identical photons, for physical momenta (N, 5, 4) (g g → γ γ g).

    With ``tolerance``, points whose estimated relative error (:func:`colour_summed`)
    exceeds it are NaN (numerically unstable there: say so, never a wrong number).
    """
    k = np.asarray(p, dtype=float).copy()
    k[:, :2] *= -1
    if tolerance is None:
        total = _helicity_sum(colour_stripped(k))
    else:
        total, error = colour_summed(k)
        total = np.where(error > tolerance, np.nan, total)
    return 0.5 / 256 * 24 * np.pi * alpha**2 * alpha_s**3 * sum_q2**2 * total
