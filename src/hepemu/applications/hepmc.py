"""HepMC3 event files (Buckley et al., Comput. Phys. Commun. 260 (2021) 107310) via PyPI
``pyhepmc``: the parton-level events of ``hepemu events`` in the HepMC3 ASCII format."""

from __future__ import annotations

from pathlib import Path

import numpy as np

BEAM, FINAL, HARD_INCOMING = 4, 1, 21  # HepMC3 status codes (21: Pythia's incoming hard parton)
# the proton's remnant at parton level: a pseudoparticle (PDG Monte Carlo numbering reserves
# 81–100 for generator-specific ones) with a generator-specific status (HepMC3: 11–200; 63 is
# Pythia 8's outgoing beam remnant), so that final-state analyses skip it
REMNANT_PID, REMNANT_STATUS = 82, 63


def _particle(pyhepmc, p: np.ndarray, pid: int, status: int):
    return pyhepmc.GenParticle(pyhepmc.FourVector(p[1], p[2], p[3], p[0]), int(pid), status)


def gen_event(
    pyhepmc,
    run,
    number: int,
    p: np.ndarray,
    ids: list[int],
    weights: list[float],
    beams: tuple[int, float, int] | None = None,
    scale: float = 0.0,
):
    """One HepMC3 event (see :func:`write_hepmc3` for the layout) of momenta (legs, 4)."""
    event = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
    event.run_info = run
    event.event_number = number
    hard = pyhepmc.GenVertex()
    if beams is None:
        for k in (0, 1):
            hard.add_particle_in(_particle(pyhepmc, p[k], ids[k], BEAM))
    else:
        pid, energy, lhaid = beams
        for k, sign in ((0, 1.0), (1, -1.0)):
            proton = _particle(pyhepmc, np.array([energy, 0, 0, sign * energy]), pid, BEAM)
            split = pyhepmc.GenVertex()
            split.add_particle_in(proton)
            parton = _particle(pyhepmc, p[k], ids[k], HARD_INCOMING)
            split.add_particle_out(parton)
            rest = np.array([energy, 0, 0, sign * energy]) - p[k]  # P − xP: along the beam
            split.add_particle_out(_particle(pyhepmc, rest, REMNANT_PID, REMNANT_STATUS))
            event.add_vertex(split)
            hard.add_particle_in(parton)
        pdf = pyhepmc.GenPdfInfo()
        pdf.parton_id1, pdf.parton_id2 = int(ids[0]), int(ids[1])
        pdf.x1, pdf.x2 = float(p[0, 0] / energy), float(p[1, 0] / energy)
        pdf.scale = float(scale)
        pdf.pdf_id1 = pdf.pdf_id2 = int(lhaid)
        event.pdf_info = pdf
    for k in range(2, len(ids)):
        hard.add_particle_out(_particle(pyhepmc, p[k], ids[k], FINAL))
    event.add_vertex(hard)
    event.weights = [float(w) for w in weights]
    return event


def run_info(pyhepmc, weight_names: list[str], what: str):
    run = pyhepmc.GenRunInfo()
    run.weight_names = weight_names
    run.tools = [pyhepmc.GenRunInfo.ToolInfo("hepemu", _version(), what)]
    return run


def write_hepmc3(
    path: str | Path,
    momenta: np.ndarray,
    weights: np.ndarray,
    ids: list[int],
    cross_section: tuple[float, float],
    trials: int,
    beams: tuple[int, float, int] | None = None,
    scales: np.ndarray | None = None,
    extra: dict[str, np.ndarray] | None = None,
) -> int:
    """Write events (momenta (N, legs, 4) as E, px, py, pz; first two incoming; PDG ``ids``)
    as HepMC3 ASCII; returns the number written.

    Lepton or partonic beams: the two incoming legs are the beam particles (status 4) of one
    vertex whose outgoing legs are final (status 1). Hadron collisions (``beams`` = (beam
    PDG code, beam energy, LHAPDF id), lab-frame momenta): each proton (status 4) ends in a
    vertex that gives its parton (status 21) to the hard vertex and keeps the remnant P − xP
    (:data:`REMNANT_PID`, status :data:`REMNANT_STATUS`; every vertex conserves momentum);
    the PDF record holds x₁, x₂ and μ = ``scales``. Each event's weight is σ·w/⟨w⟩ in pb
    (named "Weight"), times each ``extra`` ratio under its name (e.g. scale variations), and
    the cross section record holds σ ± err and the trials.
    """
    import pyhepmc

    sigma, err = cross_section
    extra = extra or {}
    run = run_info(pyhepmc, ["Weight", *extra], "hepemu events")
    mean_weight = float(np.mean(weights)) if len(weights) else 1.0
    with pyhepmc.open(str(path), "w") as f:
        for i, (p, w) in enumerate(zip(momenta, weights, strict=True)):
            scale = float(scales[i]) if scales is not None else 0.0
            weight = sigma * float(w) / mean_weight
            ws = [weight, *(weight * float(r[i]) for r in extra.values())]
            event = gen_event(pyhepmc, run, i, p, ids, ws, beams, scale)
            xs = pyhepmc.GenCrossSection()
            xs.set_cross_section(sigma, err, len(weights), trials)
            event.cross_section = xs
            f.write(event)
    return len(weights)


def _version() -> str:
    from hepemu.version import __version__

    return __version__
