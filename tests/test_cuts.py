"""Cuts: invariant cuts, Durham jets via fastjet against our own y_ij, combinators."""

import numpy as np
import pytest

from hepemu.physics.cuts import DurhamJetCut, InvariantCut, durham_y
from hepemu.physics.kinematics import rambo_from_unit, s_ij


@pytest.fixture
def events(rng):
    p, _ = rambo_from_unit(rng.uniform(1e-9, 1, (400, 16)), 91.2)
    return p


def test_invariant_cut_matches_definition(events):
    cut = InvariantCut(0.05)
    mask = cut(events)
    s = 91.2**2
    ref = np.ones(len(events), bool)
    for i in range(4):
        for j in range(i + 1, 4):
            ref &= s_ij(events, i, j) / s > 0.05
    np.testing.assert_array_equal(mask, ref)
    assert 0 < mask.sum() < len(events)


def test_combinators(events):
    a, b = InvariantCut(0.01), InvariantCut(0.05)
    np.testing.assert_array_equal((a & b)(events), a(events) & b(events))
    np.testing.assert_array_equal((a | ~b)(events), a(events) | ~b(events))
    np.testing.assert_array_equal((a & b)(events), b(events))  # b is tighter


def test_durham_jets_agree_with_own_clustering_criterion(events):
    pytest.importorskip("fastjet")
    # exclusive clustering at y_cut keeps all n particles as jets iff min y_ij > y_cut
    y_cut = 0.02
    four = DurhamJetCut(4, y_cut)(events)
    ymin = durham_y(events).min(axis=(1, 2))
    np.testing.assert_array_equal(four, ymin > y_cut)
    assert 0 < four.sum() < len(events)
    # fewer jets at a looser resolution: every 4-jet event at 0.05 is a ≥4-jet event at 0.02
    tight = DurhamJetCut(4, 0.05)(events)
    assert np.all(four[tight])


def test_durham_y_textbook_value():
    p = np.array([[[1.0, 1.0, 0, 0], [1.0, -1.0, 0, 0], [0.1, 0, 0.1, 0]]])
    y = durham_y(p)
    assert y[0, 0, 2] == pytest.approx(2 * 0.01 * 1.0 / 2.1**2)
    assert y[0, 0, 1] == pytest.approx(2 * 1.0 * 2.0 / 2.1**2)


def _n_jets_reference(event: np.ndarray, y_cut: float) -> int:
    """Exclusive Durham clustering with E-scheme recombination, written out per event."""
    jets = [q for q in event]
    while len(jets) > 1:
        y = durham_y(np.array(jets)[None])[0]
        i, j = np.unravel_index(np.argmin(y), y.shape)
        if y[i, j] >= y_cut:
            break
        merged = jets[i] + jets[j]
        jets = [q for k, q in enumerate(jets) if k not in (i, j)] + [merged]
    return len(jets)


def test_durham_jet_counts_match_reference_clustering(events):
    pytest.importorskip("fastjet")
    y_cut = 0.05
    ref = np.array([_n_jets_reference(e, y_cut) for e in events[:300]])
    for n in (2, 3, 4):
        np.testing.assert_array_equal(DurhamJetCut(n, y_cut)(events[:300]), ref == n)
    assert len(set(ref)) >= 2  # the check sees events with merged partons
