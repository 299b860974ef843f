"""Named input features: maps of a truth's raw inputs to what a regressor should see.

A matrix element of massless partons is a function of the Lorentz invariants s_ij, and its
soft/collinear peaks are poles in them; handing a network log s_ij instead of momentum
components turns those poles into straight lines (Bishara, Paul & Dy, "High-precision
regressors for particle physics", "Preprocessing": inputs that make the function smooth).

- ``invariants`` (2 → n ≥ 2 massless momenta flattened, the two incoming legs first: e⁺e⁻
  → jets, g g → γ γ g, …): log(s_ij/Q²) for every pair of final-state legs (i < j), then
  s_{b i}/Q² for each beam b and final leg i (angles to the beam: bounded, kept linear);
  Q² = s of the incoming pair.
- ``log-invariants``: the same with log(s_{b i}/Q²) too — for hadron-collider processes, whose
  |M|² has poles where a final leg runs along a beam (initial-state collinear): on g g → γ γ g
  the largest 1 % of amplitudes came out 81 % off with the linear beam invariants (68 % of
  them; BNN and DNN alike, 9 k points, 5 CPU-minutes), measured.
- ``ee-dipoles`` (e⁺ e⁻ q q̄ g…): the factorisation-aware emulator's inputs — momenta, log
  recoil factors, log Catani–Seymour dipoles and gluon-pair azimuths
  (``hepemu.physics.tree.emulator_inputs.EmulatorLayout``); ``ee-dipoles+invariants`` adds the
  ``invariants`` above to what its network sees; ``ee-dipoles-born+invariants`` also
  multiplies each dipole by the antenna of its reduced Born point, so that the network's
  coefficients are ratios of O(1) spread rather than Born matrix elements with poles. Measured
  worse, not better, so far (4 CPU-minutes per fit, benchmarks/results/me_emulator_born.json:
  ee4j 85 % of points outside 1 % against 35 % without it, ee5j 96 % against 82 %).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hepemu.physics.invariant_features import invariants, log_invariants
from hepemu.physics.tree.emulator_inputs import emulator_features

Feature = Callable[[np.ndarray], np.ndarray]


def ee_dipoles(x: np.ndarray) -> np.ndarray:
    """The dipole emulator's inputs (``hepemu.physics.tree.emulator_inputs.emulator_features``)."""
    return emulator_features(x)


def ee_dipoles_invariants(x: np.ndarray) -> np.ndarray:
    """``ee-dipoles`` with the log invariants added to what the network sees."""
    return emulator_features(x, invariants=True)


def ee_dipoles_born_invariants(x: np.ndarray) -> np.ndarray:
    """``ee-dipoles+invariants`` with every dipole times the antenna of its reduced Born."""
    return emulator_features(x, invariants=True, born_normalised=True)


FEATURES: dict[str, Feature] = {
    "invariants": invariants,
    "log-invariants": log_invariants,
    "ee-dipoles": ee_dipoles,
    "ee-dipoles+invariants": ee_dipoles_invariants,
    "ee-dipoles-born+invariants": ee_dipoles_born_invariants,
}
DIPOLE_FEATURES = ("ee-dipoles", "ee-dipoles+invariants", "ee-dipoles-born+invariants")


def get_feature(name: str) -> Feature:
    if name not in FEATURES:
        raise ValueError(f"unknown input features {name!r}; known: {', '.join(FEATURES)}")
    return FEATURES[name]
