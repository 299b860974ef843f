"""Cuts: invariant cuts, Durham jets via fastjet against our own y_ij, combinators."""

import numpy as np
import pytest

from hepemu.physics.cuts import DurhamJetCut, InvariantCut, durham_y
from hepemu.physics.kinematics import rambo_from_unit, s_ij


@pytest.fixture
def events(rng):
    p, _ = rambo_from_unit(rng.uniform(1e-9, 1, (400, 16)), 91.2)
    return p


R15 = np.sqrt(15.0)
R3 = np.sqrt(3.0)
A = np.sqrt(11.25)
# hand-made massless events, with every pair's s_ij/s worked out by hand
HAND_EVENTS = np.array(
    [
        # √s = 3, "Mercedes": E = 1 at 120°, s_ij = 2(1 − cos 120°) = 3 → y_ij = 1/3 each
        [[1.0, 1.0, 0.0, 0.0], [1.0, -0.5, R3 / 2, 0.0], [1.0, -0.5, -R3 / 2, 0.0]],
        # √s = 10, E = 4, 4, 2: s12 = 2(16 + 15 − 1) = 60, s13 = s23 = 2(8 + 2) = 20
        # → y12, y13, y23 = 0.6, 0.2, 0.2
        [[4.0, R15, 0.0, -1.0], [4.0, -R15, 0.0, -1.0], [2.0, 0.0, 0.0, 2.0]],
        # the same event boosted along z with β = 0.6 (γ = 1.25): total (12.5, 0, 0, 7.5),
        # s = 100 still, same y_ij — the cut must use s = P², not E²
        [[4.25, R15, 0.0, 1.75], [4.25, -R15, 0.0, 1.75], [4.0, 0.0, 0.0, 4.0]],
        # √s = 2, particles 2 and 3 collinear: y12 = 0.5, y13 = 0.5, y23 = 0
        [[1.0, 1.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0]],
        # √s = 10, E = 3.5, 4.5, 2 (a = √11.25): s12 = 2(15.75 + 11.25 + 3) = 60,
        # s13 = 2(7 − 2) = 10, s23 = 2(9 + 6) = 30 → y12, y13, y23 = 0.6, 0.1, 0.3: only the
        # non-adjacent pair (1, 3) is soft
        [[3.5, -A, 0.0, 1.0], [4.5, A, 0.0, -3.0], [2.0, 0.0, 0.0, 2.0]],
    ]
)


@pytest.mark.parametrize(
    "y_min,expected",
    [
        (0.05, [True, True, True, False, True]),
        (0.15, [True, True, True, False, False]),  # y13 = 0.1 of the last event fails
        (0.19, [True, True, True, False, False]),
        (0.21, [True, False, False, False, False]),  # 0.2 pairs now fail
        (0.33, [True, False, False, False, False]),
        (0.34, [False, False, False, False, False]),  # 1/3 fails too
        (0.0, [True, True, True, False, True]),  # y23 = 0 is not > 0
    ],
)
def test_invariant_cut_on_hand_made_events(y_min, expected):
    np.testing.assert_array_equal(InvariantCut(y_min)(HAND_EVENTS), expected)


def test_invariant_cut_on_a_four_parton_event():
    # √s = 4, E = 1 along ±x and ±y: back-to-back pairs s = 2(1 + 1) = 4 → y = 1/4;
    # perpendicular pairs s = 2 → y = 1/8
    p = np.array([[[1.0, 1, 0, 0], [1.0, -1, 0, 0], [1.0, 0, 1, 0], [1.0, 0, -1, 0]]])
    assert InvariantCut(0.12)(p)[0] and not InvariantCut(0.13)(p)[0]
    np.testing.assert_allclose(s_ij(p, 0, 1) / 16.0, [0.25])  # s_ij itself, by hand too
    np.testing.assert_allclose(s_ij(p, 0, 2) / 16.0, [0.125])


def test_invariant_cut_is_monotone_in_y_min(events):
    masks = [InvariantCut(y)(events) for y in (0.0, 0.01, 0.05, 0.1)]
    assert masks[0].all()  # massless: every s_ij > 0
    for loose, tight in zip(masks, masks[1:], strict=False):
        assert np.all(loose[tight])
    assert 0 < masks[2].sum() < len(events)


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


def test_combined_cuts_pickle_for_worker_processes():
    import pickle

    cut = InvariantCut(0.01) & ~DurhamJetCut(3, 0.02) | InvariantCut(0.2)
    again = pickle.loads(pickle.dumps(cut))
    assert repr(again) == repr(cut)


def test_durham_clusters_agree_with_fastjet_jet_counts():
    from hepemu.physics.cuts import DurhamJetCut, durham_clusters

    p, _ = rambo_from_unit(np.random.default_rng(4).random((400, 20)), 91.2)
    for y_cut in (0.003, 0.02, 0.1):
        masks = durham_clusters(p, y_cut)
        n_jets = (masks != 0).sum(axis=1)
        for n in range(1, 6):
            np.testing.assert_array_equal(n_jets == n, DurhamJetCut(n, y_cut)(p))
        # every parton in exactly one jet
        assert np.all(np.bitwise_or.reduce(masks, axis=1) == 31)
        assert np.all(sum((masks >> k) & 1 for k in range(5)).sum(axis=1) == 5)


def test_unresolved_regions_of_constructed_limits():
    from hepemu.physics.cuts import unresolved_regions
    from hepemu.physics.tree.dipoles import emit

    e = 500.0
    beams = np.array([[e, 0, 0, e], [e, 0, 0, -e]])
    final, _ = rambo_from_unit(np.random.default_rng(1).uniform(0.2, 0.8, (1, 12)), 2 * e)
    born = np.concatenate([beams[None], final], axis=1)  # e⁺ e⁻ q q̄ g, resolved
    one = emit(born, 4, 2, 1e-4, 0.5, 0.3)  # g → g g collinear: single
    two = emit(one, 2, 3, 1e-4, 0.5, 0.3)  # and q → q g collinear: single+single
    three = emit(one, 4, 2, 1e-4, 0.5, 0.3)  # a third parton in the gluon jet: double
    reg = [unresolved_regions(x[:, 2:], 1e-3)[0] for x in (born, one, two, three)]
    assert reg == ["inside", "single", "single+single", "double"]
