"""Inputs of the factorisation-aware dipole emulator for e⁺e⁻ → q q̄ + n g.

The column layout (:class:`EmulatorLayout`) and the features (:func:`emulator_features`):
final-state momenta, log recoil factors, log Catani–Seymour dipoles and gluon-pair
azimuths. D. Maître & H. Truong, "A factorisation-aware matrix element emulator" ("MT");
S. Catani & M. H. Seymour, Nucl. Phys. B 485 (1997) 291 [hep-ph/9605323] ("CS").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from array_api_compat import array_namespace, is_torch_array

from hepemu.physics import invariant_features
from hepemu.physics.references import antenna_q2
from hepemu.physics.tree.catani_seymour import (
    Dipole,
    dipole_factors,
    double_angles,
    gluon_pairs,
    recoil_factors,
    reduced_momenta,
    relevant_dipoles,
    spin_correlation_weights,
)

EMULATOR_ALPHA_S = 0.118  # only normalises D; the fitted coefficients absorb it


@dataclass(frozen=True)
class EmulatorLayout:
    """Column blocks of :func:`emulator_features` for e⁺e⁻ → q q̄ + ``n_gluons`` g; with
    ``invariants`` the network also sees log s_ij/Q² and s_{beam,i}/Q² (features.invariants)."""

    n_gluons: int
    invariants: bool = False

    @property
    def flavours(self) -> list[str]:
        return ["q", "qbar"] + ["g"] * self.n_gluons

    @property
    def n_dipoles(self) -> int:
        return len(relevant_dipoles(self.flavours))

    @property
    def n_pairs(self) -> int:
        return len(gluon_pairs(self.flavours))

    @property
    def n_network(self) -> int:
        """Columns the network sees: final-state momenta, log y_ij,k[, invariants]."""
        n_final = 2 + self.n_gluons
        extra = n_final * (n_final - 1) // 2 + 2 * n_final if self.invariants else 0
        return 4 * n_final + self.n_dipoles + extra

    @property
    def width(self) -> int:
        """All columns: network inputs, log D_ij,k, then per gluon pair log w, sin 2φ, cos 2φ."""
        return self.n_network + self.n_dipoles + 3 * self.n_pairs

    @classmethod
    def from_width(cls, width: int) -> EmulatorLayout:
        for n in range(1, 6):
            for inv in (False, True):
                if cls(n, inv).width == width:
                    return cls(n, inv)
        raise ValueError(f"{width} columns are not dipole-emulator inputs of e+e- → qq̄ + n g")


def born_antennas(p: np.ndarray, dips: Sequence[Dipole]) -> np.ndarray:
    """A(p̃_ij,k) per dipole, shape (N, n_dipoles): the ``antenna-q2`` reference
    (``hepemu.physics.references``) of each dipole's reduced Born point (CS eq. 5.4); 1 where
    the Born is e⁺e⁻ → q q̄ (Q²/s_q̃q̄̃ = 1). Multiplying D_ij,k by it leaves the coefficients
    C_ij,k ≈ |M_n|²(p̃)/A(p̃) to learn, a function of O(1) spread, instead of a Born |M_n|²
    that itself has soft and collinear poles."""
    out = np.ones((len(p), len(dips)))
    for c, d in enumerate(dips):
        red = reduced_momenta(p, d)
        if red.shape[1] > 4:  # the Born still has gluons
            out[:, c] = antenna_q2(red.reshape(len(p), -1))
    return out


def emulator_features(
    x: np.ndarray, invariants: bool = False, born_normalised: bool = False
) -> np.ndarray:
    """Inputs of the dipole emulator from flattened e⁺ e⁻ q q̄ g… momenta (see EmulatorLayout).

    Momenta of the final state (MT §2.4.1), log y_ij,k (MT eq. 2.3), log D_ij,k (MT eq. 2.2),
    and for each gluon pair log w_ab, sin 2φ_ab, cos 2φ_ab (MT eq. 2.4, appendix A), where
    w_ab (:func:`spin_correlation_weights`) is the size of the g → g g spin correlation (the
    second term of CS eq. 5.9), a scale the paper's bare S sin 2φ + C cos 2φ lacks.
    With ``born_normalised`` (not in MT) each D_ij,k is multiplied by the antenna of its
    reduced Born point (:func:`born_antennas`), and each w_ab by that of the g_a g_b → g
    merger with the quark as spectator.
    """
    numpy_input = not is_torch_array(x)  # torch tensors (export graphs): no row checks
    x = np.asarray(x, dtype=float) if numpy_input else x
    legs = x.shape[1] // 4 if x.ndim == 2 and x.shape[1] % 4 == 0 else 0
    if legs < 5:
        raise ValueError(
            "feature ee-dipoles needs flattened momenta of e+ e- q qbar and >= 1 gluon, "
            f"got shape {x.shape}"
        )
    layout = EmulatorLayout(legs - 4, invariants)
    if born_normalised and not numpy_input:
        raise NotImplementedError("born-normalised dipole features are computed in NumPy only")
    xp = array_namespace(x)
    p = xp.reshape(x, (x.shape[0], legs, 4))
    dips = relevant_dipoles(layout.flavours)
    y = recoil_factors(p, dips)
    d = dipole_factors(p, dips, EMULATOR_ALPHA_S, y)
    bad = np.flatnonzero(~(np.all(y > 0, axis=1) & np.all(d > 0, axis=1))) if numpy_input else []
    if len(bad):
        raise ValueError(
            f"feature ee-dipoles needs y_ij,k > 0 and D_ij,k > 0; row {bad[0]} "
            f"(and {bad.size - 1} more) is not a massless physical point"
        )
    blocks = [xp.reshape(p[:, 2:], (p.shape[0], -1)), xp.log(y)]
    if invariants:
        blocks.append(invariant_features.invariants(x))
    if born_normalised:
        d = d * born_antennas(p, dips)
    blocks.append(xp.log(d))
    pairs = gluon_pairs(layout.flavours)
    if pairs:
        w = spin_correlation_weights(p, layout.flavours, EMULATOR_ALPHA_S)
        if born_normalised:
            w = w * born_antennas(p, [Dipole(a, b, 2, "gg") for a, b in pairs])
        sin2, cos2 = double_angles(p, pairs)
        blocks += [xp.log(w), sin2, cos2]
    out = xp.concat(blocks, axis=1)
    if not numpy_input:
        return out
    bad = np.flatnonzero(~np.all(np.isfinite(out), axis=1))
    if bad.size:  # e.g. a gluon pair along the beam: its azimuth is undefined
        raise ValueError(
            f"feature ee-dipoles is not finite at row {bad[0]} (and {bad.size - 1} more): "
            "a degenerate configuration (a parton pair along the beam axis?)"
        )
    return out
