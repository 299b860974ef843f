"""Les Houches event files (Alwall et al., Comput. Phys. Commun. 176 (2007) 300) via pylhe."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
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


def gluon_colour_flow(ids: list[int]) -> list[tuple[int, int]]:
    """Planar colour tags for two incoming gluons, outgoing gluons and colourless particles
    (g g → γ γ g …): the crossed gluons form one closed colour chain in their order; an
    incoming gluon's tags are its crossed tags swapped (LHE: colour flowing in)."""
    gluons = [i for i, p in enumerate(ids) if p == 21]
    if ids[:2] != [21, 21] or any(p != 21 and not p == 22 for p in ids):
        raise ValueError("gluon colour flow is written for g g -> gluons and photons")
    m = len(gluons)
    tags = [(0, 0)] * len(ids)
    for k, i in enumerate(gluons):
        c, a = 501 + k, 501 + (k - 1) % m
        tags[i] = (a, c) if i < 2 else (c, a)
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
    beams: tuple[int, int, float, int] | None = None,
    scales: np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
) -> int:
    """Write events (momenta (N, legs, 4) as E, px, py, pz; first two incoming; PDG codes
    ``ids``) to an LHE file. ``momenta`` may also be an iterable of such arrays (chunks,
    read one at a time: only the weights are held whole).

    Weights are the events' weights (1 for unweighted events, > 1 for overweights), in
    units of σ/N so that Σ weights / N reproduces ``cross_section`` (pb) on average.
    Returns the number of events written. Hadron collisions: ``beams`` = (beam PDG code,
    beam PDG code, beam energy, LHAPDF id) and ``scales`` the events' μ (SCALUP: an array, or a
    function of a chunk of momenta for streamed chunks); the momenta in the lab frame.
    """
    import pylhe

    if beams is not None:
        colours = gluon_colour_flow(list(ids))
        idb1, idb2, energy, pdf = beams
        beam_info = (idb1, idb2, energy, energy, 0, 0, pdf, pdf)
    elif list(ids[:2]) == [21, 21]:  # partonic g g at fixed energy: gluon beams
        colours = gluon_colour_flow(list(ids))
        beam_info = (21, 21, sqrt_s / 2, sqrt_s / 2, 0, 0, 0, 0)
    elif ids[0] in (11, -11):
        colours = [(0, 0), (0, 0), *colour_flow(ids[2:])]
        beam_info = (ids[0], ids[1], sqrt_s / 2, sqrt_s / 2, 0, 0, 0, 0)
    else:
        raise ValueError("LHE output is written for lepton beams or g g at a hadron collider")
    sigma, err = cross_section
    init = pylhe.LHEInit(
        # IDWTUP 3: unit-weight events; 4: weights kept (here the overweights)
        initInfo=pylhe.LHEInitInfo(*beam_info, 3 if np.all(weights == 1) else 4, 1),
        procInfo=[pylhe.LHEProcInfo(sigma, err, 1.0, 1)],
        generators=[],
    )
    mean_weight = float(np.mean(weights)) if len(weights) else 1.0

    chunks = [momenta] if isinstance(momenta, np.ndarray) else momenta
    if callable(scales) and not isinstance(momenta, np.ndarray):  # one pass feeds both
        chunks, chunks_for_scales = itertools.tee(chunks)
    else:
        chunks_for_scales = [momenta] if isinstance(momenta, np.ndarray) else chunks

    def events():
        rows = (p for chunk in chunks for p in chunk)
        if scales is None:
            mu = itertools.repeat(sqrt_s)
        elif callable(scales):  # μ of each chunk, computed as the chunk is read
            mu = (q for chunk in chunks_for_scales for q in scales(chunk))
        else:
            mu = iter(scales)
        for p, w in zip(rows, weights, strict=True):
            q = next(mu)
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
            info = pylhe.LHEEventInfo(len(ids), 1, sigma * w / mean_weight, q, alpha, alpha_s)
            yield pylhe.LHEEvent(eventinfo=info, particles=particles)

    pylhe.LHEFile(init=init, events=events()).tofile(str(path))
    return len(weights)
