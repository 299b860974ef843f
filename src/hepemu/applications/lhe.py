"""Les Houches event files (Alwall et al., Comput. Phys. Commun. 176 (2007) 300) via pylhe."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np


def colour_flow(ids: list[int]) -> list[tuple[int, int]]:
    """Leading-colour (planar) colour tags for one q q̄ pair and gluons: the quark's colour
    flows through the gluons in their order into the antiquark (colourless particles 0, 0).
    One valid flow of the event, not one sampled by the colour-ordered amplitudes."""
    tags = [(0, 0)] * len(ids)
    quarks = [i for i, p in enumerate(ids) if 1 <= p <= 6]
    antis = [i for i, p in enumerate(ids) if -6 <= p <= -1]
    gluons = [i for i, p in enumerate(ids) if p == 21]
    if not quarks and not gluons:
        return tags
    if len(quarks) != 1 or len(antis) != 1:
        raise ValueError("colour flow is written for one outgoing quark-antiquark pair")
    tag = 501
    tags[quarks[0]] = (tag, 0)
    for g in gluons:
        tags[g] = (tag + 1, tag)
        tag += 1
    tags[antis[0]] = (0, tag)
    return tags


def write_lhe(
    path: str | Path,
    momenta: np.ndarray | Iterable[np.ndarray],
    weights: np.ndarray,
    ids: list[int],
    sqrt_s: float,
    cross_section: tuple[float, float],
    alpha_s: float = 0.118,
    alpha: float = 1 / 137.036,
) -> int:
    """Write events (momenta (N, legs, 4) as E, px, py, pz; first two incoming; PDG codes
    ``ids``) to an LHE file. ``momenta`` may also be an iterable of such arrays (chunks,
    read one at a time: only the weights are held whole).

    Weights are the events' weights (1 for unweighted events, > 1 for overweights), in
    units of σ/N so that Σ weights / N reproduces ``cross_section`` (pb) on average.
    Returns the number of events written.
    """
    import pylhe

    tags = colour_flow(ids[2:])
    colours = [(0, 0), (0, 0), *tags] if ids[0] in (11, -11) else None
    if colours is None:
        raise ValueError("LHE output is written for lepton beams (e+ e- collisions)")
    sigma, err = cross_section
    init = pylhe.LHEInit(
        # IDWTUP 3: unit-weight events; 4: weights kept (here the overweights)
        initInfo=pylhe.LHEInitInfo(
            ids[0], ids[1], sqrt_s / 2, sqrt_s / 2, 0, 0, 0, 0, 3 if np.all(weights == 1) else 4, 1
        ),
        procInfo=[pylhe.LHEProcInfo(sigma, err, 1.0, 1)],
        generators=[],
    )
    mean_weight = float(np.mean(weights)) if len(weights) else 1.0

    chunks = [momenta] if isinstance(momenta, np.ndarray) else momenta

    def events():
        rows = (p for chunk in chunks for p in chunk)
        for p, w in zip(rows, weights, strict=True):
            particles = [
                pylhe.LHEParticle(
                    pid,
                    -1 if i < 2 else 1,
                    0 if i < 2 else 1,
                    0 if i < 2 else 2,
                    c1,
                    c2,
                    float(v[1]),
                    float(v[2]),
                    float(v[3]),
                    float(v[0]),
                    0.0,
                    0.0,
                    9.0,
                )  # fmt: skip
                for i, (pid, (c1, c2), v) in enumerate(zip(ids, colours, p, strict=True))
            ]
            info = pylhe.LHEEventInfo(len(ids), 1, sigma * w / mean_weight, sqrt_s, alpha, alpha_s)
            yield pylhe.LHEEvent(eventinfo=info, particles=particles)

    pylhe.LHEFile(init=init, events=events()).tofile(str(path))
    return len(weights)
