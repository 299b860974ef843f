"""Catani–Seymour dipoles and the dipole emulator's inputs (one import path for both).

The dipoles themselves are in :mod:`hepemu.physics.tree.catani_seymour`, the emulator's
column layout and features in :mod:`hepemu.physics.tree.emulator_inputs`; this module
re-exports both, so ``from hepemu.physics.tree.dipoles import …`` keeps working.
"""

from hepemu.physics.tree.catani_seymour import (
    C_A,
    C_F,
    FLAVOURS,
    Dipole,
    azimuths,
    colour_correlator,
    dipole_approximation,
    dipole_factors,
    double_angles,
    emit,
    gluon_pairs,
    recoil_factors,
    reduced_momenta,
    relevant_dipoles,
    spin_correlation_weights,
    splitting,
    z_tilde,
)
from hepemu.physics.tree.emulator_inputs import (
    EMULATOR_ALPHA_S,
    EmulatorLayout,
    born_antennas,
    emulator_features,
)

__all__ = [
    "C_A",
    "C_F",
    "EMULATOR_ALPHA_S",
    "FLAVOURS",
    "Dipole",
    "EmulatorLayout",
    "azimuths",
    "born_antennas",
    "colour_correlator",
    "dipole_approximation",
    "dipole_factors",
    "double_angles",
    "emit",
    "emulator_features",
    "gluon_pairs",
    "recoil_factors",
    "reduced_momenta",
    "relevant_dipoles",
    "spin_correlation_weights",
    "splitting",
    "z_tilde",
]
